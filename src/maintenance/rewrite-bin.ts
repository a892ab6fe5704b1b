/**
 * One compaction bin: read its files, drop the rows their deletion vectors and position deletes remove,
 * write the rest as one Parquet file, and prove the rewrite kept every surviving row: record counts
 * match the manifests, and the new file read back has the same row digest as the surviving input rows
 * (order-independent, every column of every row). On a v3 table each row's `_row_id` and
 * `_last_updated_sequence_number` are written into the new file (spec "Row Lineage": moved rows keep them).
 */
import { LAST_UPDATED_SEQUENCE_NUMBER_FIELD, materializeRowLineage, ROW_ID_FIELD, schemaWithRowLineage } from '../iceberg/row-lineage.ts'
import { partitionPath } from '../iceberg/transforms.ts'
import type { DataFile, IcebergValue, PartitionSpec, Schema, TableMetadata } from '../iceberg/types.ts'
import { writeDataFile, type ParquetCompression, type ParquetCompressors, type WrittenDataFile } from '../parquet/data-file.ts'
import type { Decompressors } from '../parquet/read.ts'
import type { FileIO } from '../storage/file-io.ts'
import { dataLocation } from '../table/write-data-files.ts'
import { MaintenanceError } from './errors.ts'
import { mapConcurrent } from '../async/map-concurrent.ts'
import { digestColumns, emptyDigest, readDataFileColumns, sameDigest, type DataFileColumns } from './parquet-rows.ts'

export interface RewriteBinOptions {
  io: FileIO
  metadata: TableMetadata
  schema: Schema
  spec: PartitionSpec
  partition: IcebergValue[]
  inputs: DataFile[]
  /** Deleted positions (ascending) by input location; inputs without deletes are absent. */
  deleted?: ReadonlyMap<string, readonly number[]>
  /** v3 tables: each input's data sequence number by location, so the rewrite can keep its rows' lineage. */
  sequences?: ReadonlyMap<string, number>
  location: string
  compression: ParquetCompression
  compressors?: ParquetCompressors
  decompressors?: Decompressors
  /** Re-read the new file and compare row digests (default true). */
  verify?: boolean
  /** Input files read at once. */
  concurrency?: number
  /** Where the decoding, merging and encoding run (default: this thread, `compactBin`). */
  compactor?: BinCompactor
}

/** One bin's CPU work, without I/O: the input files' bytes in, the merged file's bytes out. */
export interface CompactBinInput {
  schema: Schema
  /**
   * `deleted`: the positions (ascending) of rows that are deleted and not carried over. `lineage` (v3 tables): the
   * file's first-row-id and data sequence number, from which rows without written lineage values get theirs.
   */
  inputs: { location: string; bytes: Uint8Array; recordCount: number; deleted?: readonly number[]; lineage?: { firstRowId?: bigint; sequenceNumber?: number } }[]
  /** v3 tables: read and write the row-lineage columns too (row-lineage.ts). */
  rowLineage?: boolean
  /** Where the output will be written (named in errors). */
  location: string
  compression: ParquetCompression
  verify: boolean
}

/** Runs compactBin somewhere (this thread, or the worker's encoder thread); compressors are its own. */
export type BinCompactor = (input: CompactBinInput) => Promise<WrittenDataFile>

/** Where a compacted file of this partition goes: `<data>/<partition path>/<name>`. */
export function compactedLocation(metadata: TableMetadata, spec: PartitionSpec, schema: Schema, partition: IcebergValue[], name: string): string {
  const base = dataLocation(metadata)
  return spec.fields.length ? `${base}/${partitionPath(spec, schema, partition)}/${name}` : `${base}/${name}`
}

/**
 * Writes the bin's surviving rows to `options.location` and returns the new DataFile (partition tuple
 * copied from the inputs, metrics from the writer) — or undefined, writing nothing, when every row of
 * the bin is deleted.
 * @throws MaintenanceError `CONTENT_MISMATCH` when counts or the digest differ (nothing is written),
 *   `UNREADABLE_DATA_FILE` when an input cannot be decoded; NotFoundError when an input is gone.
 */
export async function rewriteBin(options: RewriteBinOptions): Promise<DataFile | undefined> {
  const { io, schema, inputs } = options
  const deletedOf = (file: DataFile) => options.deleted?.get(file['file-path'])
  if (inputs.every((file) => (deletedOf(file)?.length ?? 0) >= file['record-count'])) return undefined
  const rowLineage = options.metadata['format-version'] >= 3
  const read = await mapConcurrent(inputs, options.concurrency ?? 8, async (file) => {
    const deleted = deletedOf(file)
    const sequenceNumber = options.sequences?.get(file['file-path'])
    const lineage = rowLineage ? { ...(file['first-row-id'] !== undefined ? { firstRowId: file['first-row-id'] } : {}), ...(sequenceNumber !== undefined ? { sequenceNumber } : {}) } : undefined
    return { location: file['file-path'], bytes: await io.read(file['file-path']), recordCount: file['record-count'], ...(deleted?.length ? { deleted } : {}), ...(lineage ? { lineage } : {}) }
  })
  const input: CompactBinInput = { schema, inputs: read, location: options.location, compression: options.compression, verify: options.verify ?? true, ...(rowLineage ? { rowLineage } : {}) }
  const compact = options.compactor ?? ((bin: CompactBinInput) => compactBin(bin, options.compressors, options.decompressors))
  const { bytes, metrics } = await compact(input)
  await io.write(options.location, bytes)
  return { content: 0, 'file-path': options.location, 'file-format': 'PARQUET', partition: options.partition, ...metrics }
}

/**
 * Decodes the inputs, checks their counts, merges their rows into one Parquet file and (with
 * `verify`) reads it back to compare row digests.
 * @throws MaintenanceError `CONTENT_MISMATCH`, `UNREADABLE_DATA_FILE` (see rewriteBin).
 */
export async function compactBin(input: CompactBinInput, compressors?: ParquetCompressors, decompressors?: Decompressors): Promise<WrittenDataFile> {
  // With row lineage the two metadata columns are read, filled, written and verified like any other column.
  const schema = input.rowLineage ? schemaWithRowLineage(input.schema) : input.schema
  const inputDigest = emptyDigest()
  const merged: DataFileColumns = { columns: {}, rowCount: 0 }
  for (const field of schema.fields) merged.columns[field.name] = []
  for (const file of input.inputs) {
    const part = await readDataFileColumns(file.bytes, schema, file.location, decompressors)
    if (part.rowCount !== file.recordCount) {
      throw new MaintenanceError('CONTENT_MISMATCH', `${file.location} holds ${part.rowCount} rows, its manifest entry says ${file.recordCount}`, {
        context: { location: file.location },
      })
    }
    if (input.rowLineage) {
      // before deletes are dropped: ids come from positions in the file as written
      materializeRowLineage(part.columns[ROW_ID_FIELD.name] as (bigint | null)[], part.columns[LAST_UPDATED_SEQUENCE_NUMBER_FIELD.name] as (bigint | null)[], file.lineage ?? {})
    }
    const surviving = file.deleted?.length ? withoutPositions(part, file.deleted) : part
    digestColumns(inputDigest, schema, surviving)
    for (const field of schema.fields) {
      const target = merged.columns[field.name]!
      for (const value of surviving.columns[field.name]!) target.push(value)
    }
    merged.rowCount += surviving.rowCount
  }
  const written = writeDataFile({
    schema,
    columns: merged.columns,
    rowCount: merged.rowCount,
    compression: input.compression,
    ...(compressors ? { compressors } : {}),
  })
  if (input.verify) {
    // Why: the old files are deleted from the table by this commit (and from storage at expiry);
    // a rewrite that lost or changed a value must never get that far.
    const readBack = await readDataFileColumns(written.bytes, schema, input.location, decompressors)
    const outputDigest = digestColumns(emptyDigest(), schema, readBack)
    if (!sameDigest(inputDigest, outputDigest)) {
      throw new MaintenanceError(
        'CONTENT_MISMATCH',
        `rewrite of ${input.inputs.length} files into ${input.location} changed the rows (${inputDigest.rows} rows in, ${outputDigest.rows} read back, digests differ)`,
        { context: { location: input.location } },
      )
    }
  }
  return written
}

/** The rows of `data` except those at `deleted` (ascending positions). */
function withoutPositions(data: DataFileColumns, deleted: readonly number[]): DataFileColumns {
  const keep: number[] = []
  let d = 0
  for (let r = 0; r < data.rowCount; r++) {
    while (d < deleted.length && deleted[d]! < r) d++
    if (d >= deleted.length || deleted[d] !== r) keep.push(r)
  }
  const columns: DataFileColumns['columns'] = {}
  for (const [name, values] of Object.entries(data.columns)) columns[name] = keep.map((r) => values[r]!)
  return { columns, rowCount: keep.length }
}
