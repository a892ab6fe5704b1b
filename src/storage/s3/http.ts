/**
 * One S3 call = signed fetch + per-attempt timeout + retries, ending in a whole response or a
 * StorageError that names method, location, status and S3's error Code and Message.
 */
import { StorageError } from '../../errors.ts'
import type { FetchLike } from '../../auth/sigv4.ts'
import { withRetry, type RetryHooks, type RetryPolicy } from '../retry.ts'
import { xmlText } from './xml.ts'

export interface S3Call {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE'
  url: string
  /** `s3://bucket/key` for messages. */
  location: string
  headers?: Record<string, string>
  body?: Uint8Array | string
  /** Statuses besides 2xx handed back instead of thrown (404 for get/head/delete). */
  accept?: readonly number[]
  /** Runs inside the attempt, so an error it returns is retried when retryable (200 + `<Error>`). */
  check?: (response: S3Response, attempt: number) => StorageError | undefined
}

export interface S3Response {
  status: number
  headers: Headers
  body: Uint8Array
}

export interface S3Transport {
  /** Signed fetch. */
  fetch: FetchLike
  requestTimeoutMs: number
  retry: RetryPolicy
  hooks?: RetryHooks
}

export interface S3ErrorBody {
  code?: string
  message?: string
  requestId?: string
}

const decoder = new TextDecoder()

export function parseS3Error(body: Uint8Array): S3ErrorBody {
  const xml = decoder.decode(body)
  return { code: xmlText(xml, 'Code'), message: xmlText(xml, 'Message'), requestId: xmlText(xml, 'RequestId') }
}

/** S3 error codes that mean "try again" whatever status carries them (even a 200; see multipart). */
const TRANSIENT_CODES = new Set(['RequestTimeout', 'SlowDown', 'InternalError', 'ServiceUnavailable'])

/**
 * Server trouble and throttling (5xx, 503 SlowDown, 429) and timeouts (408, and S3's 400
 * RequestTimeout, which the AWS SDKs also treat as transient) are worth another try; any
 * other 4xx is an answer that will not change.
 */
export function isRetryableAnswer(status: number, code?: string): boolean {
  return status >= 500 || status === 408 || status === 429 || (code !== undefined && TRANSIENT_CODES.has(code))
}

/** The StorageError for an S3 error answer (any status, including 200 with an `<Error>` body). */
export function s3Error(call: S3Call, status: number, error: S3ErrorBody, attempt: number): StorageError {
  const detail = [error.code, error.message].filter((part) => part !== undefined).join(': ')
  return new StorageError(`S3 ${call.method} ${call.location} failed with ${status}${detail ? ` ${detail}` : ''}`, {
    status,
    retryable: isRetryableAnswer(status, error.code),
    context: { method: call.method, location: call.location, s3Code: error.code, s3Message: error.message, requestId: error.requestId, attempt },
  })
}

function transportError(call: S3Call, cause: unknown, timedOut: boolean, timeoutMs: number, attempt: number): StorageError {
  const reason = timedOut ? `no complete response within ${timeoutMs} ms` : cause instanceof Error ? cause.message : String(cause)
  return new StorageError(`S3 ${call.method} ${call.location} failed: ${reason}`, {
    code: timedOut ? 'TIMEOUT' : 'STORAGE',
    retryable: true,
    cause,
    context: { method: call.method, location: call.location, attempt },
  })
}

/**
 * Sends `call`, retrying retryable failures with backoff. The timeout covers the whole attempt,
 * body included, so a stalled download is retried too.
 * @throws StorageError (code STORAGE, or TIMEOUT when the last attempt timed out) with `status` when S3 answered.
 */
export async function sendS3(transport: S3Transport, call: S3Call): Promise<S3Response> {
  return withRetry(
    async (attempt) => {
      const signal = AbortSignal.timeout(transport.requestTimeoutMs)
      let response: S3Response
      try {
        // Uint8Array<ArrayBufferLike> is what the port takes; fetch sends any byte view.
        const body = call.body as BodyInit | undefined
        const res = await transport.fetch(call.url, { method: call.method, headers: call.headers, body, signal })
        response = { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) }
      } catch (cause) {
        throw transportError(call, cause, signal.aborted, transport.requestTimeoutMs, attempt)
      }
      const ok = (response.status >= 200 && response.status < 300) || call.accept?.includes(response.status) === true
      if (!ok) throw s3Error(call, response.status, parseS3Error(response.body), attempt)
      const failure = call.check?.(response, attempt)
      if (failure) throw failure
      return response
    },
    transport.retry,
    transport.hooks,
  )
}
