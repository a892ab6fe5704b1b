/** Reading decoded Avro records by Iceberg field id, so files whose field names differ (v1 vs v2, other writers) still read. */
import { IngestError } from '../errors.ts'
import type { AvroField, AvroRecord, AvroRecordValue, AvroSchema, AvroValue } from './schema.ts'

/** A record schema's fields keyed by `field-id` (fields without one are left out). */
export function fieldsById(record: AvroRecord): Map<number, AvroField> {
  const byId = new Map<number, AvroField>()
  for (const field of record.fields) if (typeof field['field-id'] === 'number') byId.set(field['field-id'], field)
  return byId
}

/** The record inside `schema`, looking through a `[null, record]` union; `undefined` if there is none. */
export function recordSchemaOf(schema: AvroSchema | undefined): AvroRecord | undefined {
  if (schema === undefined || typeof schema === 'string') return undefined
  if (Array.isArray(schema)) {
    for (const branch of schema) {
      const record = recordSchemaOf(branch)
      if (record) return record
    }
    return undefined
  }
  return schema.type === 'record' ? schema : undefined
}

/** The value of the field with `id`, or `undefined` when the writer's schema has no such field. */
export function fieldValue(value: AvroRecordValue, fields: Map<number, AvroField>, id: number): AvroValue | undefined {
  const field = fields.get(id)
  return field === undefined ? undefined : value[field.name]
}

/**
 * An int or long value as a JS number.
 * @throws IngestError `AVRO_DECODE` when it is not an integer or exceeds 2^53 (`what` names it).
 */
export function toSafeNumber(value: AvroValue | undefined, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(value)
  throw new IngestError('AVRO_DECODE', `${what}: expected an integer up to 2^53, got ${typeof value === 'bigint' ? `${value}n` : String(value)}`, {
    context: { field: what },
  })
}

/** The item schema of the array inside `schema`, looking through a `[null, array]` union. */
export function arrayItemsOf(schema: AvroSchema | undefined): AvroSchema | undefined {
  if (schema === undefined || typeof schema === 'string') return undefined
  if (Array.isArray(schema)) {
    for (const branch of schema) {
      const items = arrayItemsOf(branch)
      if (items !== undefined) return items
    }
    return undefined
  }
  return schema.type === 'array' ? schema.items : undefined
}
