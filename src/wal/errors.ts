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
