/**
 * Reads an Iceberg data file (Parquet) back into the toolkit's canonical column values
 * (iceberg/types.ts `IcebergValue`), resolving columns by Iceberg field id so files written with
 * an older schema (renamed or missing columns) read correctly; plus an order-independent digest of
 * rows, so a rewrite can prove it kept every row unchanged.
 */
import type { SchemaElement } from 'hyparquet'
// The package's default export condition is its Node entry; src/index.js is runtime-neutral.
import { parquetMetadata, parquetReadObjects } from 'hyparquet/src/index.js'
import { fromBigEndian } from '../iceberg/big-endian.ts'
import { uuidFromBytes } from '../iceberg/single-value.ts'
import type { IcebergType, IcebergValue, Row, Schema } from '../iceberg/types.ts'
import { MaintenanceError } from './errors.ts'

/** Block decompressors for codecs hyparquet lacks (it has snappy); hosts pass zstd, e.g. Bun.zstdDecompressSync. */
export type Decompressors = Partial<Record<'ZSTD' | 'GZIP' | 'BROTLI' | 'LZ4' | 'LZ4_RAW', (input: Uint8Array, outputLength: number) => Uint8Array>>

export interface DataFileColumns {
  /** One array per top-level field of the schema, keyed by field name. */
  columns: Record<string, IcebergValue[]>
  rowCount: number
}

interface Node {
  element: SchemaElement
  children: Node[]
}

type Convert = (value: unknown) => IcebergValue

function tree(elements: SchemaElement[]): Node {
  let index = 0
  const build = (): Node => {
    const element = elements[index++]!
    const children: Node[] = []
    for (let i = 0; i < (element.num_children ?? 0); i++) children.push(build())
    return { element, children }
  }
  return build()
}

/** The child holding Iceberg field `id`; by name only when the file carries no field ids at all. */
function child(node: Node | undefined, id: number, name: string): Node | undefined {
  if (!node) return undefined
  const byId = node.children.find((c) => c.element.field_id === id)
  if (byId) return byId
  return node.children.every((c) => c.element.field_id === undefined) ? node.children.find((c) => c.element.name === name) : undefined
}

const decoder = new TextDecoder()
const encoder = new TextEncoder()

function primitive(type: string): Convert {
  if (type === 'long' || type === 'time' || type === 'timestamp' || type === 'timestamptz') {
    return (v) => (v == null ? null : typeof v === 'bigint' ? v : BigInt(v as number))
  }
  if (type === 'int' || type === 'date') return (v) => (v == null ? null : Number(v))
  if (type === 'string') return (v) => (v == null ? null : v instanceof Uint8Array ? decoder.decode(v) : String(v))
  if (type === 'uuid') return (v) => (v == null ? null : v instanceof Uint8Array ? uuidFromBytes(v) : String(v).toLowerCase())
  if (type === 'binary' || type.startsWith('fixed')) return (v) => (v == null ? null : v instanceof Uint8Array ? v : encoder.encode(String(v)))
  if (type.startsWith('decimal')) {
    return (v) => (v == null ? null : v instanceof Uint8Array ? fromBigEndian(v) : typeof v === 'bigint' ? v : BigInt(v as number))
  }
  return (v) => (v === undefined ? null : (v as IcebergValue))
}

function converter(type: IcebergType, node: Node | undefined): Convert {
  if (!node) return () => null
  if (typeof type === 'string') return primitive(type)
  if (type.type === 'struct') {
    const fields = type.fields.map((f) => {
      const c = child(node, f.id, f.name)
      return { name: f.name, key: c?.element.name, convert: converter(f.type, c) }
    })
    return (v) => {
      if (v == null) return null
      const row: Row = {}
      const record = v as Record<string, unknown>
      for (const f of fields) row[f.name] = f.key === undefined ? null : f.convert(record[f.key])
      return row
    }
  }
  const repeated = node.children[0]
  if (type.type === 'list') {
    // 3-level lists (`list { element }`); the legacy 2-level form repeats the element itself.
    const threeLevel = repeated && repeated.children.length === 1 && repeated.element.name !== 'array' && repeated.element.name !== `${node.element.name}_tuple`
    const element = converter(type.element, threeLevel ? repeated.children[0] : repeated)
    return (v) => (v == null ? null : (v as unknown[]).map(element))
  }
  const keyNode = child(repeated, type['key-id'], 'key') ?? repeated?.children[0]
  const valueNode = child(repeated, type['value-id'], 'value') ?? repeated?.children[1]
  const key = converter(type.key, keyNode)
  const value = converter(type.value, valueNode)
  const entriesName = repeated?.element.name ?? 'key_value'
  const keyName = keyNode?.element.name ?? 'key'
  const valueName = valueNode?.element.name ?? 'value'
  return (v) => {
    if (v == null) return null
    const entries = ((v as Record<string, unknown>)[entriesName] ?? []) as Record<string, unknown>[]
    return new Map(entries.map((kv) => [key(kv[keyName]), value(kv[valueName])]))
  }
}

/**
 * Decodes every row of `bytes` into columns of `schema` (the table's current schema): a column
 * the file lacks reads as null. Timestamps are kept as microseconds (milli/nanosecond files are
 * converted), decimals as unscaled bigint, maps as Map.
 * @throws MaintenanceError `UNREADABLE_DATA_FILE` when hyparquet cannot decode the file
 *   (e.g. a codec without a decompressor).
 */
export async function readDataFileColumns(bytes: Uint8Array, schema: Schema, location: string, decompressors: Decompressors = {}): Promise<DataFileColumns> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  try {
    const metadata = parquetMetadata(file)
    // hyparquet turns DECIMAL into lossy floats and maps into objects keyed by strings: read the
    // physical values and the repeated key/value groups instead, and convert them here.
    for (const element of metadata.schema) {
      if (element.converted_type === 'DECIMAL' || element.converted_type === 'MAP' || element.converted_type === 'MAP_KEY_VALUE') {
        element.converted_type = undefined
        element.logical_type = undefined
      } else if (element.logical_type?.type === 'MAP') element.logical_type = undefined
    }
    const root = tree(metadata.schema)
    const convert = converter(schema, root)
    const rows = await parquetReadObjects({
      file,
      metadata,
      utf8: false,
      compressors: decompressors,
      parsers: {
        timestampFromMicroseconds: (v: bigint) => v,
        timestampFromMilliseconds: (v: bigint) => BigInt(v) * 1000n,
        timestampFromNanoseconds: (v: bigint) => BigInt(v) / 1000n,
        dateFromDays: (v: number) => v,
      },
    })
    const columns: Record<string, IcebergValue[]> = {}
    for (const field of schema.fields) columns[field.name] = new Array<IcebergValue>(rows.length)
    rows.forEach((raw, i) => {
      const row = convert(raw) as Row
      for (const field of schema.fields) columns[field.name]![i] = row[field.name] ?? null
    })
    return { columns, rowCount: Number(metadata.num_rows) }
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
