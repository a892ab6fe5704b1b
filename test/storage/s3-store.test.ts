/** S3 store behaviour against a scripted fetch: retries, timeouts, error mapping, URLs, ranges, listing pages. */
import { describe, expect, test } from 'bun:test'
import { sha256Hex } from '../../src/auth/sha256.ts'
import { ConfigError, StorageError } from '../../src/errors.ts'
import type { ObjectInfo } from '../../src/storage/object-store.ts'
import { createS3Store } from '../../src/storage/s3/index.ts'
import { CREDENTIALS, SECRET, errorOf, fakeFetch, s3ErrorResponse, storeWith, xmlResponse, type Reply } from './s3-fakes.ts'

const ok = (body = 'data'): Response => new Response(body, { status: 200 })
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('retries', () => {
  test('503 SlowDown then 200: succeeds on the second attempt after one backoff', async () => {
    const fake = fakeFetch([s3ErrorResponse(503, 'SlowDown', 'Please reduce your request rate.'), ok('hello')])
    const { store, sleeps } = storeWith(fake)
    expect(text(await store.get('k'))).toBe('hello')
    expect(fake.sent.length).toBe(2)
    expect(sleeps).toEqual([50])
  })

  test('403 is not retried; the error names status, S3 code and message, method and location, never the secret', async () => {
    const fake = fakeFetch([s3ErrorResponse(403, 'AccessDenied', 'Access Denied'), ok()])
    const { store } = storeWith(fake, { prefix: 'wh' })
    const error = await errorOf(store.put('db/t/file.parquet', new Uint8Array(3)))
    expect(fake.sent.length).toBe(1)
    expect(error).toBeInstanceOf(StorageError)
    expect(error.retryable).toBe(false)
    expect(error.context).toMatchObject({ status: 403, s3Code: 'AccessDenied', s3Message: 'Access Denied', method: 'PUT', location: 's3://bkt/wh/db/t/file.parquet' })
    expect(error.message).toBe('S3 PUT s3://bkt/wh/db/t/file.parquet failed with 403 AccessDenied: Access Denied')
    const everything = JSON.stringify({ message: error.message, context: error.context })
    expect(everything).not.toContain(SECRET)
    expect(everything).not.toContain('Signature=')
  })

  test('a timed-out attempt is abandoned and retried', async () => {
    const fake = fakeFetch(['hang', ok('late but fine')])
    const { store } = storeWith(fake, { requestTimeoutMs: 30 })
    expect(text(await store.get('k'))).toBe('late but fine')
    expect(fake.sent.length).toBe(2)
  })

  test('when every attempt times out the error is TIMEOUT, retryable, after maxAttempts tries', async () => {
    const fake = fakeFetch(['hang'])
    const { store } = storeWith(fake, { requestTimeoutMs: 20, maxAttempts: 3 })
    const error = await errorOf(store.head('k'))
    expect(fake.sent.length).toBe(3)
    expect(error.code).toBe('TIMEOUT')
    expect(error.retryable).toBe(true)
    expect(error.message).toContain('no complete response within 20 ms')
  })

  test('network errors are retried', async () => {
    const fake = fakeFetch([new TypeError('fetch failed: ECONNRESET'), ok('ok')])
    const { store } = storeWith(fake)
    expect(text(await store.get('k'))).toBe('ok')
    expect(fake.sent.length).toBe(2)
  })

  test('persistent 500 gives up after the default 5 attempts with the status', async () => {
    const fake = fakeFetch([s3ErrorResponse(500, 'InternalError', 'We encountered an internal error.')])
    const { store, sleeps } = storeWith(fake)
    const error = await errorOf(store.get('k'))
    expect(fake.sent.length).toBe(5)
    expect(sleeps).toEqual([50, 100, 200, 400])
    expect(error.context).toMatchObject({ status: 500, s3Code: 'InternalError', attempt: 5 })
    expect(error.retryable).toBe(true)
  })

  const cases: [string, Reply, number][] = [
    ['429 throttling', s3ErrorResponse(429, 'TooManyRequests', 'slow down'), 2],
    ['408 request timeout', new Response('', { status: 408 }), 2],
    ['400 RequestTimeout (socket idle)', s3ErrorResponse(400, 'RequestTimeout', 'Your socket connection to the server was not read from'), 2],
    ['400 InvalidArgument', s3ErrorResponse(400, 'InvalidArgument', 'bad'), 1],
    ['409 conflict', s3ErrorResponse(409, 'OperationAborted', 'conflict'), 1],
  ]
  for (const [name, first, expectedCalls] of cases) {
    test(`${name}: ${expectedCalls === 2 ? 'retried' : 'not retried'}`, async () => {
      const fake = fakeFetch([first, ok()])
      const { store } = storeWith(fake)
      await store.get('k').catch(() => undefined)
      expect(fake.sent.length).toBe(expectedCalls)
    })
  }
})

describe('not found', () => {
  test('get: NoSuchKey is NotFoundError; NoSuchBucket is a plain StorageError', async () => {
    const { store } = storeWith(fakeFetch([s3ErrorResponse(404, 'NoSuchKey', 'The specified key does not exist.')]))
    expect((await errorOf(store.get('k'))).code).toBe('NOT_FOUND')
    const { store: other } = storeWith(fakeFetch([s3ErrorResponse(404, 'NoSuchBucket', 'The specified bucket does not exist')]))
    const error = await errorOf(other.get('k'))
    expect(error.code).toBe('STORAGE')
    expect(error.context.s3Code).toBe('NoSuchBucket')
  })

  test('delete: NoSuchKey is fine, NoSuchBucket throws', async () => {
    await storeWith(fakeFetch([s3ErrorResponse(404, 'NoSuchKey', 'gone')])).store.delete('k')
    const error = await errorOf(storeWith(fakeFetch([s3ErrorResponse(404, 'NoSuchBucket', 'no bucket')])).store.delete('k'))
    expect(error.context.s3Code).toBe('NoSuchBucket')
  })

  test('head: 404 is undefined; 200 maps headers', async () => {
    expect(await storeWith(fakeFetch([new Response(null, { status: 404 })])).store.head('k')).toBeUndefined()
    const headers = { 'content-length': '42', 'last-modified': 'Wed, 12 Oct 2009 17:50:00 GMT', etag: '"abc"' }
    const info = await storeWith(fakeFetch([new Response(null, { status: 200, headers })])).store.head('k')
    expect(info).toEqual({ key: 'k', size: 42, lastModified: new Date('2009-10-12T17:50:00Z'), etag: 'abc' })
  })
})

describe('requests', () => {
  test('path-style with an endpoint: each key segment encoded, prefix applied, root names bucket and prefix', async () => {
    const fake = fakeFetch([ok()])
    const { store } = storeWith(fake, { prefix: '/warehouse/' })
    expect(store.root).toBe('s3://bkt/warehouse')
    await store.get("db/a b+c=d/ü'(1).txt")
    expect(fake.sent[0]!.url.href).toBe('http://s3.test:9000/bkt/warehouse/db/a%20b%2Bc%3Dd/%C3%BC%27%281%29.txt')
  })

  test('virtual-hosted on AWS by default; dotted buckets fall back to path-style', async () => {
    const fake = fakeFetch([ok()])
    await storeWith(fake, { endpoint: undefined, region: 'eu-west-1' }).store.get('k')
    await storeWith(fake, { endpoint: undefined, region: 'eu-west-1', bucket: 'my.bkt' }).store.get('k')
    await storeWith(fake, { pathStyle: false }).store.get('k')
    expect(fake.sent.map((r) => r.url.href)).toEqual([
      'https://bkt.s3.eu-west-1.amazonaws.com/k',
      'https://s3.eu-west-1.amazonaws.com/my.bkt/k',
      'http://bkt.s3.test:9000/k',
    ])
  })

  test('put sends the body, content type, payload hash and a SigV4 Authorization', async () => {
    const fake = fakeFetch([ok('')])
    const body = new TextEncoder().encode('{"a":1}')
    await storeWith(fake).store.put('m.json', body, { contentType: 'application/json' })
    const sent = fake.sent[0]!
    expect(sent.method).toBe('PUT')
    expect(text(sent.body!)).toBe('{"a":1}')
    expect(sent.headers.get('content-type')).toBe('application/json')
    expect(sent.headers.get('x-amz-content-sha256')).toBe(await sha256Hex(body))
    expect(sent.headers.get('authorization')).toStartWith('AWS4-HMAC-SHA256 Credential=AKIDTEST/')
  })

  test('ranged get sends an inclusive Range; a server that ignores it still yields the slice', async () => {
    const fake = fakeFetch([new Response('0123456789', { status: 200 })])
    expect(text(await storeWith(fake).store.get('k', { offset: 4, length: 2 }))).toBe('45')
    expect(fake.sent[0]!.headers.get('range')).toBe('bytes=4-5')
  })

  test('a 206 shorter than asked (range past the end) is INVALID_RANGE with the size', async () => {
    const fake = fakeFetch([new Response('89', { status: 206, headers: { 'content-range': 'bytes 8-9/10' } })])
    const error = await errorOf(storeWith(fake).store.get('k', { offset: 8, length: 5 }))
    expect(error.code).toBe('INVALID_RANGE')
    expect(error.context).toMatchObject({ offset: 8, length: 5, size: 10 })
  })

  test('invalid options are reported together', () => {
    expect(() => createS3Store({ bucket: 'a/b', region: 'r', endpoint: 'not a url', credentials: CREDENTIALS, partSizeBytes: 1024, listPageSize: 0 })).toThrow(ConfigError)
    try {
      createS3Store({ bucket: 'a/b', region: 'r', endpoint: 'not a url', credentials: CREDENTIALS, partSizeBytes: 1024, listPageSize: 0 })
    } catch (error) {
      expect((error as ConfigError).issues.length).toBe(4)
    }
  })
})

describe('list', () => {
  const page = (keys: string[], token?: string): Response =>
    xmlResponse(
      200,
      `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bkt</Name><Prefix>wh/</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>2</MaxKeys>
<IsTruncated>${token !== undefined}</IsTruncated>${token !== undefined ? `<NextContinuationToken>${token}</NextContinuationToken>` : ''}
${keys.map((k) => `<Contents><Key>${k}</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified><ETag>&quot;e-${k.length}&quot;</ETag><Size>${k.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`).join('\n')}
</ListBucketResult>`,
    )

  test('follows continuation tokens, decodes entities, strips the store prefix', async () => {
    const fake = fakeFetch([page(['wh/a&amp;b', 'wh/c'], '1/abc+def=='), page(['wh/d &lt;e&gt;'])])
    const { store } = storeWith(fake, { prefix: 'wh', listPageSize: 2 })
    const listed: ObjectInfo[] = []
    for await (const info of store.list('')) listed.push(info)
    expect(listed.map((o) => o.key)).toEqual(['a&b', 'c', 'd <e>'])
    expect(listed[0]).toEqual({ key: 'a&b', size: 10, lastModified: new Date('2024-01-02T03:04:05Z'), etag: 'e-10' })
    const [first, second] = fake.sent
    expect(first!.url.searchParams.get('list-type')).toBe('2')
    expect(first!.url.searchParams.get('prefix')).toBe('wh/')
    expect(first!.url.searchParams.get('max-keys')).toBe('2')
    expect(first!.url.searchParams.has('continuation-token')).toBe(false)
    // '+' must travel as %2B: a literal '+' would be read back as a space.
    expect(second!.url.search).toContain('continuation-token=1%2Fabc%2Bdef%3D%3D')
    expect(second!.url.searchParams.get('continuation-token')).toBe('1/abc+def==')
  })

  test('a truncated page without a token is BAD_RESPONSE, not an endless loop', async () => {
    const fake = fakeFetch([xmlResponse(200, '<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a</Key><Size>1</Size><LastModified>2024-01-02T03:04:05Z</LastModified></Contents></ListBucketResult>')])
    const { store } = storeWith(fake)
    const run = async (): Promise<void> => {
      for await (const _ of store.list('')) void _
    }
    expect((await errorOf(run())).code).toBe('BAD_RESPONSE')
  })
})
