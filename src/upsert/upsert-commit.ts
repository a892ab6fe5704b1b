/**
 * One attempt to commit one batch of an upsert table as one snapshot (the upsert counterpart of
 * batcher/batch-committer.ts attemptCommit, which the batcher calls instead for these tables):
 *
 *   1. trim what the table already holds (Kafka offsets another worker committed), as appends do;
 *   2. sync the key index to the snapshot the attempt builds on, and resolve the batch against it:
 *      last change per key wins; every key whose live row is in a data file has that position deleted;
 *   3. write the new images as data files, and commit them, the deletes (deletion vectors on v3,
 *      position-delete files on v2) and the markers in ONE snapshot (row delta);
 *   4. advance the index by what the snapshot did.
 *
 * The resolution holds only for the snapshot it was made against: if the table moved on before the
 * commit (a 409 — another writer, a compaction that rewrote the files holding our keys), the commit
 * is abandoned before it is sent and the batch attempted again on the new snapshot, resolved afresh,
 * so a delete never points at a rewritten file and a deleted key never comes back. A crash between
 * write and commit leaves only unreferenced files: the batch's offsets (or WAL entries) are not in
 * the table's markers, so it is resolved and written again on restart.
 */
import type { Catalog, LoadedTable } from '../catalog/catalog.ts'
import { IngestError } from '../errors.ts'
import { evolveRows } from '../iceberg/row-evolution.ts'
import { tableName } from '../iceberg/table-identifier.ts'
import { currentSchema, defaultSpec } from '../iceberg/table-metadata.ts'
import type { DataFile, Snapshot, TableMetadata } from '../iceberg/types.ts'
import type { FileIO } from '../storage/file-io.ts'
import { writeDataFiles } from '../table/write-data-files.ts'
import { batchIsEmpty, type Batch } from '../batcher/batch-buffer.ts'
import { trimBatch, type AttemptOutcome, type CommitterOptions } from '../batcher/batch-committer.ts'
import { mergedMarkers, OffsetFenceError } from '../batcher/markers.ts'
import { markerProperties, tableMarkers } from '../batcher/table-markers.ts'
import { type BatchChanges, resolveBatch, rowPositions } from './batch-resolution.ts'
import type { UpsertTable } from './upsert-table.ts'

/** What the row-delta commit (transaction/) is asked: new data files and deleted positions, in one snapshot. */
export interface RowDeltaRequest {
  dataFiles: DataFile[]
  /** Data file path → sorted positions to delete in it. */
  deletes: ReadonlyMap<string, readonly number[]>
  snapshotId: bigint
  requireCurrentLayout: boolean
  summary: (parent: Snapshot | undefined, metadata: TableMetadata) => Record<string, string>
  properties: (parent: Snapshot | undefined, metadata: TableMetadata) => Record<string, string>
}

export interface RowDeltaResult {
  table: LoadedTable
  attempts: number
  /** The delete files the snapshot added (DVs or position-delete files). */
  deleteFiles: DataFile[]
  /** DVs the snapshot replaced by merged ones. */
  removedDeleteFiles: DataFile[]
}

export type RowDeltaCommit = (context: { catalog: Catalog; io: FileIO; table: LoadedTable; log: (line: string) => void }, request: RowDeltaRequest) => Promise<RowDeltaResult>

/** The snapshot a batch was resolved against is no longer the table's current one: resolve it again (code UPSERT_BASE_MOVED). */
export class UpsertBaseMovedError extends IngestError {
  constructor(table: string, resolvedAt: bigint | undefined, current: bigint | undefined) {
    super('UPSERT_BASE_MOVED', `table ${table}: the batch was resolved against snapshot ${resolvedAt ?? 'none'}, the table is at ${current ?? 'none'} now; resolving it again`, {
      retryable: true,
      context: { resolvedAt: String(resolvedAt), current: String(current) },
    })
  }
}

export interface UpsertCommitterOptions extends CommitterOptions {
  upsert: UpsertTable
  rowDelta: RowDeltaCommit
}

/** Attempts `batch` on `table` (see the module comment). Throws what a retry with backoff may cure. */
export async function attemptUpsertCommit(options: UpsertCommitterOptions, table: LoadedTable, batch: Batch): Promise<AttemptOutcome> {
  const { upsert } = options
  if (table.metadata.snapshots.some((s) => s['snapshot-id'] === batch.snapshotId)) {
    upsert.landedUnseen()
    return { kind: 'committed', table, files: 0, catalogAttempts: 1 }
  }
  trimBatch(options, table, batch)
  if (batchIsEmpty(batch)) return { kind: 'nothing-left' }
  const metadata = table.metadata
  const name = tableName(table.identifier)
  const base = metadata['current-snapshot-id']
  const index = await upsert.synced(metadata)
  const resolution = resolveBatch(upsert.key, batchChanges(batch), index)
  const schema = currentSchema(metadata)
  const rows = evolveRows(resolution.rows, batch.rowSchema, schema)
  const attempt = batch.attempts++
  const dataFiles = rows.length
    ? await writeDataFiles({
        io: options.io,
        metadata,
        rows,
        fileStem: `${batch.snapshotId}-${attempt}`,
        compression: options.compression,
        compressors: options.compressors,
        ...(options.encoder ? { encoder: options.encoder } : {}),
      })
    : []
  const positions = rowPositions(schema, defaultSpec(metadata), rows, dataFiles)
  const markers = (metadata: TableMetadata) => mergedMarkers(tableMarkers(metadata).markers, options.walId, batch.markers)
  try {
    const result = await options.rowDelta(
      { catalog: options.catalog, io: options.io, table, log: options.log },
      {
        dataFiles,
        deletes: resolution.deletes,
        snapshotId: batch.snapshotId,
        requireCurrentLayout: true,
        summary: (parent, metadata) => {
          // Before anything is sent on a parent other than the one resolved against (after a 409).
          if (parent?.['snapshot-id'] !== base) throw new UpsertBaseMovedError(name, base, parent?.['snapshot-id'])
          return { ...markers(metadata), 'ingest.upsert.changes': String(resolution.changes), 'ingest.upsert.deleted-keys': String(resolution.deletedKeys.length) }
        },
        properties: (_parent, metadata) => markerProperties(markers(metadata), batch.snapshotId),
      },
    )
    upsert.committed(batch.snapshotId, resolution, positions, result.deleteFiles, result.removedDeleteFiles)
    return { kind: 'committed', table: result.table, files: dataFiles.length, catalogAttempts: result.attempts }
  } catch (error) {
    // DATA_FILE_GONE: the row delta's own check, on every attempt before our parent check, that each file we delete from is still live.
    const moved = error instanceof UpsertBaseMovedError || (error instanceof IngestError && error.code === 'DATA_FILE_GONE')
    const fenced = error instanceof OffsetFenceError
    const relayout = error instanceof IngestError && error.code === 'SCHEMA_CHANGED'
    if (!moved && !fenced && !relayout) throw error
    // Refused before this attempt's request was sent; an earlier attempt of the same commit loop was
    // refused too (its parent is gone), so nothing references these files.
    await Promise.allSettled(dataFiles.map((f) => options.io.delete(f['file-path'])))
    return { kind: 'again', reason: error.message }
  }
}

/** The batch's changes in order: rows are held as columns (batch-buffer.ts), their delete marks as row indexes. */
function batchChanges(batch: Batch): BatchChanges {
  const { columns, deletes } = batch
  return { length: columns.length, row: (i) => columns.row(i), deleted: (i) => deletes?.has(i) === true }
}
