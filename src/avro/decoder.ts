/** Schema-driven Avro binary decoding of one datum from a ByteCursor (inverse of encoder.ts). */
import { IngestError } from '../errors.ts'
import {
  type ByteCursor,
  readBoolean,
  readBytes,
  readDouble,
  readFixed,
  readFloat,
  readInt,
  readLong,
  readSafeLong,
  readString,
} from './byte-reader.ts'
import type { AvroRecordValue, AvroSchema, AvroValue } from './schema.ts'

/**
 * Number of items in the next array/map block. A negative count (allowed by the spec) is
 * followed by the block's byte size, which we do not need.
 */
function blockCount(c: ByteCursor): number {
  const count = readSafeLong(c)
  if (count >= 0) return count
  readSafeLong(c)
  return -count
}

function bad(message: string, c: ByteCursor): IngestError {
  return new IngestError('AVRO_DECODE', `${message} at offset ${c.pos}`, { context: { offset: c.pos } })
}

/**
 * Read one value of `schema`. Longs come back as bigint, ints/floats/doubles as number,
 * bytes/fixed as Uint8Array copies, maps as Map, records as objects keyed by field name.
 * @throws IngestError `AVRO_DECODE` when the bytes are truncated or inconsistent with the schema.
 */
export function readDatum(c: ByteCursor, schema: AvroSchema): AvroValue {
  if (Array.isArray(schema)) {
    const index = readSafeLong(c)
    const branch = schema[index]
    if (branch === undefined) throw bad(`union branch ${index} out of ${schema.length}`, c)
    return readDatum(c, branch)
  }
  const type = typeof schema === 'string' ? schema : schema.type
  switch (type) {
    case 'null':
      return null
    case 'boolean':
      return readBoolean(c)
    case 'int':
      return readInt(c)
    case 'long':
      return readLong(c)
    case 'float':
      return readFloat(c)
    case 'double':
      return readDouble(c)
    case 'bytes':
      return readBytes(c)
    case 'string':
      return readString(c)
  }
  if (typeof schema !== 'object') throw bad(`unsupported Avro schema ${JSON.stringify(schema)}`, c)
  switch (schema.type) {
    case 'fixed':
      return readFixed(c, schema.size)
    case 'enum': {
      const index = readInt(c)
      const symbol = schema.symbols[index]
      if (symbol === undefined) throw bad(`enum ${schema.name} index ${index} out of range`, c)
      return symbol
    }
    case 'array': {
      const items: AvroValue[] = []
      for (let n = blockCount(c); n > 0; n = blockCount(c)) {
        for (let i = 0; i < n; i++) items.push(readDatum(c, schema.items))
      }
      return items
    }
    case 'map': {
      const map = new Map<string, AvroValue>()
      for (let n = blockCount(c); n > 0; n = blockCount(c)) {
        for (let i = 0; i < n; i++) {
          const key = readString(c)
          map.set(key, readDatum(c, schema.values))
        }
      }
      return map
    }
    case 'record': {
      const record: AvroRecordValue = {}
      for (const field of schema.fields) record[field.name] = readDatum(c, field.type)
      return record
    }
  }
  throw bad(`unsupported Avro schema type ${JSON.stringify(type)}`, c)
}
