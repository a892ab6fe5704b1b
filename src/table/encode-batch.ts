/**
 * A batch of rows → encoded Parquet files, grouped by partition and split at the target file size.
 * Pure CPU work with no I/O, so a host can run it off the main thread (src/worker/parquet-encoder.ts)
 * while the caller uploads and commits what comes back. The batch is columnar (one array per
 * top-level field): that is what the Parquet writer consumes, and arrays of values cross a thread
 * boundary far more cheaply than row objects.
 */
import { partitionValues } from '../iceberg/transforms.ts'
import type { IcebergValue, PartitionSpec, Row, Schema } from '../iceberg/types.ts'
import { estimateRowBytes, writeDataFile, type ParquetCompression, type ParquetCompressors, type WrittenDataFile } from '../parquet/data-file.ts'
import { RowColumns } from './row-columns.ts'

export interface EncodeBatchInput {
  schema: Schema
  spec: PartitionSpec
  /** Row objects, or rows already held as columns (a batch's buffer, row-columns.ts) keyed by `schema`'s names. */
  rows: readonly Row[] | RowColumns
  compression: ParquetCompression
  /** A file rolls over once its rows' estimated uncompressed bytes reach this. */
  targetFileBytes: number
}

/** The same batch in columns: one array per top-level field of `schema`, in field order, each `rowCount` long. */
export type ColumnBatch = Omit<EncodeBatchInput, 'rows'> & { columns: unknown[][]; rowCount: number }

export interface EncodedPartition {
  /** The partition tuple, in spec field order (empty for an unpartitioned table). */
  partition: IcebergValue[]
  files: WrittenDataFile[]
}

/** Encodes a batch; the compressors are the encoder's own (functions do not cross threads). */
export type BatchEncoder = (input: EncodeBatchInput) => Promise<EncodedPartition[]>

/** rows[start, end) → one array per top-level field, in schema order. */
export function rowsToColumns(schema: Schema, rows: readonly Row[], start = 0, end = rows.length): unknown[][] {
  const names = schema.fields.map((field) => field.name)
  const columns = names.map(() => new Array<unknown>(end - start))
  // Row by row, not column by column: buffered rows lie scattered on the heap, and visiting each
  // once instead of once per field took this from 0.4 to 0.1 µs per row on the Kafka path.
  for (let i = start; i < end; i++) {
    const row = rows[i]!
    for (let j = 0; j < names.length; j++) columns[j]![i - start] = row[names[j]!]
  }
  return columns
}

/** One reusable row object over the columns, so per-row work (partition values, size estimates) allocates nothing. */
function rowView(schema: Schema, columns: unknown[][]): (i: number) => Row {
  const names = schema.fields.map((field) => field.name)
  const view: Row = {}
  return (i) => {
    for (let j = 0; j < names.length; j++) view[names[j]!] = columns[j]![i] as Row[string]
    return view
  }
}

function partitionKey(values: IcebergValue[]): string {
  // Fast path for the common single string or number partition: this runs once per row.
  if (values.length === 1) {
    const value = values[0]
    if (typeof value === 'string') return `s${value}`
    if (typeof value === 'number') return `n${value}`
  }
  return JSON.stringify(values, (_, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Array.from(v) : v))
}

/** Row indexes grouped by partition tuple, in first-seen order; undefined indexes mean "every row". */
function groupByPartition(input: ColumnBatch): { partition: IcebergValue[]; indexes?: number[] }[] {
  const { schema, spec, columns, rowCount } = input
  if (!spec.fields.length) return [{ partition: [] }]
  const row = rowView(schema, columns)
  const groups = new Map<string, { partition: IcebergValue[]; indexes: number[] }>()
  for (let i = 0; i < rowCount; i++) {
    const partition = partitionValues(spec, schema, row(i))
    const key = partitionKey(partition)
    let group = groups.get(key)
    if (!group) groups.set(key, (group = { partition, indexes: [] }))
    group.indexes.push(i)
  }
  // One partition in the whole batch: no need to copy the columns.
  if (groups.size === 1) return [{ partition: [...groups.values()][0]!.partition }]
  return [...groups.values()]
}

function gather(columns: unknown[][], indexes: number[]): unknown[][] {
  return columns.map((column) => {
    const out = new Array<unknown>(indexes.length)
    for (let k = 0; k < indexes.length; k++) out[k] = column[indexes[k]!]
    return out
  })
}

/** [start, end) row ranges, one per file, each closed once its estimated bytes reach the target. */
function fileRanges(schema: Schema, columns: unknown[][], rowCount: number, targetBytes: number): [number, number][] {
  const row = rowView(schema, columns)
  // Most batches are far below the target: a sample says so without visiting every row.
  const samples = Math.min(rowCount, 256)
  let sampled = 0
  for (let s = 0; s < samples; s++) sampled += estimateRowBytes(schema, row(Math.floor((s * rowCount) / samples)))
  if (samples > 0 && (sampled / samples) * rowCount < targetBytes / 2) return [[0, rowCount]]
  const ranges: [number, number][] = []
  let start = 0
  while (start < rowCount) {
    // The estimate is of uncompressed bytes, so files land at or below the target, never far above.
    let end = start
    let bytes = 0
    while (end < rowCount && (end === start || bytes < targetBytes)) bytes += estimateRowBytes(schema, row(end++))
    ranges.push([start, end])
    start = end
  }
  return ranges
}

/**
 * Encodes in this thread, yielding to the event loop between files so requests arriving meanwhile
 * (HTTP acks, Kafka heartbeats) wait for one file's encoding, not the whole batch's.
 */
export function encodeBatch(input: EncodeBatchInput, compressors?: ParquetCompressors): Promise<EncodedPartition[]> {
  const { rows, ...rest } = input
  const columns = rows instanceof RowColumns ? rows.plainColumns() : rowsToColumns(input.schema, rows)
  return encodeColumns({ ...rest, columns, rowCount: rows.length }, compressors)
}

/** encodeBatch for a batch already in columns (what the encoder thread receives). */
export async function encodeColumns(input: ColumnBatch, compressors?: ParquetCompressors): Promise<EncodedPartition[]> {
  const { schema } = input
  const encoded: EncodedPartition[] = []
  for (const { partition, indexes } of groupByPartition(input)) {
    const columns = indexes ? gather(input.columns, indexes) : input.columns
    const rowCount = indexes ? indexes.length : input.rowCount
    const files: WrittenDataFile[] = []
    for (const [start, end] of fileRanges(schema, columns, rowCount, input.targetFileBytes)) {
      await new Promise((resolve) => setTimeout(resolve, 0))
      const whole = start === 0 && end === rowCount
      const named = Object.fromEntries(schema.fields.map((field, j) => [field.name, (whole ? columns[j]! : columns[j]!.slice(start, end)) as (IcebergValue | undefined)[]]))
      files.push(writeDataFile({ schema, columns: named, rowCount: end - start, compression: input.compression, ...(compressors ? { compressors } : {}) }))
    }
    encoded.push({ partition, files })
  }
  return encoded
}
