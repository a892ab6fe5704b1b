/**
 * Row-level deletes in one place: what an upsert or CDC writer calls, and how to learn what a table already deletes.
 *
 * Write — `commitRowDelta(context, request)` (src/transaction/row-delta.ts): new data files plus deleted positions
 * per live data file, committed as one snapshot (`append` / `delete` / `overwrite`). On a v3 table each data file
 * gets one deletion vector (Puffin `deletion-vector-v1`), an existing one merged in and removed; on v2 one
 * position-delete file per partition. Markers go in `request.summary(parent, metadata)` like fastAppend's. Throws
 * DeleteError `DATA_FILE_GONE` when a concurrent commit (compaction) removed a data file it deletes from, and
 * `DATA_FILE_NOT_LIVE` when the file was never live: in both cases the key → file + position mapping is stale, so
 * rebuild it from the table and compute the deletes again (committing anyway would leave the rows alive elsewhere).
 *
 * Read — `planScan({io, metadata})` gives each live data file with the deletes that apply to it (`files[i].deletes`,
 * by the spec's sequence-number rules); `createDeleteLoader(io).positions(path, deletes)` reads their positions,
 * ascending. A key index rebuilt from the table reads each data file's keys and skips those positions.
 */
export { commitRowDelta, type RowDeltaContext, type RowDeltaRequest, type RowDeltaResult } from '../transaction/row-delta.ts'
export { createDeleteLoader, type DeleteLoader } from './delete-loader.ts'
export { buildDeleteIndex, type ApplicableDeletes, type DeleteIndex, type LiveFile } from './delete-index.ts'
export { DeleteError, type DeleteErrorCode } from './errors.ts'
export { isDeletionVector } from './position-delete-file.ts'
