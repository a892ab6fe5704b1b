/**
 * One attempt to commit one batch, or a backlog of queued batches, as one snapshot: trim what the
 * table already holds, write each batch's Parquet files (named `<its snapshot id>-<attempt>`), and
 * fast-append them under the first batch's snapshot id with the merged markers (markers.ts) in the
 * summary and the table property. The caller owns retries (and keeps a backlog it attempted fixed
 * until it lands, since the snapshot id names the whole of it); the commit loop inside fastAppend
 * (transaction/) owns 409s and unknown outcomes.
 */
import type { Catalog, LoadedTable } from '../catalog/catalog.ts'
import { IngestError } from '../errors.ts'
import { tableName } from '../iceberg/table-identifier.ts'
import type { Schema, TableMetadata } from '../iceberg/types.ts'
import type { ParquetCompression, ParquetCompressors } from '../parquet/data-file.ts'
import type { FileIO } from '../storage/file-io.ts'
import type { BatchEncoder } from '../table/encode-batch.ts'
import { fastAppend } from '../transaction/fast-append.ts'
import { mapConcurrent } from '../async/map-concurrent.ts'
import { batchIsEmpty, type Batch } from './batch-buffer.ts'
import { writeBatchFiles } from './batch-files.ts'
import { selectOrigins, trimCommitted } from './kafka-rows.ts'
import { committedKafkaOffsets, mergedMarkers, OffsetFenceError } from './markers.ts'
import { markerProperties, tableMarkers } from './table-markers.ts'

export interface CommitterOptions {
  catalog: Catalog
  io: FileIO
  walId: string
  compression?: ParquetCompression
  compressors?: ParquetCompressors
  encoder?: BatchEncoder
  log: (line: string) => void
  /** The clock the commit's latency is measured with (default Date.now). */
  now?: () => number
}

export type AttemptOutcome =
  /** The snapshot is in the table: this attempt's, or an earlier one whose answer was lost. */
  /** `commitMs`: how long the commit took once the data files were written (manifests, catalog call, its retries); absent when an earlier attempt's had landed. */
  | { kind: 'committed'; table: LoadedTable; files: number; catalogAttempts: number; commitMs?: number }
  /** Another writer committed everything the batch held: nothing to do. */
  | { kind: 'nothing-left' }
  /** Refused before the commit was sent (offsets fenced, schema or spec changed): reload and attempt again at once. */
  | { kind: 'again'; reason: string }

/** Batches written at once in one attempt: the encoder thread takes them in turn, the writes of one overlap the next's encoding. */
const BATCHES_WRITTEN_AT_ONCE = 2

/**
 * Attempts `batch`, with the queued batches after it (`followers`, oldest first) in the same
 * snapshot, on `table` (the caller's latest metadata). Throws what a retry with backoff may cure:
 * storage and catalog failures, a commit the catalog refused.
 */
export async function attemptCommit(options: CommitterOptions, table: LoadedTable, batch: Batch, followers: readonly Batch[] = []): Promise<AttemptOutcome> {
  // A retry after an unknown outcome: the snapshot may have landed already (with every follower: the caller kept them fixed).
  if (table.metadata.snapshots.some((s) => s['snapshot-id'] === batch.snapshotId)) return { kind: 'committed', table, files: 0, catalogAttempts: 1 }
  const batches = [batch, ...followers]
  for (const each of batches) trimBatch(options, table, each)
  if (batches.every(batchIsEmpty)) return { kind: 'nothing-left' }
  const dataFiles = (await mapConcurrent(batches, BATCHES_WRITTEN_AT_ONCE, (each) => writeBatchFiles(options, table.metadata, each))).flat()
  // The markers of the metadata each catalog attempt builds on, advanced by each batch in turn, into its summary and the table property alike.
  const markers = (metadata: TableMetadata) => batches.reduce((merged, each) => mergedMarkers(merged, options.walId, each.markers), tableMarkers(metadata).markers)
  const now = options.now ?? Date.now
  const commitStartedAt = now()
  try {
    const result = await fastAppend(
      { catalog: options.catalog, io: options.io, table, log: options.log },
      {
        dataFiles,
        snapshotId: batch.snapshotId,
        // New files go into the table's current schema and spec, whoever changed them.
        requireCurrentLayout: true,
        summary: (_parent, metadata) => markers(metadata),
        properties: (_parent, metadata) => markerProperties(markers(metadata), batch.snapshotId),
      },
    )
    return { kind: 'committed', table: result.table, files: dataFiles.length, catalogAttempts: result.attempts, commitMs: now() - commitStartedAt }
  } catch (error) {
    const fenced = error instanceof OffsetFenceError
    // Another engine changed the schema or partition spec: the files must be written again in the new layout.
    const relayout = error instanceof IngestError && error.code === 'SCHEMA_CHANGED'
    if (!fenced && !relayout) throw error
    // Raised before the commit request was sent, so these files are referenced by nothing.
    await Promise.allSettled(dataFiles.map((f) => options.io.delete(f['file-path'])))
    return { kind: 'again', reason: `${error.message}; ${fenced ? 'trimming the batch to what the table lacks' : 'writing the batch again'}` }
  }
}

/** Drops rows whose Kafka offsets the table already holds (another worker committed them). */
export function trimBatch(options: CommitterOptions, table: LoadedTable, batch: Batch): void {
  const markers = tableMarkers(table.metadata).markers
  const kept = trimCommitted(batch.origins, batch.markers, (topic) => committedKafkaOffsets(markers, topic))
  if (!kept) return
  const dropped = batch.columns.length - kept.length
  batch.columns = batch.columns.select(kept)
  const deletes = batch.deletes
  if (deletes) batch.deletes = new Set(kept.flatMap((old, i) => (deletes.has(old) ? [i] : [])))
  batch.origins = selectOrigins(batch.origins, kept)
  if (dropped) options.log(`table ${tableName(table.identifier)}: dropped ${dropped} rows another writer already committed`)
}
