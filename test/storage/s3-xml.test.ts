/** The tiny XML reader and the ListObjectsV2 page parser, on S3's documented response shape. */
import { describe, expect, test } from 'bun:test'
import { parseListPage } from '../../src/storage/s3/list.ts'
import { decodeXml, escapeXml, xmlElements, xmlText } from '../../src/storage/s3/xml.ts'

describe('xml', () => {
  test('decodes predefined entities and numeric references, leaves unknown ones', () => {
    expect(decodeXml('a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos;')).toBe(`a&b <c> "d" 'e'`)
    expect(decodeXml('&#65;&#x1F600;&#x1f;')).toBe('A😀\u001f')
    expect(decodeXml('&nbsp; &#x110000;')).toBe('&nbsp; &#x110000;')
    // Decoding happens once: an escaped entity stays an entity.
    expect(decodeXml('&amp;lt;')).toBe('&lt;')
  })

  test('escape then decode is the identity', () => {
    const s = `<Key attr="x">Tom & 'Jerry'</Key>`
    expect(decodeXml(escapeXml(s))).toBe(s)
  })

  test('elements by tag: attributes, self-closing, no prefix matches (Key vs KeyCount)', () => {
    const xml = '<R xmlns="u"><KeyCount>2</KeyCount><Key>a</Key><Key id="2">b&amp;c</Key><Key/></R>'
    expect(xmlElements(xml, 'Key')).toEqual(['a', 'b&amp;c', ''])
    expect(xmlText(xml, 'KeyCount')).toBe('2')
    expect(xmlText(xml, 'Missing')).toBeUndefined()
  })
})

describe('parseListPage', () => {
  // Shape from the S3 API reference for ListObjectsV2 (with Owner, which has its own child tags).
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix/>
  <KeyCount>2</KeyCount>
  <MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents>
    <Key>happyface.jpg</Key>
    <LastModified>2014-11-21T19:40:05.000Z</LastModified>
    <ETag>"70ee1738b6b21e2c8a43f3a5ab0eee71"</ETag>
    <Size>11</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>data/x=1&amp;y/&#x1;ctl.parquet</Key>
    <LastModified>2014-05-02T04:51:50.000Z</LastModified>
    <ETag>&quot;becf17f89c30367a9a44495d62ed521a-1&quot;</ETag>
    <Size>1581155</Size>
    <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>me</DisplayName></Owner>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
</ListBucketResult>`

  test('objects, truncation and the next token', () => {
    const page = parseListPage(xml, 's3://bucket/')
    expect(page.isTruncated).toBe(true)
    expect(page.nextContinuationToken).toBe('1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=')
    expect(page.objects).toEqual([
      { key: 'happyface.jpg', size: 11, lastModified: new Date('2014-11-21T19:40:05Z'), etag: '70ee1738b6b21e2c8a43f3a5ab0eee71' },
      { key: 'data/x=1&y/\u0001ctl.parquet', size: 1581155, lastModified: new Date('2014-05-02T04:51:50Z'), etag: 'becf17f89c30367a9a44495d62ed521a-1' },
    ])
  })

  test('an empty, complete page', () => {
    expect(parseListPage('<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>', 's3://b/')).toEqual({
      objects: [],
      isTruncated: false,
      nextContinuationToken: undefined,
    })
  })

  test('an entry with a bad size is BAD_RESPONSE naming the entry', () => {
    expect(() => parseListPage('<Contents><Key>k</Key><Size>lots</Size><LastModified>2014-05-02T04:51:50Z</LastModified></Contents>', 's3://b/')).toThrow(/malformed Contents entry.*k/)
  })
})
