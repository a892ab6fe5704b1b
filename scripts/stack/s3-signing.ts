// SigV4-signed requests to the stack's S3 server, for the readiness probe (web crypto + @smithy/signature-v4).
import { SignatureV4 } from '@smithy/signature-v4'
import type { StackConfig } from './config.ts'

type SourceData = string | ArrayBuffer | ArrayBufferView

function bytesOf(data: SourceData): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

/** SHA-256, or HMAC-SHA-256 when given a secret: the `Checksum` shape the smithy signer asks for. */
class WebCryptoSha256 {
  private chunks: Uint8Array[] = []
  private readonly secret: Uint8Array | undefined

  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : bytesOf(secret)
  }

  update(data: Uint8Array): void {
    this.chunks.push(data.slice())
  }

  async digest(): Promise<Uint8Array> {
    const message = new Uint8Array(await new Blob(this.chunks as BlobPart[]).arrayBuffer())
    if (this.secret === undefined) return new Uint8Array(await crypto.subtle.digest('SHA-256', message))
    const key = await crypto.subtle.importKey('raw', this.secret as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    return new Uint8Array(await crypto.subtle.sign('HMAC', key, message))
  }

  reset(): void {
    this.chunks = []
  }
}

/** Sends a SigV4-signed request for `path` (e.g. `/warehouse?list-type=2`) to the stack's S3 endpoint. */
export async function signedS3Fetch(config: StackConfig, method: string, pathAndQuery: string, signal?: AbortSignal): Promise<Response> {
  const url = new URL(`http://${config.host}:${config.ports.s3}${pathAndQuery}`)
  const signer = new SignatureV4({
    service: 's3',
    region: config.s3.region,
    credentials: { accessKeyId: config.s3.accessKeyId, secretAccessKey: config.s3.secretAccessKey },
    sha256: WebCryptoSha256,
    // S3 signs the path exactly as sent.
    uriEscapePath: false,
  })
  const query: Record<string, string> = {}
  for (const [key, value] of url.searchParams) query[key] = value
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query,
    headers: { host: url.host },
  })
  return fetch(url, { method, headers: signed.headers, signal })
}
