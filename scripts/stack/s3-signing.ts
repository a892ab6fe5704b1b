// SigV4-signed requests to the stack's S3 server, for the readiness probe and the smoke test (web crypto + @smithy/signature-v4).
import { SignatureV4 } from '@smithy/signature-v4'
import { Sha256 } from '../../src/auth/sha256.ts'
import type { StackConfig } from './config.ts'

export interface S3Credentials {
  region: string
  accessKeyId: string
  secretAccessKey: string
}

/** The headers of a SigV4-signed S3 request for `url` (query included); a text `body` is signed as text/plain. */
export async function signedS3Headers(credentials: S3Credentials, method: string, url: URL, body?: string): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: 's3',
    region: credentials.region,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
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
    headers: { host: url.host, ...(body === undefined ? {} : { 'content-type': 'text/plain' }) },
    ...(body === undefined ? {} : { body }),
  })
  return signed.headers
}

/** Sends a SigV4-signed request for `path` (e.g. `/warehouse?list-type=2`) to the stack's S3 endpoint. */
export async function signedS3Fetch(config: StackConfig, method: string, pathAndQuery: string, signal?: AbortSignal): Promise<Response> {
  const url = new URL(`http://${config.host}:${config.ports.s3}${pathAndQuery}`)
  return fetch(url, { method, headers: await signedS3Headers(config.s3, method, url), signal })
}
