/**
 * Data files as maintenance reads them: every column of the table's current schema, keyed by field name (the shared
 * reader, parquet/read.ts, resolves them by field id); plus an order-independent digest of rows, so a rewrite can
 * prove it kept every row unchanged.
 */
import type { IcebergValue, Schema } from '../iceberg/types.ts'
import { readParquetColumns, type Decompressors } from '../parquet/read.ts'
import { MaintenanceError } from './errors.ts'

export interface DataFileColumns {
  /** One array per top-level field of the schema, keyed by field name. */
  columns: Record<string, IcebergValue[]>
  rowCount: number
}

/**
 * Decodes every row of `bytes` into columns of `schema` (the table's current schema): a column the file lacks reads
 * as null. Timestamps are kept as microseconds, decimals as unscaled bigint, maps as Map. A file without field ids
 * is read by column name, so a rewrite keeps its values rather than replacing them with nulls.
 * @throws MaintenanceError `UNREADABLE_DATA_FILE` when hyparquet cannot decode the file
 *   (e.g. a codec without a decompressor).
 */
export async function readDataFileColumns(bytes: Uint8Array, schema: Schema, location: string, decompressors: Decompressors = {}): Promise<DataFileColumns> {
  try {
    const read = await readParquetColumns(bytes, schema.fields, { decompressors, namesWithoutIds: true })
    const columns: Record<string, IcebergValue[]> = {}
    schema.fields.forEach((field, i) => (columns[field.name] = read.columns[i]!))
    return { columns, rowCount: read.rowCount }
  } catch (cause) {
    throw new MaintenanceError('UNREADABLE_DATA_FILE', `cannot read data file ${location}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
      context: { location },
    })
  }
}

function text(value: IcebergValue | undefined): string {
  if (value === null || value === undefined) return '~'
  switch (typeof value) {
    case 'bigint': return `${value}n`
    case 'number': return Object.is(value, -0) ? '-0' : String(value)
    case 'string': return JSON.stringify(value)
    case 'boolean': return value ? 'T' : 'F'
  }
  if (value instanceof Uint8Array) return `x${Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('')}`
  if (Array.isArray(value)) return `[${value.map(text).join(',')}]`
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${text(k)}:${text(v)}`).join(',')}}`
  return `(${Object.values(value).map(text).join(',')})`
}

/** FNV-1a over UTF-16 code units from a given offset basis (two bases give 64 bits of digest). */
function fnv1a(s: string, basis: number): number {
  let h = basis
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** A running multiset digest of rows: equal for the same rows in any order and file split. */
export interface RowDigest {
  rows: number
  a: number
  b: number
}

export const emptyDigest = (): RowDigest => ({ rows: 0, a: 0, b: 0 })

/** Adds the rows of `data` (columns of `schema`) to `digest`. */
export function digestColumns(digest: RowDigest, schema: Schema, data: DataFileColumns): RowDigest {
  const columns = schema.fields.map((f) => data.columns[f.name]!)
  for (let i = 0; i < data.rowCount; i++) {
    let line = ''
    for (const column of columns) line += `${text(column[i])}\u0001`
    digest.a = (digest.a + fnv1a(line, 0x811c9dc5)) >>> 0
    digest.b = (digest.b + fnv1a(line, 0x050c5d1f)) >>> 0
  }
  digest.rows += data.rowCount
  return digest
}

export const sameDigest = (x: RowDigest, y: RowDigest): boolean => x.rows === y.rows && x.a === y.a && x.b === y.b
