/** Schema-driven Avro binary encoding of one datum into a ByteWriter (Avro 1.11 spec, "Binary Encoding"). */
import { ValidationError } from '../errors.ts'
import {
  type ByteWriter,
  reserve,
  writeBoolean,
  writeBytes,
  writeDouble,
  writeFloat,
  writeInt,
  writeLong,
  writeRaw,
  writeString,
} from './byte-writer.ts'
import type { AvroSchema, AvroValue, AvroRecordValue } from './schema.ts'

// Complex types:
//   record  fields in schema order, no framing
//   array   blocks of (long count, items...), ended by a 0 count; we write one block
//   map     like array, each item = string key then value
//   union   long branch index, then the value in that branch
//   enum    int symbol index

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (value instanceof Uint8Array) return `${value.length} bytes`
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'object') return Array.isArray(value) ? 'array' : value instanceof Map ? 'map' : 'object'
  return `${typeof value} ${JSON.stringify(value)}`
}

function mismatch(expected: string, value: unknown): ValidationError {
  return new ValidationError(`expected Avro ${expected}, got ${describe(value)}`, { expected })
}

function isRecordValue(value: unknown): value is AvroRecordValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map) && !(value instanceof Uint8Array)
}

/** Whether `value` can be written as `schema` (picks the union branch; shallow on purpose). */
export function matchesSchema(schema: AvroSchema, value: AvroValue | undefined): boolean {
  if (Array.isArray(schema)) return schema.some((branch) => matchesSchema(branch, value))
  const type = typeof schema === 'string' ? schema : schema.type
  switch (type) {
    case 'null':
      return value === null || value === undefined
    case 'boolean':
      return typeof value === 'boolean'
    case 'int':
      return typeof value === 'number' && Number.isInteger(value)
    case 'long':
      return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))
    case 'float':
    case 'double':
      return typeof value === 'number'
    case 'bytes':
      return value instanceof Uint8Array
    case 'string':
      return typeof value === 'string'
    case 'fixed':
      return value instanceof Uint8Array && typeof schema === 'object' && 'size' in schema && value.length === schema.size
    case 'enum':
      return typeof value === 'string' && typeof schema === 'object' && 'symbols' in schema && schema.symbols.includes(value)
    case 'array':
      return Array.isArray(value)
    case 'map':
      return value instanceof Map
    case 'record':
      return isRecordValue(value)
  }
}

/**
 * Append the Avro binary encoding of `value` as `schema`. A record field that is missing
 * (`undefined`) is written as null, so optional fields can simply be left out.
 * @throws ValidationError `VALIDATION` naming the field path when a value does not fit its schema.
 */
export function writeDatum(w: ByteWriter, schema: AvroSchema, value: AvroValue | undefined): void {
  if (Array.isArray(schema)) {
    const index = schema.findIndex((branch) => matchesSchema(branch, value))
    if (index < 0) throw mismatch(`union of ${schema.map((b) => (typeof b === 'string' ? b : Array.isArray(b) ? 'union' : b.type)).join('|')}`, value)
    writeLong(w, index)
    writeDatum(w, schema[index]!, value)
    return
  }
  const type = typeof schema === 'string' ? schema : schema.type
  switch (type) {
    case 'null':
      if (value !== null && value !== undefined) throw mismatch('null', value)
      return
    case 'boolean':
      if (typeof value !== 'boolean') throw mismatch('boolean', value)
      return writeBoolean(w, value)
    case 'int':
      if (typeof value !== 'number') throw mismatch('int', value)
      return writeInt(w, value)
    case 'long':
      if (typeof value !== 'bigint' && typeof value !== 'number') throw mismatch('long', value)
      return writeLong(w, value)
    case 'float':
      if (typeof value !== 'number') throw mismatch('float', value)
      return writeFloat(w, value)
    case 'double':
      if (typeof value !== 'number') throw mismatch('double', value)
      return writeDouble(w, value)
    case 'bytes':
      if (!(value instanceof Uint8Array)) throw mismatch('bytes', value)
      return writeBytes(w, value)
    case 'string':
      if (typeof value !== 'string') throw mismatch('string', value)
      return writeString(w, value)
  }
  if (typeof schema !== 'object') throw new ValidationError(`unsupported Avro schema ${JSON.stringify(schema)}`)
  switch (schema.type) {
    case 'fixed':
      if (!(value instanceof Uint8Array) || value.length !== schema.size) throw mismatch(`fixed(${schema.size}) ${schema.name}`, value)
      return writeRaw(w, value)
    case 'enum': {
      const index = typeof value === 'string' ? schema.symbols.indexOf(value) : -1
      if (index < 0) throw mismatch(`enum ${schema.name}`, value)
      return writeInt(w, index)
    }
    case 'array':
      if (!Array.isArray(value)) throw mismatch('array', value)
      if (value.length > 0) {
        writeLong(w, value.length)
        for (const item of value) writeDatum(w, schema.items, item)
      }
      reserve(w, 1)
      w.bytes[w.length++] = 0
      return
    case 'map':
      if (!(value instanceof Map)) throw mismatch('map', value)
      if (value.size > 0) {
        writeLong(w, value.size)
        for (const [key, item] of value) {
          writeString(w, key)
          writeDatum(w, schema.values, item)
        }
      }
      reserve(w, 1)
      w.bytes[w.length++] = 0
      return
    case 'record':
      if (!isRecordValue(value)) throw mismatch(`record ${schema.name}`, value)
      for (const field of schema.fields) {
        try {
          writeDatum(w, field.type, value[field.name])
        } catch (error) {
          // Rebuild the message outward so it names the whole path, e.g. `data_file.partition.day`.
          if (!(error instanceof ValidationError)) throw error
          const path = [field.name, ...((error.context.path as string[] | undefined) ?? [])]
          const leaf = (error.context.leaf as string | undefined) ?? error.message
          throw new ValidationError(`${path.join('.')}: ${leaf}`, { ...error.context, path, leaf })
        }
      }
      return
  }
}
