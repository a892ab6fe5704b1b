/** The subset of Avro schemas Iceberg metadata uses, as plain data, and the in-memory form of their values. */
import { IngestError } from '../errors.ts'

// Avro 1.11 spec, "Schema Declaration". Iceberg's extra properties (`field-id`, `element-id`,
// `key-id`, `value-id`, `adjust-to-utc`) are kept as members so they survive into `avro.schema`.

export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string'

/** A primitive with a logical type, e.g. `{type: 'int', logicalType: 'date'}`. */
export interface AvroAnnotated {
  type: AvroPrimitive
  logicalType?: string
  'adjust-to-utc'?: boolean
  precision?: number
  scale?: number
}

export interface AvroField {
  name: string
  type: AvroSchema
  'field-id'?: number
  default?: null
  doc?: string
  /** Iceberg's original field name when `name` had to be sanitized for Avro. */
  'iceberg-field-name'?: string
}

export interface AvroRecord {
  type: 'record'
  name: string
  namespace?: string
  doc?: string
  fields: AvroField[]
}

export interface AvroArray {
  type: 'array'
  items: AvroSchema
  'element-id'?: number
  /** `map` marks Iceberg's array-of-key/value-records encoding of a map with non-string keys. */
  logicalType?: 'map'
}

export interface AvroMap {
  type: 'map'
  values: AvroSchema
  'key-id'?: number
  'value-id'?: number
}

export interface AvroFixed {
  type: 'fixed'
  name: string
  namespace?: string
  size: number
  logicalType?: string
  precision?: number
  scale?: number
}

export interface AvroEnum {
  type: 'enum'
  name: string
  namespace?: string
  symbols: string[]
}

export type AvroUnion = AvroSchema[]

export type AvroSchema =
  | AvroPrimitive
  | AvroAnnotated
  | AvroRecord
  | AvroArray
  | AvroMap
  | AvroFixed
  | AvroEnum
  | AvroUnion

/**
 * A value of some Avro schema: int/float/double → number; long → bigint (a safe-integer number
 * is accepted when writing); bytes/fixed → Uint8Array; string/enum → string; array → array;
 * map → Map with string keys; record → object keyed by field name; union → the branch's value.
 */
export type AvroValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | AvroValue[]
  | Map<string, AvroValue>
  | AvroRecordValue

export interface AvroRecordValue {
  [field: string]: AvroValue | undefined
}

const PRIMITIVES = new Set<string>(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'])

/** The primitive type a schema encodes as, or `undefined` for complex types. */
export function primitiveOf(schema: AvroSchema): AvroPrimitive | undefined {
  if (typeof schema === 'string') return schema
  if (Array.isArray(schema)) return undefined
  return PRIMITIVES.has(schema.type) ? (schema.type as AvroPrimitive) : undefined
}

function invalid(message: string, context: Record<string, unknown> = {}): IngestError {
  return new IngestError('AVRO_SCHEMA', message, { context })
}

type Named = AvroRecord | AvroFixed | AvroEnum

function fullName(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`
}

/**
 * Parse a schema read from a file's `avro.schema` into resolved data: references to named
 * types become the named object itself, so encoder and decoder never look names up.
 * Unknown properties (Iceberg's ids) are kept.
 * @throws IngestError `AVRO_SCHEMA` when the JSON is not a schema this codec supports.
 */
export function parseSchema(json: unknown): AvroSchema {
  const named = new Map<string, Named>()

  const visit = (node: unknown, namespace: string | undefined): AvroSchema => {
    if (typeof node === 'string') {
      if (PRIMITIVES.has(node)) return node as AvroPrimitive
      const found = named.get(fullName(node, namespace)) ?? named.get(node)
      if (!found) throw invalid(`unknown Avro type name ${JSON.stringify(node)}`)
      return found
    }
    if (Array.isArray(node)) return node.map((branch) => visit(branch, namespace))
    if (typeof node !== 'object' || node === null) throw invalid(`not an Avro schema: ${JSON.stringify(node)}`)
    const obj = node as Record<string, unknown>
    const type = obj.type
    if (typeof type !== 'string' && typeof type !== 'object') throw invalid('Avro schema object without a type')
    if (typeof type !== 'string' || (!PRIMITIVES.has(type) && !['record', 'error', 'array', 'map', 'fixed', 'enum'].includes(type))) {
      // `{"type": {...}}` or `{"type": "name"}` wraps another schema.
      return visit(type, namespace)
    }
    if (PRIMITIVES.has(type)) return { ...obj, type } as AvroAnnotated
    if (type === 'array') return { ...obj, type, items: visit(obj.items, namespace) } as AvroArray
    if (type === 'map') return { ...obj, type, values: visit(obj.values, namespace) } as AvroMap

    if (typeof obj.name !== 'string') throw invalid(`Avro ${type} without a name`)
    const ns = typeof obj.namespace === 'string' ? obj.namespace : obj.name.includes('.') ? undefined : namespace
    const key = fullName(obj.name, ns)
    if (type === 'fixed') {
      if (typeof obj.size !== 'number' || !Number.isInteger(obj.size) || obj.size < 0) throw invalid(`fixed ${obj.name} has a bad size`)
      const fixed = { ...obj, type } as AvroFixed
      named.set(key, fixed)
      return fixed
    }
    if (type === 'enum') {
      if (!Array.isArray(obj.symbols)) throw invalid(`enum ${obj.name} has no symbols`)
      const en = { ...obj, type } as AvroEnum
      named.set(key, en)
      return en
    }
    if (!Array.isArray(obj.fields)) throw invalid(`record ${obj.name} has no fields`)
    // Register before visiting fields so a field may refer to its enclosing record.
    const record: AvroRecord = { ...(obj as object), type: 'record', name: obj.name, fields: [] }
    named.set(key, record)
    for (const field of obj.fields as unknown[]) {
      if (typeof field !== 'object' || field === null || typeof (field as { name?: unknown }).name !== 'string') {
        throw invalid(`record ${obj.name} has a field without a name`)
      }
      const f = field as Record<string, unknown>
      record.fields.push({ ...f, name: f.name as string, type: visit(f.type, ns) })
    }
    return record
  }

  return visit(json, undefined)
}

/**
 * The schema as JSON for a file's `avro.schema`. A named type seen a second time is written
 * as its name, as Avro requires (and so a resolved, self-referencing schema still serializes).
 */
export function schemaToJson(schema: AvroSchema): string {
  const seen = new Set<object>()
  return JSON.stringify(schema, (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const type = (value as { type?: unknown }).type
      if (type === 'record' || type === 'fixed' || type === 'enum') {
        if (seen.has(value)) return (value as Named).name
        seen.add(value)
      }
    }
    return value
  })
}
