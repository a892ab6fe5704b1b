/** Errors of row-level deletes (planning, reading, writing, committing them): one subclass of the error base, by `code`. */
import { IngestError, type IngestErrorOptions } from '../errors.ts'

/**
 * Codes:
 * - `POSITIONS_INVALID`       deleted positions that are not non-negative integers, past a file's rows, or none at all
 * - `DELETE_FILE_INVALID`     a position-delete file or DV that cannot be read (the message names it)
 * - `EQUALITY_DELETES`        an equality-delete file applies to a data file: not supported (the message names it)
 * - `DATA_FILE_GONE`          deletes reference a data file a concurrent commit removed (e.g. compaction): the rows
 *                             live on in another file, so the deletes must be computed again, not committed
 * - `DATA_FILE_NOT_LIVE`      deletes reference a data file that is not live in the table
 * - `FORMAT_VERSION`          the table's format version cannot take this kind of delete
 */
export type DeleteErrorCode = 'POSITIONS_INVALID' | 'DELETE_FILE_INVALID' | 'EQUALITY_DELETES' | 'DATA_FILE_GONE' | 'DATA_FILE_NOT_LIVE' | 'FORMAT_VERSION'

export class DeleteError extends IngestError {
  constructor(code: DeleteErrorCode, message: string, options: IngestErrorOptions = {}) {
    super(code, message, options)
  }
}
