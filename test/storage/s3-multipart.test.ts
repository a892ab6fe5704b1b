/** Multipart upload against a scripted S3: part layout, bounded parallelism, 200-with-Error, abort on failure, lost completion. */
import { describe, expect, test } from 'bun:test'
import { errorOf, fakeFetch, s3ErrorResponse, storeWith, xmlResponse, type Reply, type SentRequest } from './s3-fakes.ts'

const MiB = 1024 * 1024
const PART = 5 * MiB
const options = { multipartThresholdBytes: PART, partSizeBytes: PART }

interface FakeMultipart {
  handler: (request: SentRequest) => Promise<Reply>
  parts: Map<number, number>
  maxInFlight: number
  completions: string[]
  aborts: number
}

/** An S3 that accepts one upload; `override` may answer a request first (return undefined to fall through). */
function multipartServer(override?: (request: SentRequest, state: FakeMultipart) => Reply | undefined): FakeMultipart {
  let inFlight = 0
  const state: FakeMultipart = {
    parts: new Map(),
    maxInFlight: 0,
    completions: [],
    aborts: 0,
    handler: async (request) => {
      const special = override?.(request, state)
      if (special !== undefined) return special
      const q = request.url.searchParams
      if (request.method === 'POST' && q.has('uploads')) return xmlResponse(200, '<InitiateMultipartUploadResult><Bucket>bkt</Bucket><Key>k</Key><UploadId>up-1</UploadId></InitiateMultipartUploadResult>')
      if (request.method === 'PUT' && q.has('partNumber')) {
        inFlight++
        state.maxInFlight = Math.max(state.maxInFlight, inFlight)
        // Hold each part until four are in flight (or a while has passed), so the concurrency limit
        // is reached whatever the machine's load, instead of depending on signing speed.
        for (let waited = 0; inFlight < 4 && waited < 150; waited += 5) await Bun.sleep(5)
        await Bun.sleep(5)
        inFlight--
        const n = Number(q.get('partNumber'))
        state.parts.set(n, request.body!.byteLength)
        return new Response(null, { status: 200, headers: { etag: `"etag-${n}"` } })
      }
      if (request.method === 'POST' && q.get('uploadId') === 'up-1') {
        state.completions.push(new TextDecoder().decode(request.body))
        return xmlResponse(200, '<CompleteMultipartUploadResult><ETag>"x-5"</ETag></CompleteMultipartUploadResult>')
      }
      if (request.method === 'DELETE' && q.get('uploadId') === 'up-1') {
        state.aborts++
        return new Response(null, { status: 204 })
      }
      return s3ErrorResponse(400, 'Unexpected', `${request.method} ${request.url.href}`)
    },
  }
  return state
}

describe('multipart put', () => {
  test('below the threshold: one PUT; at or above it: create, parts, complete', async () => {
    const small = fakeFetch([new Response(null, { status: 200 })])
    await storeWith(small, options).store.put('k', new Uint8Array(PART - 1))
    expect(small.sent.map((r) => r.method)).toEqual(['PUT'])

    const server = multipartServer()
    const fake = fakeFetch(server.handler)
    await storeWith(fake, options).store.put('k', new Uint8Array(4 * PART + 7), { contentType: 'application/x-parquet' })
    expect(fake.sent[0]!.headers.get('content-type')).toBe('application/x-parquet')
    expect([...server.parts.entries()].sort((a, b) => a[0] - b[0])).toEqual([[1, PART], [2, PART], [3, PART], [4, PART], [5, 7]])
    expect(server.completions.length).toBe(1)
    const listed = [...server.completions[0]!.matchAll(/<PartNumber>(\d+)<\/PartNumber><ETag>([^<]+)<\/ETag>/g)].map((m) => [m[1], m[2]])
    expect(listed).toEqual([1, 2, 3, 4, 5].map((n) => [String(n), `&quot;etag-${n}&quot;`]))
  })

  test('at most 4 parts are in flight at once, and more than one is', async () => {
    const server = multipartServer()
    await storeWith(fakeFetch(server.handler), options).store.put('k', new Uint8Array(9 * PART))
    expect(server.parts.size).toBe(9)
    expect(server.maxInFlight).toBe(4)
  })

  test('a 200 carrying <Error> InternalError is retried; the second completion succeeds', async () => {
    let failedOnce = false
    const server = multipartServer((request) => {
      if (request.method === 'POST' && request.url.searchParams.get('uploadId') === 'up-1' && !failedOnce) {
        failedOnce = true
        return xmlResponse(200, '<?xml version="1.0"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>')
      }
      return undefined
    })
    await storeWith(fakeFetch(server.handler), options).store.put('k', new Uint8Array(PART + 1))
    expect(server.completions.length).toBe(1)
    expect(server.aborts).toBe(0)
  })

  test('a 200 carrying <Error> InvalidPart fails the put and aborts the upload', async () => {
    const server = multipartServer((request) =>
      request.method === 'POST' && request.url.searchParams.get('uploadId') === 'up-1'
        ? xmlResponse(200, '<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be found.</Message></Error>')
        : undefined,
    )
    const error = await errorOf(storeWith(fakeFetch(server.handler), options).store.put('k', new Uint8Array(PART + 1)))
    expect(error.context).toMatchObject({ status: 200, s3Code: 'InvalidPart' })
    expect(server.aborts).toBe(1)
  })

  test('a failing part stops the upload, aborts it, and surfaces the part error', async () => {
    const server = multipartServer((request) =>
      request.method === 'PUT' && request.url.searchParams.get('partNumber') === '2' ? s3ErrorResponse(403, 'AccessDenied', 'Access Denied') : undefined,
    )
    const fake = fakeFetch(server.handler)
    const error = await errorOf(storeWith(fake, options).store.put('k', new Uint8Array(12 * PART)))
    expect(error.context).toMatchObject({ status: 403, s3Code: 'AccessDenied' })
    expect(error.message).toContain('part 2 of 12')
    expect(server.aborts).toBe(1)
    expect(server.completions.length).toBe(0)
    // Workers stop taking parts once one failed: not all 12 were sent.
    expect(server.parts.size).toBeLessThan(11)
    // The abort comes after every part request has settled.
    expect(fake.sent.at(-1)!.method).toBe('DELETE')
  })

  test('when the abort fails too, its message rides along on the original error', async () => {
    const server = multipartServer((request) => {
      if (request.method === 'PUT' && request.url.searchParams.has('partNumber')) return s3ErrorResponse(400, 'BadDigest', 'bad')
      if (request.method === 'DELETE') return s3ErrorResponse(403, 'AccessDenied', 'no abort for you')
      return undefined
    })
    const error = await errorOf(storeWith(fakeFetch(server.handler), options).store.put('k', new Uint8Array(PART + 1)))
    expect(error.context.s3Code).toBe('BadDigest')
    expect(String(error.context.abortError)).toContain('no abort for you')
    expect(error.context.uploadId).toBe('up-1')
  })

  test('a completion whose response was lost is recognised by NoSuchUpload plus the object size', async () => {
    const body = new Uint8Array(PART + 3)
    let completes = 0
    const server = multipartServer((request) => {
      if (request.method === 'POST' && request.url.searchParams.get('uploadId') === 'up-1') {
        completes++
        return completes === 1 ? new TypeError('socket hang up') : s3ErrorResponse(404, 'NoSuchUpload', 'The specified upload does not exist.')
      }
      if (request.method === 'HEAD') return new Response(null, { status: 200, headers: { 'content-length': String(body.byteLength) } })
      return undefined
    })
    await storeWith(fakeFetch(server.handler), options).store.put('k', body)
    expect(completes).toBe(2)
    expect(server.aborts).toBe(0)
  })

  test('NoSuchUpload on the first completion attempt is a real failure', async () => {
    const server = multipartServer((request) =>
      request.method === 'POST' && request.url.searchParams.get('uploadId') === 'up-1' ? s3ErrorResponse(404, 'NoSuchUpload', 'gone') : undefined,
    )
    const error = await errorOf(storeWith(fakeFetch(server.handler), options).store.put('k', new Uint8Array(PART + 1)))
    expect(error.context.s3Code).toBe('NoSuchUpload')
  })
})
