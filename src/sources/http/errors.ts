/** Errors the HTTP source raises, and the one mapping from error codes to HTTP statuses that `onError` uses. */
import { IngestError, type IngestErrorOptions } from '../../errors.ts'

/**
 * Codes:
 * - `UNAUTHORIZED`            no or wrong bearer token (401; context.presented says whether a token was sent)
 * - `UNSUPPORTED_MEDIA_TYPE`  Content-Type is not JSON or NDJSON (415)
 * - `PAYLOAD_TOO_LARGE`       body above maxBodyBytes (413)
 * - `INVALID_BODY`            the body is not UTF-8, or (for application/json) not a JSON object or array (400)
 * - `INVALID_REQUEST`         a bad table address or Idempotency-Key header (400)
 * - `NO_ROUTE`                POST /v1/records on a worker without a field route serving HTTP (404)
 */
export type HttpErrorCode = 'UNAUTHORIZED' | 'UNSUPPORTED_MEDIA_TYPE' | 'PAYLOAD_TOO_LARGE' | 'INVALID_BODY' | 'INVALID_REQUEST' | 'NO_ROUTE'

export class HttpRequestError extends IngestError {
  constructor(code: HttpErrorCode, message: string, options: IngestErrorOptions = {}) {
    super(code, message, options)
  }
}

/**
 * Codes whose status is not 500. WAL_FULL, WAL_DISK_FULL and BACKPRESSURE are load shedding: the client retries
 * after Retry-After. Why 503 and not 507 for a full disk: it is as passing as WAL_FULL (space returns once the
 * batcher commits and truncates), and 503 + Retry-After is what clients already retry; the code says which.
 */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  INVALID_BODY: 400,
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  NO_SUCH_TABLE: 404,
  NO_SUCH_NAMESPACE: 404,
  NO_ROUTE: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  WAL_FULL: 503,
  WAL_DISK_FULL: 503,
  BACKPRESSURE: 503,
  SCHEMA_CHANGE_FAILED: 503,
  TABLE_UNAVAILABLE: 503,
}

/** The HTTP status for an error: by IngestError code, else 500. */
export function statusOf(error: unknown): number {
  if (error instanceof IngestError) return STATUS_BY_CODE[error.code] ?? 500
  return 500
}
