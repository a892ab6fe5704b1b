/** Errors the write-ahead log throws: `WalError` with a stable code, and `WalFullError` for back-pressure. */

import { IngestError, type IngestErrorOptions } from '../errors.ts'

/**
 * Codes:
 * - `WAL_IO`           a file-system call failed (the message names the file and the call)
 * - `WAL_FAILED`       an earlier write or fsync failed; the log refuses further appends until reopened
 * - `WAL_CLOSED`       the log was closed
 * - `WAL_CORRUPT`      segments contradict each other, or a segment changed on disk after it was validated
 * - `WAL_RECORD_SIZE`  an empty payload, or one above the maximum record size
 */
export type WalErrorCode = 'WAL_IO' | 'WAL_FAILED' | 'WAL_CLOSED' | 'WAL_CORRUPT' | 'WAL_RECORD_SIZE'

export class WalError extends IngestError {
  constructor(code: WalErrorCode, message: string, options: IngestErrorOptions = {}) {
    super(code, message, options)
  }
}

/** errno codes that mean the file system has no room (ENOSPC) or the user's quota is spent (EDQUOT). */
const NO_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT'])

/** True when `error`, or an error in its cause chain, is a file-system "no space left" failure. */
export function isNoSpace(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && NO_SPACE_CODES.has(code)) return true
  }
  return false
}

/**
 * The disk under the log is full: this append was not written (a part-way write is cut back), and the log
 * keeps working — the next append that fits is written as usual. Retryable: HTTP answers 503 with
 * Retry-After. Unlike WAL_FULL (our own maxBytes cap) this is the file system's ENOSPC/EDQUOT.
 */
export class WalDiskFullError extends IngestError {
  constructor(dir: string, options: { cause?: unknown; retryAfterMs?: number } = {}) {
    // The message goes to HTTP clients: it names no path (the context does, for the log).
    super('WAL_DISK_FULL', 'write-ahead log disk is full (no space left on device): records not accepted, retry later', {
      retryable: true,
      cause: options.cause,
      context: { dir, ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }) },
    })
  }
}

/**
 * The log holds `maxBytes` already: accepting the incoming records would exceed it. Retryable — space comes back
 * once the batcher commits and truncates; HTTP answers 503 with Retry-After.
 */
export class WalFullError extends IngestError {
  constructor(bytes: number, incoming: number, maxBytes: number) {
    super('WAL_FULL', `write-ahead log full: ${bytes} bytes held + ${incoming} incoming > max ${maxBytes}`, {
      retryable: true,
      context: { bytes, incoming, maxBytes },
    })
  }
}
