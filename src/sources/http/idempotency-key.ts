/** The Idempotency-Key header's shape and what binds a key to its request (the body's SHA-256). Edge-safe. */
import { HttpRequestError } from './errors.ts'

/** Printable ASCII without spaces, as the IETF Idempotency-Key draft's examples use; long enough for any UUID or hash. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/

/** Hex SHA-256 of a request body: what binds an Idempotency-Key to its request. */
export async function bodyFingerprint(body: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body))
  let hex = ''
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0')
  return hex
}

/** The request's Idempotency-Key header, if sent; throws HttpRequestError INVALID_REQUEST for one of the wrong shape. */
export function requestIdempotencyKey(header: string | undefined): string | undefined {
  if (header !== undefined && !IDEMPOTENCY_KEY.test(header)) {
    throw new HttpRequestError('INVALID_REQUEST', 'Idempotency-Key must be 1-255 printable ASCII characters without spaces')
  }
  return header
}
