// SigV4-signed requests to the stack's S3 server, for the readiness probe (web crypto + @smithy/signature-v4).
import { SignatureV4 } from '@smithy/signature-v4'
import { Sha256 } from '../../src/auth/sha256.ts'
import type { StackConfig } from './config.ts'

/** Sends a SigV4-signed request for `path` (e.g. `/warehouse?list-type=2`) to the stack's S3 endpoint. */
export async function signedS3Fetch(config: StackConfig, method: string, pathAndQuery: string, signal?: AbortSignal): Promise<Response> {
  const url = new URL(`http://${config.host}:${config.ports.s3}${pathAndQuery}`)
  const signer = new SignatureV4({
    service: 's3',
    region: config.s3.region,
    credentials: { accessKeyId: config.s3.accessKeyId, secretAccessKey: config.s3.secretAccessKey },
    sha256: Sha256,
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
