/** Errors of the Puffin and deletion-vector codecs: one subclass of the toolkit's error base, told apart by `code`. */
import { IngestError, type IngestErrorOptions } from '../errors.ts'

/**
 * Codes:
 * - `PUFFIN_INVALID`           not a Puffin file: magic, footer size or footer JSON wrong (the message says which)
 * - `PUFFIN_UNSUPPORTED`       a valid file using what this codec does not read (a compressed footer or blob)
 * - `ROARING_INVALID`          a portable Roaring bitmap that is truncated or inconsistent
 * - `DELETION_VECTOR_INVALID`  a `deletion-vector-v1` blob with a wrong length, magic or CRC
 */
export type PuffinErrorCode = 'PUFFIN_INVALID' | 'PUFFIN_UNSUPPORTED' | 'ROARING_INVALID' | 'DELETION_VECTOR_INVALID'

export class PuffinError extends IngestError {
  constructor(code: PuffinErrorCode, message: string, options: IngestErrorOptions = {}) {
    super(code, message, options)
  }
}
