/**
 * Avro writer schemas → Iceberg types, and Avro binary payloads → records (edge-safe; our own Avro
 * primitives from src/avro/, readers compiled once per schema as closures, no generated code).
 *
 * Types (Avro 1.11 spec, "Logical Types"; Iceberg spec, "Avro" appendix for the reverse direction):
 *   record → struct · [null, T] (either order) → optional T · array → list · map → map<string, V>
 *   enum → string · bytes → binary · fixed(n) → fixed[n] · boolean, int, long, float, double, string as such
 *   decimal(P,S) on bytes or fixed → decimal(P,S) · date → date · time-millis, time-micros → time
 *   timestamp-millis/-micros/-nanos → timestamptz (UTC-adjusted instants) · local-timestamp-* → timestamp
 *   (an Iceberg-written `adjust-to-utc: false` also means timestamp) · uuid on string or fixed(16) → uuid
 * Unions of several non-null types and recursive records have no Iceberg type: UnsupportedSchemaError.
 *
 * Values come out as the coercer reads them: safe-integer longs as numbers (bigint beyond 2^53), decimals
 * as exact decimal text, millisecond timestamps as epoch-ms numbers, micro/nanosecond ones as ISO text
 * (the coercer's numbers mean milliseconds), times as µs numbers, bytes as Uint8Array copies, maps as
 * `{key, value}` entries (so a key like `__proto__` stays a key), strings decoded strictly as UTF-8.
 */
import { type ByteCursor, createCursor, readBoolean, readDouble, readFixed, readFloat, readInt, readLong, readSafeLong, readBytes } from '../avro/byte-reader.ts'
import { type AvroSchema, parseSchema } from '../avro/schema.ts'
import { IngestError } from '../errors.ts'
import { floorDiv, floorMod, formatTimestamp } from '../iceberg/datetime.ts'
import { fromBigEndian } from '../iceberg/big-endian.ts'
import { MAX_DECIMAL_PRECISION } from '../iceberg/schema.ts'
import type { IcebergType, NestedField, PrimitiveType, StructType } from '../iceberg/types.ts'
import { childPath, decimalText, integerValue, placeholderIds, UnsupportedSchemaError, uuidText, type WriterSchema } from './writer-schema.ts'

type Read = (c: ByteCursor) => unknown

interface Mapped {
  type: IcebergType
  required: boolean
  read: Read
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

function decodeError(message: string, c: ByteCursor): IngestError {
  return new IngestError('AVRO_DECODE', `${message} at offset ${c.pos}`, { context: { offset: c.pos } })
}

function readText(c: ByteCursor): string {
  const n = readSafeLong(c)
  if (n < 0 || c.pos + n > c.bytes.length) throw decodeError(`string length ${n} does not fit the ${c.bytes.length - c.pos} bytes left`, c)
  try {
    return strictUtf8.decode(c.bytes.subarray(c.pos, c.pos + n))
  } catch {
    throw decodeError('string is not valid UTF-8', c)
  } finally {
    c.pos += n
  }
}

/** Items of an array or map: blocks of `count` items, a negative count followed by the block's byte size, 0 at the end. */
function readBlocks(c: ByteCursor, each: () => void): void {
  for (;;) {
    let count = readSafeLong(c)
    if (count === 0) return
    if (count < 0) {
      readSafeLong(c)
      count = -count
    }
    for (let i = 0; i < count; i++) each()
  }
}

/** ISO text of epoch nanoseconds; digits past the microseconds stay, so the coercer refuses what Iceberg v2 cannot hold. */
function nanosText(nanos: bigint, zoned: boolean): string {
  const seconds = floorDiv(nanos, 1_000_000_000n)
  const fraction = floorMod(nanos, 1_000_000_000n).toString().padStart(9, '0')
  return `${formatTimestamp(seconds * 1_000_000n, false)}.${fraction}${zoned ? 'Z' : ''}`
}

function annotated(schema: AvroSchema): { logicalType?: string; precision?: number; scale?: number; 'adjust-to-utc'?: boolean } {
  return typeof schema === 'object' && !Array.isArray(schema) ? (schema as unknown as Record<string, never>) : {}
}

function decimal(schema: AvroSchema, path: string, readUnscaled: (c: ByteCursor) => Uint8Array): Mapped {
  const { precision, scale = 0 } = annotated(schema)
  if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1 || precision > MAX_DECIMAL_PRECISION) {
    throw new UnsupportedSchemaError(path, `decimal precision ${String(precision)} is outside 1..${MAX_DECIMAL_PRECISION}`)
  }
  if (!Number.isInteger(scale) || scale < 0 || scale > precision) throw new UnsupportedSchemaError(path, `decimal scale ${scale} is outside 0..${precision}`)
  return { type: `decimal(${precision},${scale})`, required: true, read: (c) => decimalText(fromBigEndian(readUnscaled(c)), scale) }
}

function primitive(type: PrimitiveType, read: Read): Mapped {
  return { type, required: true, read }
}

function mapLong(schema: AvroSchema): Mapped {
  const { logicalType } = annotated(schema)
  // Iceberg's own Avro files mark local timestamps with adjust-to-utc: false on timestamp-micros.
  const zoned = annotated(schema)['adjust-to-utc'] !== false
  switch (logicalType) {
    case 'time-micros':
      return primitive('time', (c) => Number(readLong(c)))
    case 'timestamp-millis':
    case 'local-timestamp-millis':
      return primitive(logicalType === 'timestamp-millis' && zoned ? 'timestamptz' : 'timestamp', (c) => integerValue(readLong(c)))
    case 'timestamp-micros':
    case 'local-timestamp-micros': {
      const withZone = logicalType === 'timestamp-micros' && zoned
      return primitive(withZone ? 'timestamptz' : 'timestamp', (c) => formatTimestamp(readLong(c), withZone))
    }
    case 'timestamp-nanos':
    case 'local-timestamp-nanos': {
      const withZone = logicalType === 'timestamp-nanos' && zoned
      return primitive(withZone ? 'timestamptz' : 'timestamp', (c) => nanosText(readLong(c), withZone))
    }
    default:
      return primitive('long', (c) => integerValue(readLong(c)))
  }
}

function mapUnion(branches: AvroSchema[], path: string, ids: () => number, open: Set<object>): Mapped {
  const nullIndex = branches.findIndex((branch) => branch === 'null' || (typeof branch === 'object' && !Array.isArray(branch) && branch.type === 'null'))
  const others = branches.map((branch, index) => ({ branch, index })).filter(({ index }) => index !== nullIndex)
  if (others.length !== 1) {
    throw new UnsupportedSchemaError(path, `a union of ${branches.map((b) => (typeof b === 'string' ? b : Array.isArray(b) ? 'union' : b.type)).join(', ')} has no Iceberg type (only a single type, or [null, type])`)
  }
  const inner = mapSchema(others[0]!.branch, path, ids, open)
  const innerIndex = others[0]!.index
  return {
    type: inner.type,
    required: nullIndex < 0,
    read: (c) => {
      const index = readSafeLong(c)
      if (index === innerIndex) return inner.read(c)
      if (index === nullIndex) return null
      throw decodeError(`union branch ${index} out of ${branches.length}`, c)
    },
  }
}

function mapRecord(schema: Extract<AvroSchema, { type: 'record' }>, path: string, ids: () => number, open: Set<object>): Mapped {
  if (open.has(schema)) throw new UnsupportedSchemaError(path, `record ${schema.name} contains itself; Iceberg has no recursive types`)
  open.add(schema)
  const fieldIds = schema.fields.map(() => ids())
  const mapped = schema.fields.map((field) => mapSchema(field.type, childPath(path, field.name), ids, open))
  open.delete(schema)
  const names = schema.fields.map((field) => field.name)
  const readers = mapped.map((m) => m.read)
  const fields: NestedField[] = mapped.map((m, i) => ({ id: fieldIds[i]!, name: names[i]!, required: m.required, type: m.type }))
  return {
    type: { type: 'struct', fields },
    required: true,
    read: (c) => {
      // No prototype: a field named "constructor" or "__proto__" is an ordinary key.
      const record: Record<string, unknown> = Object.create(null)
      for (let i = 0; i < readers.length; i++) record[names[i]!] = readers[i]!(c)
      return record
    },
  }
}

function mapSchema(schema: AvroSchema, path: string, ids: () => number, open: Set<object>): Mapped {
  if (Array.isArray(schema)) return mapUnion(schema, path, ids, open)
  const type = typeof schema === 'string' ? schema : schema.type
  const { logicalType } = annotated(schema)
  switch (type) {
    case 'null':
      throw new UnsupportedSchemaError(path, 'a field of type null holds nothing; Iceberg has no null type in v2')
    case 'boolean':
      return primitive('boolean', readBoolean)
    case 'int':
      if (logicalType === 'date') return primitive('date', readInt)
      if (logicalType === 'time-millis') return primitive('time', (c) => readInt(c) * 1000)
      return primitive('int', readInt)
    case 'long':
      return mapLong(schema)
    case 'float':
      return primitive('float', readFloat)
    case 'double':
      return primitive('double', readDouble)
    case 'bytes':
      return logicalType === 'decimal' ? decimal(schema, path, readBytes) : primitive('binary', readBytes)
    case 'string':
      return primitive(logicalType === 'uuid' ? 'uuid' : 'string', readText)
  }
  if (typeof schema !== 'object') throw new UnsupportedSchemaError(path, `unknown Avro type ${JSON.stringify(schema)}`)
  switch (schema.type) {
    case 'fixed': {
      const size = schema.size
      if (logicalType === 'decimal') return decimal(schema, path, (c) => readFixed(c, size))
      if (logicalType === 'uuid' && size === 16) return primitive('uuid', (c) => uuidText(readFixed(c, 16)))
      return primitive(`fixed[${size}]`, (c) => readFixed(c, size))
    }
    case 'enum': {
      const symbols = schema.symbols
      return primitive('string', (c) => {
        const index = readInt(c)
        const symbol = symbols[index]
        if (symbol === undefined) throw decodeError(`enum ${schema.name} index ${index} out of ${symbols.length}`, c)
        return symbol
      })
    }
    case 'array': {
      const element = mapSchema(schema.items, `${path}[]`, ids, open)
      const elementId = ids()
      return {
        type: { type: 'list', 'element-id': elementId, element: element.type, 'element-required': element.required },
        required: true,
        read: (c) => {
          const items: unknown[] = []
          readBlocks(c, () => items.push(element.read(c)))
          return items
        },
      }
    }
    case 'map': {
      const keyId = ids()
      const valueId = ids()
      const value = mapSchema(schema.values, `${path}{}`, ids, open)
      return {
        type: { type: 'map', 'key-id': keyId, key: 'string', 'value-id': valueId, value: value.type, 'value-required': value.required },
        required: true,
        read: (c) => {
          const entries: { key: string; value: unknown }[] = []
          readBlocks(c, () => {
            const key = readText(c)
            entries.push({ key, value: value.read(c) })
          })
          return entries
        },
      }
    }
    case 'record':
      return mapRecord(schema, path, ids, open)
  }
  throw new UnsupportedSchemaError(path, `unknown Avro type ${JSON.stringify(type)}`)
}

/**
 * The writer schema for Avro schema text registered under `id`.
 * @throws UnsupportedSchemaError `SCHEMA_UNSUPPORTED` when the schema is not a record or has a type Iceberg cannot hold;
 *   IngestError `AVRO_SCHEMA` when the text is not an Avro schema.
 */
export function avroWriterSchema(id: number, text: string): WriterSchema {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new IngestError('AVRO_SCHEMA', `schema id ${id} is not JSON: ${(error as Error).message}`)
  }
  const schema = parseSchema(json)
  const root = Array.isArray(schema) || typeof schema !== 'object' || schema.type !== 'record' ? undefined : schema
  if (!root) throw new UnsupportedSchemaError('', `schema id ${id} is not an Avro record (a table row needs named fields)`)
  const mapped = mapRecord(root, '', placeholderIds(), new Set())
  const read = mapped.read
  const writer = { key: String(id), fields: mapped.type as StructType }
  return {
    id,
    read(payload) {
      const c = createCursor(payload)
      let record: Record<string, unknown>
      try {
        record = read(c) as Record<string, unknown>
      } catch (error) {
        return { ok: false, reason: `Avro payload does not decode with schema id ${id}: ${(error as Error).message}` }
      }
      if (c.pos !== payload.length) return { ok: false, reason: `Avro payload has ${payload.length - c.pos} bytes left after a record of schema id ${id} (written with another schema?)` }
      return { ok: true, record, writer }
    },
  }
}
