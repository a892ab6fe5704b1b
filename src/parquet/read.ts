/**
 * Reads an Iceberg data file (Parquet, via hyparquet) into the toolkit's canonical values (iceberg/types.ts
 * `IcebergValue`), one column per requested field, resolving columns by Iceberg field id as the spec requires (names
 * may have changed since the file was written). The one reader behind scans (query/) and rewrites (maintenance/).
 */
import type { Compressors, SchemaTree } from 'hyparquet'
// The package's default export condition is its Node entry; src/index.js is runtime-neutral.
import { parquetMetadata, parquetRead, parquetSchema } from 'hyparquet/src/index.js'
import { fromBigEndian } from '../iceberg/big-endian.ts'
import { uuidFromBytes } from '../iceberg/single-value.ts'
import type { IcebergType, IcebergValue, NestedField, Row } from '../iceberg/types.ts'

/** Block decompressors for codecs hyparquet lacks (it has snappy); hosts pass zstd, e.g. Bun.zstdDecompressSync. */
export type Decompressors = Compressors

export interface ReadOptions {
  decompressors?: Decompressors
  /**
   * Match a struct's fields by name when the file carries no field ids in that struct at all (files written
   * without ids). Off, such fields read as null, which is what a scan has always returned for them.
   */
  namesWithoutIds?: boolean
}

export interface ParquetColumns {
  rowCount: number
  /** One array per requested field, in request order; a field the file lacks (added later) is all null. */
  columns: IcebergValue[][]
}

type Convert = (value: unknown) => IcebergValue

const decoder = new TextDecoder()
const encoder = new TextEncoder()

/** The child holding Iceberg field `id`; by name only when allowed and the file carries no field ids there. */
function child(node: SchemaTree | undefined, id: number, name: string, options: ReadOptions): SchemaTree | undefined {
  if (!node) return undefined
  const byId = node.children.find((c) => c.element.field_id === id)
  if (byId || !options.namesWithoutIds) return byId
  return node.children.every((c) => c.element.field_id === undefined) ? node.children.find((c) => c.element.name === name) : undefined
}

/** Units per second of a Parquet timestamp column (the reader's parsers hand over the raw stored number). */
function storedTimestampUnit(node: SchemaTree): bigint | undefined {
  const { logical_type: logical, converted_type: converted } = node.element
  if (logical?.type === 'TIMESTAMP') return logical.unit === 'MILLIS' ? 1_000n : logical.unit === 'NANOS' ? 1_000_000_000n : 1_000_000n
  if (converted === 'TIMESTAMP_MILLIS') return 1_000n
  if (converted === 'TIMESTAMP_MICROS') return 1_000_000n
  return undefined
}

/** Floor division, as Java's DateTimeUtil converts nanoseconds to microseconds (so -1 ns is -1 µs, not 0). */
const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b))

function timestampConverter(type: string, node: SchemaTree): Convert {
  const target = type === 'timestamp_ns' || type === 'timestamptz_ns' ? 1_000_000_000n : 1_000_000n
  const stored = storedTimestampUnit(node) ?? target
  const scale = (v: bigint): bigint => (stored === target ? v : stored < target ? v * (target / stored) : floorDiv(v, stored / target))
  return (v) => (v == null ? null : scale(typeof v === 'bigint' ? v : BigInt(v as number)))
}

function primitive(type: string, node: SchemaTree): Convert {
  if (type === 'timestamp' || type === 'timestamptz' || type === 'timestamp_ns' || type === 'timestamptz_ns') return timestampConverter(type, node)
  // a long column may hold files written while it was an int (type promotion)
  if (type === 'long' || type === 'time') {
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

function converter(type: IcebergType, node: SchemaTree | undefined, options: ReadOptions): Convert {
  if (!node) return () => null
  if (typeof type === 'string') return primitive(type, node)
  if (type.type === 'struct') {
    const fields = type.fields.map((f) => {
      const c = child(node, f.id, f.name, options)
      return { name: f.name, key: c?.element.name, convert: converter(f.type, c, options) }
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
    const element = converter(type.element, threeLevel ? repeated.children[0] : repeated, options)
    return (v) => (v == null ? null : (v as unknown[]).map(element))
  }
  const keyNode = child(repeated, type['key-id'], 'key', options) ?? repeated?.children[0]
  const valueNode = child(repeated, type['value-id'], 'value', options) ?? repeated?.children[1]
  const key = converter(type.key, keyNode, options)
  const value = converter(type.value, valueNode, options)
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
 * Decodes `fields` (top-level fields of the reading schema, any type) from the bytes of a Parquet data file.
 * Timestamps come back in microseconds, timestamp_ns in nanoseconds (whatever unit the file stores), variants as
 * their JSON-like values (hyparquet decodes the encoding), decimals as unscaled bigint, maps
 * as Map; only the columns of fields the file holds are decoded.
 * @throws whatever hyparquet throws for bytes that are not Parquet or a codec without a decompressor: callers
 *   name the file in their own typed error.
 */
export async function readParquetColumns(bytes: Uint8Array, fields: readonly NestedField[], options: ReadOptions = {}): Promise<ParquetColumns> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  const metadata = parquetMetadata(file)
  // hyparquet turns DECIMAL into lossy floats and maps into objects keyed by strings: read the physical values and
  // the repeated key/value groups instead, and convert them here.
  for (const element of metadata.schema) {
    if (element.converted_type === 'DECIMAL' || element.converted_type === 'MAP' || element.converted_type === 'MAP_KEY_VALUE') {
      element.converted_type = undefined
      element.logical_type = undefined
    } else if (element.logical_type?.type === 'MAP' || element.logical_type?.type === 'DECIMAL') element.logical_type = undefined
  }
  const root = parquetSchema(metadata)
  const rowCount = Number(metadata.num_rows)
  const columns = fields.map(() => new Array<IcebergValue>(rowCount).fill(null))
  const present = fields.flatMap((field, index) => {
    const node = child(root, field.id, field.name, options)
    return node ? [{ index, name: node.element.name, convert: converter(field.type, node, options) }] : []
  })
  if (present.length === 0 || rowCount === 0) return { rowCount, columns }
  const rows = await new Promise<unknown[][]>((resolve, reject) => {
    parquetRead({
      file,
      metadata,
      columns: present.map((p) => p.name),
      compressors: options.decompressors,
      utf8: false,
      parsers: {
        // the stored numbers; timestampConverter scales them to the reading type's unit
        timestampFromMilliseconds: (v: bigint) => v,
        timestampFromMicroseconds: (v: bigint) => v,
        timestampFromNanoseconds: (v: bigint) => v,
        dateFromDays: (v: number) => v,
      },
      onComplete: (decoded: unknown[][]) => resolve(decoded),
    }).catch(reject)
  })
  present.forEach(({ index, convert }, c) => {
    const target = columns[index]!
    for (let r = 0; r < rows.length; r++) target[r] = convert(rows[r]![c])
  })
  return { rowCount, columns }
}
