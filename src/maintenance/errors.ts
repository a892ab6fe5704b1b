/** Maintenance errors: one subclass of the toolkit's error base, told apart by `code`. */
import { IngestError, type IngestErrorOptions } from '../errors.ts'

/**
 * A maintenance operation stopped without changing the table. Codes:
 * `NO_SNAPSHOT` (the table has no data yet), `FILES_GONE` (a file to replace was removed by a
 * concurrent commit), `MANIFESTS_GONE` (a manifest to merge was replaced concurrently),
 * `DELETE_FILES_PRESENT` (equality deletes would have to be applied, not supported),
 * `CONTENT_MISMATCH` (rewritten rows differ from the input rows), `UNREADABLE_DATA_FILE`,
 * `PREFIX_MISMATCH` (a listing does not show the table's own files: deleting would be unsafe).
 */
export class MaintenanceError extends IngestError {
  constructor(code: string, message: string, options: IngestErrorOptions = {}) {
    super(code, message, options)
  }
}
