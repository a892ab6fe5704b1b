/**
 * A batch's Parquet files, written in the table's current layout and named `<snapshot id>-<attempt>`
 * (fixed by the batch, not by time, so a replayed attempt writes the same keys), without a commit:
 * what a shared commit (shared-commit.ts) writes before it hands the files over or folds them in.
 */
import { evolveRows } from '../iceberg/row-evolution.ts'
import { currentSchema } from '../iceberg/table-metadata.ts'
import type { DataFile, TableMetadata } from '../iceberg/types.ts'
import { writeDataFiles } from '../table/write-data-files.ts'
import type { Batch } from './batch-buffer.ts'
import type { CommitterOptions } from './batch-committer.ts'

/** Writes `batch`'s rows (none: no file) for `metadata`'s current schema and spec; counts the attempt. Throws what storage throws. */
export async function writeBatchFiles(options: CommitterOptions, metadata: TableMetadata, batch: Batch): Promise<DataFile[]> {
  const attempt = batch.attempts++
  if (!batch.columns.length) return []
  return writeDataFiles({
    io: options.io,
    metadata,
    // Columns go to the encoder as they are; rows of an older schema are carried over one by one.
    rows: batch.rowSchema['schema-id'] === currentSchema(metadata)['schema-id'] ? batch.columns : evolveRows(batch.rows, batch.rowSchema, currentSchema(metadata)),
    fileStem: `${batch.snapshotId}-${attempt}`,
    compression: options.compression,
    compressors: options.compressors,
    ...(options.encoder ? { encoder: options.encoder } : {}),
  })
}
