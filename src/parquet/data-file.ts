/** Iceberg data files in Parquet: rows or columns → file bytes plus the DataFile metrics manifests carry. */
import type { CompressionCodec, SchemaElement } from 'hyparquet'
// The package's default export condition is its Node entry (imports `fs`); src/index.js is the
// runtime-neutral entry, which keeps this module edge-safe everywhere.
import { ByteWriter, ParquetWriter } from 'hyparquet-writer/src/index.js'
import { IngestError, ValidationError } from '../errors.ts'
import type { DataFile, IcebergValue, Row, Schema } from '../iceberg/types.ts'
import { convertColumn, planColumns, transposeRows } from './columns.ts'
import type { ColumnPlan, WriterColumn } from './columns.ts'
import { estimateRowBytes } from './estimate.ts'
import { leafBounds } from './leaf.ts'
import { leafColumns, parquetSchemaFor } from './schema.ts'

export type ParquetCompression = 'snappy' | 'zstd' | 'uncompressed'

/** A block compressor; the host injects zstd (see src/adapter/bun/zstd.ts) since edge code has no codec for it. */
export type Compressor = (input: Uint8Array) => Uint8Array

export interface ParquetCompressors {
  zstd?: Compressor
}

export interface WriteDataFileInput {
  schema: Schema
  /** Rows keyed by top-level field name, values in the canonical forms of iceberg/types.ts. */
  rows?: readonly Row[]
  /** Or columns keyed by top-level field name; a missing column is all null. */
  columns?: Readonly<Record<string, (IcebergValue | undefined)[]>>
  /** Required when `columns` is empty; otherwise checked against the data. */
  rowCount?: number
  /** Default 'snappy' (built in); 'zstd' needs `compressors.zstd`. */
  compression?: ParquetCompression
  compressors?: ParquetCompressors
  /** Rows per row group; default derived from `targetRowGroupBytes` and `estimateRowBytes`. */
  rowGroupRows?: number
  /** Default 128 MiB, Iceberg's `write.parquet.row-group-size-bytes`. */
  targetRowGroupBytes?: number
  /** Parquet `created_by`; must parse as `name version X.Y.Z (build id)` for Java readers to trust string statistics. */
  createdBy?: string
}

export type DataFileMetrics = Pick<
  DataFile,
  | 'record-count' | 'file-size-in-bytes' | 'column-sizes' | 'value-counts' | 'null-value-counts'
  | 'nan-value-counts' | 'lower-bounds' | 'upper-bounds' | 'split-offsets'
>

export interface WrittenDataFile {
  bytes: Uint8Array
  metrics: DataFileMetrics
}

export const DEFAULT_CREATED_BY = 'iceberg-ingest version 0.1.0 (build hyparquet-writer-0.17.0)'
export const DEFAULT_ROW_GROUP_BYTES = 128 * 1024 * 1024
const SAMPLE_ROWS = 512

type Slot = IcebergValue | undefined

interface Source {
  columns: Slot[][]
  owned: boolean[]
  rowCount: number
}

function sourceOf(input: WriteDataFileInput): Source {
  const { schema, rows, columns, rowCount } = input
  if (rows && columns) throw new ValidationError('pass rows or columns, not both')
  if (rows) {
    if (rowCount !== undefined && rowCount !== rows.length) {
      throw new ValidationError(`rowCount ${rowCount} does not match ${rows.length} rows`)
    }
    return { columns: transposeRows(schema, rows), owned: schema.fields.map(() => true), rowCount: rows.length }
  }
  if (!columns) throw new ValidationError('pass rows or columns')
  const names = new Set(schema.fields.map((f) => f.name))
  for (const name of Object.keys(columns)) {
    if (!names.has(name)) throw new ValidationError(`column ${JSON.stringify(name)} is not a top-level field of schema ${schema['schema-id']}`, { name })
  }
  const present = schema.fields.map((f) => columns[f.name])
  const count = rowCount ?? present.find((c) => c !== undefined)?.length
  if (count === undefined) throw new ValidationError('rowCount is required when no column is given')
  present.forEach((column, j) => {
    if (column && column.length !== count) {
      throw new ValidationError(`column ${schema.fields[j]!.name} has ${column.length} values, expected ${count}`)
    }
  })
  return {
    columns: present.map((c) => c ?? new Array<Slot>(count).fill(null)),
    owned: present.map((c) => c === undefined),
    rowCount: count,
  }
}

/** Rows per row group so a group approaches the byte target, from an even sample of rows. */
function rowGroupRowsFor(input: WriteDataFileInput, source: Source): number {
  if (input.rowGroupRows !== undefined) {
    if (!Number.isInteger(input.rowGroupRows) || input.rowGroupRows < 1) {
      throw new ValidationError(`rowGroupRows must be a positive integer, got ${input.rowGroupRows}`)
    }
    return input.rowGroupRows
  }
  const target = input.targetRowGroupBytes ?? DEFAULT_ROW_GROUP_BYTES
  if (!(target > 0)) throw new ValidationError(`targetRowGroupBytes must be positive, got ${target}`)
  const { rowCount, columns } = source
  if (rowCount === 0) return 1
  const samples = Math.min(rowCount, SAMPLE_ROWS)
  const fields = input.schema.fields
  let bytes = 0
  for (let s = 0; s < samples; s++) {
    const i = Math.floor((s * rowCount) / samples)
    const row: Row = {}
    for (let j = 0; j < fields.length; j++) row[fields[j]!.name] = columns[j]![i]
    bytes += estimateRowBytes(input.schema, row)
  }
  const perRow = Math.max(1, bytes / samples)
  return Math.max(1, Math.min(rowCount, Math.floor(target / perRow)))
}

function codecOf(input: WriteDataFileInput): { codec: CompressionCodec; compressors: { ZSTD?: Compressor } } {
  const compression = input.compression ?? 'snappy'
  switch (compression) {
    case 'snappy': return { codec: 'SNAPPY', compressors: {} }
    case 'uncompressed': return { codec: 'UNCOMPRESSED', compressors: {} }
    case 'zstd': {
      const zstd = input.compressors?.zstd
      if (!zstd) throw new ValidationError("compression 'zstd' needs compressors.zstd (hosts pass zstdCompress from src/adapter/bun/zstd.ts)")
      return { codec: 'ZSTD', compressors: { ZSTD: zstd } }
    }
    default:
      throw new ValidationError(`unknown compression ${JSON.stringify(compression)}`)
  }
}

function metricsOf(input: WriteDataFileInput, plan: ColumnPlan, pq: ParquetWriter, rowCount: number, fileSize: number): DataFileMetrics {
  const idByPath = new Map(leafColumns(input.schema).map((leaf) => [leaf.path.join('\u0000'), leaf.id]))
  const columnSizes = new Map<number, number>()
  const splitOffsets: bigint[] = []
  for (const group of pq.row_groups) {
    const first = group.columns[0]?.meta_data
    // a row group starts at its first column chunk (dictionary page first when there is one)
    if (first) splitOffsets.push(first.dictionary_page_offset ?? first.data_page_offset)
    for (const chunk of group.columns) {
      if (!chunk.meta_data) continue
      const id = idByPath.get(chunk.meta_data.path_in_schema.join('\u0000'))
      if (id !== undefined) columnSizes.set(id, (columnSizes.get(id) ?? 0) + Number(chunk.meta_data.total_compressed_size))
    }
  }
  const valueCounts = new Map<number, number>()
  const nullCounts = new Map<number, number>()
  const nanCounts = new Map<number, number>()
  const lowerBounds = new Map<number, Uint8Array>()
  const upperBounds = new Map<number, Uint8Array>()
  for (const [id, stats] of plan.stats) {
    // a leaf reached through structs only has exactly one value slot per row
    valueCounts.set(id, rowCount)
    nullCounts.set(id, stats.nulls)
    if (stats.codec.kind === 'float' || stats.codec.kind === 'double') nanCounts.set(id, stats.nans)
    const { lower, upper } = leafBounds(stats)
    if (lower) lowerBounds.set(id, lower)
    if (upper) upperBounds.set(id, upper)
  }
  return {
    'record-count': rowCount,
    'file-size-in-bytes': fileSize,
    'column-sizes': columnSizes,
    'value-counts': valueCounts,
    'null-value-counts': nullCounts,
    'nan-value-counts': nanCounts,
    'lower-bounds': lowerBounds,
    'upper-bounds': upperBounds,
    'split-offsets': splitOffsets,
  }
}

/**
 * Writes one Parquet data file for an Iceberg table: field ids on the schema, `iceberg.schema`
 * key-value metadata, and the metrics Java writers record (counts and truncate(16) bounds for
 * top-level and struct-nested leaves, NaN counts for float/double, column sizes for every leaf,
 * row group starts as split offsets). Metrics are gathered while values are validated, not by
 * re-reading the file.
 * @throws ValidationError (code VALIDATION) for a value that does not match its field (the message
 *   names row, field and id), a required null, bad options, or zstd without a compressor.
 * @throws IngestError (code PARQUET_WRITE) when the Parquet encoder itself fails.
 */
export function writeDataFile(input: WriteDataFileInput): WrittenDataFile {
  const { schema } = input
  const elements: SchemaElement[] = parquetSchemaFor(schema)
  const { codec, compressors } = codecOf(input)
  const source = sourceOf(input)
  const rowGroupSize = rowGroupRowsFor(input, source)
  const plan = planColumns(schema)
  const data: WriterColumn[] = schema.fields.map((field, j) => convertColumn(field, source.columns[j]!, source.owned[j]!, plan))

  const writer = new ByteWriter()
  const pq = new ParquetWriter({
    writer,
    schema: elements,
    codec,
    compressors,
    kvMetadata: [{ key: 'iceberg.schema', value: JSON.stringify(schema) }],
    createdBy: input.createdBy ?? DEFAULT_CREATED_BY,
  })
  try {
    // ByteWriter has no flush, so write() completes synchronously
    void pq.write({ columnData: schema.fields.map((f, j) => ({ name: f.name, data: data[j]! })), rowGroupSize })
    void pq.finish()
  } catch (cause) {
    throw new IngestError('PARQUET_WRITE', `Parquet encoding failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
  const bytes = writer.getBytes()
  return { bytes, metrics: metricsOf(input, plan, pq, source.rowCount, bytes.length) }
}

export { estimateRowBytes } from './estimate.ts'
export { parquetSchemaFor } from './schema.ts'
