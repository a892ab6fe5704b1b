/** SigV4 fetch wrapper against AWS's published vectors (sig-v4 test suite, S3 API reference examples) and an independent reference signer. */
import { describe, expect, test } from 'bun:test'
import { Sha256, sha256Hex, toHex } from '../../src/auth/sha256.ts'
import { createSigV4Fetch, type SigV4FetchOptions } from '../../src/auth/sigv4.ts'

interface Captured {
  url: string
  method: string
  headers: Headers
  body: BodyInit | null | undefined
}

function capturing(options: Omit<SigV4FetchOptions, 'fetch'>): { fetch: typeof fetch; sent: Captured[] } {
  const sent: Captured[] = []
  const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    sent.push({ url: input.toString(), method: init?.method ?? 'GET', headers: new Headers(init?.headers), body: init?.body })
    return new Response('ok')
  }
  return { fetch: createSigV4Fetch({ ...options, fetch: fake }), sent }
}

/** The AWS sig-v4 test suite's fixed inputs (docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html). */
const SUITE = {
  region: 'us-east-1',
  service: 'service',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  clock: () => new Date('2015-08-30T12:36:00Z'),
  // The suite's requests carry no x-amz-content-sha256.
  payloadHashHeader: false,
}
const suiteAuth = (signedHeaders: string, signature: string): string =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`

describe('AWS sig-v4 test suite vectors', () => {
  test('get-vanilla', async () => {
    const { fetch, sent } = capturing(SUITE)
    await fetch('https://example.amazonaws.com/')
    expect(sent[0]!.headers.get('authorization')).toBe(suiteAuth('host;x-amz-date', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'))
    expect(sent[0]!.headers.get('x-amz-date')).toBe('20150830T123600Z')
    // fetch sets Host from the URL; passing it along would be refused or duplicated.
    expect(sent[0]!.headers.has('host')).toBe(false)
  })

  test('get-vanilla-query-order-key-case', async () => {
    const { fetch, sent } = capturing(SUITE)
    await fetch('https://example.amazonaws.com/?Param2=value2&Param1=value1')
    expect(sent[0]!.headers.get('authorization')).toBe(suiteAuth('host;x-amz-date', 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'))
  })

  test('get-unreserved', async () => {
    const { fetch, sent } = capturing(SUITE)
    await fetch('https://example.amazonaws.com/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz')
    expect(sent[0]!.headers.get('authorization')).toBe(suiteAuth('host;x-amz-date', '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f'))
  })

  test('post-x-www-form-urlencoded (body hashed, content-type signed)', async () => {
    const { fetch, sent } = capturing(SUITE)
    await fetch('https://example.amazonaws.com/', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'Param1=value1' })
    expect(sent[0]!.headers.get('authorization')).toBe(suiteAuth('content-type;host;x-amz-date', 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a'))
    expect(sent[0]!.body).toBe('Param1=value1')
  })

  test('post-sts-header-before (session token sent and signed)', async () => {
    const token =
      'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=='
    const { fetch, sent } = capturing({ ...SUITE, credentials: async () => ({ ...SUITE.credentials, sessionToken: token }) })
    await fetch('https://example.amazonaws.com/', { method: 'POST' })
    expect(sent[0]!.headers.get('authorization')).toBe(suiteAuth('host;x-amz-date;x-amz-security-token', '85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead'))
    expect(sent[0]!.headers.get('x-amz-security-token')).toBe(token)
  })
})

/** Examples from the S3 API reference, "Signature calculations for the Authorization header". */
describe('S3 API reference examples', () => {
  const S3 = {
    region: 'us-east-1',
    service: 's3',
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    clock: () => new Date('2013-05-24T00:00:00Z'),
  }
  const part = (auth: string | null, name: string): string | undefined => auth?.match(new RegExp(`${name}=([^,\\s]+)`))?.[1]

  test('GET Object with Range', async () => {
    const { fetch, sent } = capturing(S3)
    await fetch('https://examplebucket.s3.amazonaws.com/test.txt', { headers: { Range: 'bytes=0-9' } })
    const auth = sent[0]!.headers.get('authorization')
    expect(part(auth, 'SignedHeaders')).toBe('host;range;x-amz-content-sha256;x-amz-date')
    expect(part(auth, 'Signature')).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41')
    expect(sent[0]!.headers.get('x-amz-content-sha256')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })

  test('GET Bucket (list objects) with a query', async () => {
    const { fetch, sent } = capturing(S3)
    await fetch('https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J')
    expect(part(sent[0]!.headers.get('authorization'), 'Signature')).toBe('34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7')
  })
})

/**
 * An independent signer written from the spec text (canonical request → string to sign →
 * derived key → HMAC), checked against get-vanilla, used where no published vector exists.
 */
async function hmac(key: Uint8Array | string, data: string): Promise<Uint8Array> {
  const h = new Sha256(key)
  h.update(new TextEncoder().encode(data))
  return h.digest()
}
async function referenceSignature(c: { method: string; uri: string; query: string; headers: [string, string][]; payloadHash: string; secret: string; service: string }): Promise<string> {
  const canonical = [c.method, c.uri, c.query, ...c.headers.map(([k, v]) => `${k}:${v}`), '', c.headers.map(([k]) => k).join(';'), c.payloadHash].join('\n')
  const scope = `20150830/us-east-1/${c.service}/aws4_request`
  const toSign = ['AWS4-HMAC-SHA256', '20150830T123600Z', scope, await sha256Hex(canonical)].join('\n')
  let key = await hmac(`AWS4${c.secret}`, '20150830')
  for (const step of ['us-east-1', c.service, 'aws4_request']) key = await hmac(key, step)
  return toHex(await hmac(key, toSign))
}
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
const base = { method: 'GET', query: '', payloadHash: EMPTY, secret: SUITE.credentials.secretAccessKey }

describe('path encoding and payload hashing (reference signer)', () => {
  test('the reference signer reproduces get-vanilla', async () => {
    const signature = await referenceSignature({ ...base, uri: '/', service: 'service', headers: [['host', 'example.amazonaws.com'], ['x-amz-date', '20150830T123600Z']] })
    expect(signature).toBe('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31')
  })

  test('non-S3 services sign the already-encoded path encoded again (REST catalog %1F namespaces)', async () => {
    const { fetch, sent } = capturing({ ...SUITE, service: 'execute-api' })
    await fetch('https://example.amazonaws.com/v1/namespaces/a%1Fb/tables/t')
    expect(sent[0]!.url).toBe('https://example.amazonaws.com/v1/namespaces/a%1Fb/tables/t')
    const expected = await referenceSignature({ ...base, uri: '/v1/namespaces/a%251Fb/tables/t', service: 'execute-api', headers: [['host', 'example.amazonaws.com'], ['x-amz-date', '20150830T123600Z']] })
    expect(sent[0]!.headers.get('authorization')).toEndWith(`Signature=${expected}`)
  })

  test('S3 signs the path once, RFC 3986-encoded, and sends it exactly so', async () => {
    const { fetch, sent } = capturing({ ...SUITE, service: 's3', payloadHashHeader: true })
    const body = new TextEncoder().encode('payload')
    await fetch("http://127.0.0.1:9000/bucket/a b+c/it's(1)", { method: 'PUT', body })
    expect(sent[0]!.url).toBe('http://127.0.0.1:9000/bucket/a%20b%2Bc/it%27s%281%29')
    const payloadHash = await sha256Hex(body)
    expect(sent[0]!.headers.get('x-amz-content-sha256')).toBe(payloadHash)
    const expected = await referenceSignature({
      ...base,
      method: 'PUT',
      uri: '/bucket/a%20b%2Bc/it%27s%281%29',
      service: 's3',
      payloadHash,
      headers: [['host', '127.0.0.1:9000'], ['x-amz-content-sha256', payloadHash], ['x-amz-date', '20150830T123600Z']],
    })
    expect(sent[0]!.headers.get('authorization')).toEndWith(`Signature=${expected}`)
  })

  test('query values with + and spaces are signed as sent (%2B, %20)', async () => {
    const { fetch, sent } = capturing(SUITE)
    await fetch('https://example.amazonaws.com/?token=a%2Bb%20c')
    const expected = await referenceSignature({ ...base, uri: '/', query: 'token=a%2Bb%20c', service: 'service', headers: [['host', 'example.amazonaws.com'], ['x-amz-date', '20150830T123600Z']] })
    expect(sent[0]!.headers.get('authorization')).toEndWith(`Signature=${expected}`)
  })

  test('unsignedPayload sends UNSIGNED-PAYLOAD and signs it', async () => {
    const { fetch, sent } = capturing({ ...SUITE, service: 's3', unsignedPayload: true, payloadHashHeader: true })
    await fetch('https://example.amazonaws.com/k', { method: 'PUT', body: 'x' })
    expect(sent[0]!.headers.get('x-amz-content-sha256')).toBe('UNSIGNED-PAYLOAD')
    expect(sent[0]!.headers.get('authorization')).toContain('x-amz-content-sha256')
  })

  test('a Request object is signed with its method, headers and body', async () => {
    const { fetch, sent } = capturing(SUITE)
    await fetch(new Request('https://example.amazonaws.com/', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'Param1=value1' }))
    expect(sent[0]!.headers.get('authorization')).toBe(suiteAuth('content-type;host;x-amz-date', 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a'))
  })

  test('a credential function is asked on every request (refreshed keys take effect)', async () => {
    let calls = 0
    const { fetch, sent } = capturing({ ...SUITE, credentials: async () => ({ accessKeyId: `KEY${++calls}`, secretAccessKey: 's' }) })
    await fetch('https://example.amazonaws.com/')
    await fetch('https://example.amazonaws.com/')
    expect(calls).toBe(2)
    expect(sent[1]!.headers.get('authorization')).toContain('Credential=KEY2/')
  })
})

describe('Sha256 over crypto.subtle', () => {
  test('SHA-256 and HMAC-SHA-256 (RFC 4231 test case 2)', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(toHex(await hmac('Jefe', 'what do ya want for nothing?'))).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')
  })

  test('several updates hash like one; reset starts over', async () => {
    const h = new Sha256()
    h.update(new TextEncoder().encode('a'))
    h.update(new TextEncoder().encode('bc'))
    expect(toHex(await h.digest())).toBe(await sha256Hex('abc'))
    h.reset()
    expect(toHex(await h.digest())).toBe(EMPTY)
  })
})
