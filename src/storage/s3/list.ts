/**
 * ListObjectsV2 (`GET /?list-type=2&prefix=&max-keys=&continuation-token=`): one page parsed
 * from its XML, and the paging loop that follows `NextContinuationToken` while `IsTruncated`.
 */
import { StorageError } from '../../errors.ts'
import type { ObjectInfo } from '../object-store.ts'
import { decodeXml, xmlElements, xmlText } from './xml.ts'

export interface ListPage {
  objects: ObjectInfo[]
  isTruncated: boolean
  nextContinuationToken?: string
}

/** Surrounding quotes dropped, so list and head report the same string. */
export function unquoteEtag(etag: string | null | undefined): string | undefined {
  return etag === null || etag === undefined ? undefined : etag.replace(/^"(.*)"$/, '$1')
}

/**
 * Parses one ListBucketResult page. Keys are S3 keys as stored (entities decoded).
 * @throws StorageError code BAD_RESPONSE when a `Contents` entry lacks Key or has a bad Size/LastModified.
 */
export function parseListPage(xml: string, location: string): ListPage {
  const objects = xmlElements(xml, 'Contents').map((entry): ObjectInfo => {
    const key = xmlText(entry, 'Key')
    const size = Number(xmlText(entry, 'Size'))
    const lastModified = new Date(xmlText(entry, 'LastModified') ?? '')
    if (key === undefined || !Number.isSafeInteger(size) || Number.isNaN(lastModified.getTime())) {
      throw new StorageError(`S3 list ${location}: malformed Contents entry ${JSON.stringify(decodeXml(entry).slice(0, 300))}`, {
        code: 'BAD_RESPONSE',
        context: { location },
      })
    }
    return { key, size, lastModified, etag: unquoteEtag(xmlText(entry, 'ETag')) }
  })
  const truncated = xmlText(xml, 'IsTruncated')
  return { objects, isTruncated: truncated === 'true', nextContinuationToken: xmlText(xml, 'NextContinuationToken') }
}

/**
 * Yields every object of every page in order. `fetchPage(token)` gets one page's XML.
 * @throws StorageError code BAD_RESPONSE when a truncated page has no continuation token
 * or repeats the previous one (which would loop forever).
 */
export async function* listAllPages(fetchPage: (token: string | undefined) => Promise<string>, location: string): AsyncGenerator<ObjectInfo> {
  let token: string | undefined
  for (;;) {
    const page = parseListPage(await fetchPage(token), location)
    yield* page.objects
    if (!page.isTruncated) return
    if (page.nextContinuationToken === undefined || page.nextContinuationToken === token) {
      throw new StorageError(`S3 list ${location}: truncated page without a new NextContinuationToken`, {
        code: 'BAD_RESPONSE',
        context: { location, token },
      })
    }
    token = page.nextContinuationToken
  }
}
