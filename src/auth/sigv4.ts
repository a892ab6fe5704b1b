/** AWS Signature Version 4 as a `fetch` wrapper, shared by the S3 store and SigV4 REST catalogs (execute-api, glue, s3tables). */
import { SignatureV4 } from '@smithy/signature-v4'
import { Sha256 } from './sha256.ts'

export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

/** Static keys, or a function called before every request (vended or refreshed credentials; the caller caches). */
export type AwsCredentialSource = AwsCredentials | (() => Promise<AwsCredentials>)

/** The part of `fetch` this module calls; plain functions (test fakes) satisfy it without Bun's `preconnect`. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

export interface SigV4FetchOptions {
  region: string
  /** Signing name: `s3`, `execute-api`, `glue`, `s3tables`, ... */
  service: string
  credentials: AwsCredentialSource
  fetch?: FetchLike
  /** Send `x-amz-content-sha256: UNSIGNED-PAYLOAD` instead of hashing the body (also allows stream bodies). */
  unsignedPayload?: boolean
  /**
   * Send the payload hash as `x-amz-content-sha256` (default true). S3 requires it; other services
   * accept it. The AWS test-suite vectors are signed without it.
   */
  payloadHashHeader?: boolean
  /** Signing time; override to correct clock skew (S3 rejects requests more than 15 minutes off). */
  clock?: () => Date
}

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'

/**
 * RFC 3986 encoding of everything but unreserved characters, as SigV4 canonical URIs want it;
 * `encodeURIComponent` leaves `!'()*` alone.
 */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

function decodeLenient(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    // A stray `%` that is not an escape: it stands for itself.
    return value
  }
}

/**
 * One spelling per path, so the path on the wire and the one signed agree whatever the server
 * decodes: each segment decoded, then RFC 3986-encoded.
 */
function canonicalPath(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) => encodeRfc3986(decodeLenient(segment)))
    .join('/')
}

/**
 * Query parameters decoded with `decodeURIComponent`, not form rules: a literal `+` stays `+`.
 * Build URLs with `%20` for spaces.
 */
function parseQuery(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {}
  for (const part of search.replace(/^\?/, '').split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const key = decodeLenient(eq < 0 ? part : part.slice(0, eq))
    const value = eq < 0 ? '' : decodeLenient(part.slice(eq + 1))
    const existing = query[key]
    if (existing === undefined) query[key] = value
    else query[key] = Array.isArray(existing) ? [...existing, value] : [existing, value]
  }
  return query
}

interface Outgoing {
  url: URL
  method: string
  headers: Headers
  body: string | Uint8Array | ReadableStream<Uint8Array> | undefined
  init: RequestInit
}

/** Brings every accepted body to bytes or a string so it can be hashed; streams only when unsigned. */
async function normalizeBody(body: BodyInit | null | undefined, headers: Headers, unsigned: boolean): Promise<Outgoing['body']> {
  if (body === null || body === undefined) return undefined
  if (typeof body === 'string') return body
  if (body instanceof Uint8Array) return body
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  if (unsigned && body instanceof ReadableStream) return body as ReadableStream<Uint8Array>
  // Blob, FormData, URLSearchParams, streams: let Response serialize them, keeping its content type.
  const response = new Response(body)
  const type = response.headers.get('content-type')
  if (type !== null && !headers.has('content-type')) headers.set('content-type', type)
  return new Uint8Array(await response.arrayBuffer())
}

async function readRequest(input: string | URL | Request, init: RequestInit | undefined, unsigned: boolean): Promise<Outgoing> {
  const request = input instanceof Request ? input : undefined
  const url = new URL(input instanceof Request ? input.url : input instanceof URL ? input.href : input)
  const headers = new Headers(init?.headers ?? request?.headers)
  let body: BodyInit | null | undefined = init?.body
  if (body === undefined && request?.body) body = new Uint8Array(await request.arrayBuffer())
  return {
    url,
    method: (init?.method ?? request?.method ?? 'GET').toUpperCase(),
    headers,
    body: await normalizeBody(body, headers, unsigned),
    init: { ...init, signal: init?.signal ?? request?.signal ?? null },
  }
}

/**
 * Wraps `fetch` so every request carries a SigV4 `Authorization` header, `x-amz-date`,
 * `x-amz-content-sha256` (payload hash or UNSIGNED-PAYLOAD) and, with temporary credentials,
 * `x-amz-security-token`. S3 paths are encoded once; other services' twice, as AWS specifies.
 * Bodies: string and bytes are hashed; other body types are read into memory first.
 * Throws what the credential function or the wrapped fetch throws; never logs credentials.
 */
export function createSigV4Fetch(options: SigV4FetchOptions): typeof fetch {
  const base: FetchLike = options.fetch ?? fetch
  const isS3 = options.service === 's3'
  const unsigned = options.unsignedPayload === true
  const signer = new SignatureV4({
    region: options.region,
    service: options.service,
    credentials: options.credentials,
    sha256: Sha256,
    // S3 alone signs the path as sent; every other service signs it encoded a second time.
    uriEscapePath: !isS3,
    applyChecksum: options.payloadHashHeader ?? true,
  })

  const signedFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const out = await readRequest(input, init, unsigned)
    out.url.pathname = canonicalPath(out.url.pathname)
    if (unsigned) out.headers.set('x-amz-content-sha256', UNSIGNED_PAYLOAD)
    const headers: Record<string, string> = { host: out.url.host }
    out.headers.forEach((value, name) => {
      headers[name] = value
    })
    const signed = await signer.sign(
      {
        method: out.method,
        protocol: out.url.protocol,
        hostname: out.url.hostname,
        port: out.url.port === '' ? undefined : Number(out.url.port),
        path: out.url.pathname,
        query: parseQuery(out.url.search),
        headers,
        body: out.body,
      },
      { signingDate: options.clock?.() ?? new Date() },
    )
    const sendHeaders = new Headers()
    for (const [name, value] of Object.entries(signed.headers)) {
      // fetch derives Host from the URL (the same value that was signed) and refuses to take it from us.
      if (name !== 'host') sendHeaders.set(name, value)
    }
    // Uint8Array<ArrayBufferLike> is what callers hold; fetch sends any byte view.
    const body = (out.body ?? null) as BodyInit | null
    return base(out.url.href, { ...out.init, method: out.method, headers: sendHeaders, body })
  }

  const preconnect = (url: string | URL, preconnectOptions?: Parameters<typeof fetch.preconnect>[1]): void => {
    const target = base as Partial<typeof fetch>
    target.preconnect?.(url, preconnectOptions)
  }
  return Object.assign(signedFetch, { preconnect }) as typeof fetch
}
