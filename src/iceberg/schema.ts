/** Schema queries and checks (spec: "Schemas and Data Types"): primitive parsing, lookup by field id, fresh ids, validation. */
import { ValidationError } from '../errors.ts'
import type { IcebergType, NestedField, PrimitiveType, Schema, StructType } from './types.ts'

type SimplePrimitive = Exclude<PrimitiveType, `decimal(${number},${number})` | `fixed[${number}]`>

/** A parsed primitive type string. */
export type PrimitiveDescriptor =
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'fixed'; length: number }
  | { kind: SimplePrimitive }

const SIMPLE_PRIMITIVES: ReadonlySet<string> = new Set<SimplePrimitive>([
  'boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz', 'string', 'uuid', 'binary',
  'timestamp_ns', 'timestamptz_ns', 'variant',
])

/** Types the spec adds in format version 3; a v1/v2 table cannot hold them. */
export const V3_TYPES: ReadonlySet<string> = new Set(['timestamp_ns', 'timestamptz_ns', 'variant'])

/** The spec caps decimal precision at 38 digits (what fits a 16-byte unscaled value). */
export const MAX_DECIMAL_PRECISION = 38

/**
 * Parses a primitive type string; accepts whitespace around parameters ("decimal(9, 2)") as the
 * spec asks readers to. v3 types parse here; `checkSchemaForFormat` keeps them off v1/v2 tables.
 * Throws ValidationError (code VALIDATION) for unknown types and bad parameters.
 */
export function parsePrimitive(type: string): PrimitiveDescriptor {
  const text = type.trim()
  if (SIMPLE_PRIMITIVES.has(text)) return { kind: text as SimplePrimitive }
  const decimal = /^decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(text)
  if (decimal) {
    const precision = Number(decimal[1])
    const scale = Number(decimal[2])
    if (precision < 1 || precision > MAX_DECIMAL_PRECISION) {
      throw new ValidationError(`invalid type ${type}: decimal precision must be 1..${MAX_DECIMAL_PRECISION}, got ${precision}`, { type })
    }
    // Parquet and Avro decimals need scale <= precision; a wider scale could never be written.
    if (scale > precision) throw new ValidationError(`invalid type ${type}: decimal scale ${scale} exceeds precision ${precision}`, { type })
    return { kind: 'decimal', precision, scale }
  }
  const fixed = /^fixed\s*\[\s*(\d+)\s*\]$/.exec(text)
  if (fixed) {
    const length = Number(fixed[1])
    if (length < 1 || length > 0x7fffffff) throw new ValidationError(`invalid type ${type}: fixed length must be positive`, { type })
    return { kind: 'fixed', length }
  }
  throw new ValidationError(`not a primitive Iceberg type: ${JSON.stringify(type)} (types: ${[...SIMPLE_PRIMITIVES].join(', ')}, decimal(P,S), fixed[L])`, { type })
}

/** The canonical spelling of a primitive type (`decimal(9,2)`, no spaces). Throws ValidationError. */
export function canonicalPrimitive(type: string): PrimitiveType {
  const parsed = parsePrimitive(type)
  if (parsed.kind === 'decimal') return `decimal(${parsed.precision},${parsed.scale})`
  if (parsed.kind === 'fixed') return `fixed[${parsed.length}]`
  return parsed.kind
}

export function isPrimitive(type: IcebergType): type is PrimitiveType {
  return typeof type === 'string'
}

/** One field of a schema, nested ones included; list elements and map keys/values appear as pseudo-fields. */
export interface IndexedField {
  id: number
  /** Names from the top-level column down; list elements are `element`, map parts `key` / `value`. */
  path: string[]
  /** `path` joined with dots, as Java names nested columns (`loc.lat`, `tags.element`). */
  name: string
  type: IcebergType
  required: boolean
  /** True when a list or map lies between the top level and this field (cannot be partitioned on). */
  inRepeated: boolean
}

/** Every field id in the schema, depth first. */
export function indexById(schema: StructType): Map<number, IndexedField> {
  const index = new Map<number, IndexedField>()
  walk(schema, [], false, (field) => index.set(field.id, field))
  return index
}

/** Fields by dotted name (`loc.lat`), the form partition and sort DSLs refer to columns by. */
export function indexByName(schema: StructType): Map<string, IndexedField> {
  const index = new Map<string, IndexedField>()
  walk(schema, [], false, (field) => index.set(field.name, field))
  return index
}

/** The field with this id anywhere in the schema (list element / map key / value as pseudo-fields), or undefined. */
export function fieldById(schema: StructType, id: number): NestedField | undefined {
  let found: NestedField | undefined
  walk(schema, [], false, (field) => {
    if (found === undefined && field.id === id) {
      found = { id: field.id, name: field.path[field.path.length - 1] ?? '', required: field.required, type: field.type }
    }
  })
  return found
}

/** The highest field id in the schema (0 for an empty schema). */
export function maxFieldId(schema: StructType): number {
  let max = 0
  walk(schema, [], false, (field) => {
    if (field.id > max) max = field.id
  })
  return max
}

function walk(type: IcebergType, path: string[], inRepeated: boolean, visit: (field: IndexedField) => void): void {
  if (isPrimitive(type)) return
  const emit = (id: number, name: string, child: IcebergType, required: boolean, repeated: boolean): void => {
    const childPath = [...path, name]
    visit({ id, path: childPath, name: childPath.join('.'), type: child, required, inRepeated: repeated })
    walk(child, childPath, repeated, visit)
  }
  if (type.type === 'struct') {
    for (const field of type.fields) emit(field.id, field.name, field.type, field.required, inRepeated)
  } else if (type.type === 'list') {
    emit(type['element-id'], 'element', type.element, type['element-required'], true)
  } else {
    emit(type['key-id'], 'key', type.key, true, true)
    emit(type['value-id'], 'value', type.value, type['value-required'], true)
  }
}

/**
 * Renumbers every field id from 1 in Java's order (TypeUtil.assignFreshIds): a struct's own fields
 * first, then each field's nested type in turn; a list's element id, a map's key then value id,
 * before their nested types. Identifier field ids follow their fields. `schemaId` defaults to the input's.
 */
export function assignFreshIds(schema: Schema, schemaId: number = schema['schema-id']): Schema {
  let next = 0
  const mapping = new Map<number, number>()
  const fresh = (old: number): number => {
    next += 1
    mapping.set(old, next)
    return next
  }
  const visit = (type: IcebergType): IcebergType => {
    if (isPrimitive(type)) return type
    if (type.type === 'struct') {
      const ids = type.fields.map((field) => fresh(field.id))
      return { type: 'struct', fields: type.fields.map((field, i) => ({ ...field, id: ids[i] as number, type: visit(field.type) })) }
    }
    if (type.type === 'list') {
      const elementId = fresh(type['element-id'])
      return { ...type, 'element-id': elementId, element: visit(type.element) }
    }
    const keyId = fresh(type['key-id'])
    const valueId = fresh(type['value-id'])
    return { ...type, 'key-id': keyId, 'value-id': valueId, key: visit(type.key), value: visit(type.value) }
  }
  const struct = visit({ type: 'struct', fields: schema.fields }) as StructType
  const result: Schema = { type: 'struct', 'schema-id': schemaId, fields: struct.fields }
  const identifiers = schema['identifier-field-ids']
  if (identifiers !== undefined) result['identifier-field-ids'] = identifiers.map((id) => mapping.get(id) ?? id)
  return result
}

/**
 * Checks what the spec requires of a schema: positive unique field ids (element/key/value ids included),
 * non-empty names unique within their struct, valid primitive types (decimal precision <= 38), and
 * identifier fields that exist, are required primitives and are not inside a list or map.
 * Throws ValidationError (code VALIDATION) naming the offending field.
 */
export function validateSchema(schema: Schema): void {
  if (!Number.isInteger(schema['schema-id']) || schema['schema-id'] < 0) {
    throw new ValidationError(`schema-id must be a non-negative integer, got ${schema['schema-id']}`, { schemaId: schema['schema-id'] })
  }
  const seen = new Map<number, string>()
  const check = (type: IcebergType, path: string): void => {
    if (isPrimitive(type)) {
      parsePrimitive(type)
      return
    }
    const claim = (id: number, name: string): void => {
      if (!Number.isInteger(id) || id < 1) throw new ValidationError(`field ${name} has invalid id ${id}: ids are positive integers`, { field: name, id })
      const other = seen.get(id)
      if (other !== undefined) throw new ValidationError(`duplicate field id ${id}: ${other} and ${name}`, { id, fields: [other, name] })
      seen.set(id, name)
    }
    if (type.type === 'struct') {
      const names = new Set<string>()
      for (const field of type.fields) {
        const name = path ? `${path}.${field.name}` : field.name
        if (typeof field.name !== 'string' || field.name === '') throw new ValidationError(`field id ${field.id} under ${path || 'the schema'} has an empty name`, { id: field.id })
        if (names.has(field.name)) throw new ValidationError(`duplicate field name ${name}`, { field: name })
        names.add(field.name)
        claim(field.id, name)
        check(field.type, name)
      }
    } else if (type.type === 'list') {
      claim(type['element-id'], `${path}.element`)
      check(type.element, `${path}.element`)
    } else if (type.type === 'map') {
      claim(type['key-id'], `${path}.key`)
      claim(type['value-id'], `${path}.value`)
      check(type.key, `${path}.key`)
      check(type.value, `${path}.value`)
    } else {
      throw new ValidationError(`field ${path} has an unknown type ${JSON.stringify(type)}`, { field: path })
    }
  }
  check({ type: 'struct', fields: schema.fields }, '')
  const index = indexById(schema)
  for (const id of schema['identifier-field-ids'] ?? []) {
    const field = index.get(id)
    if (!field) throw new ValidationError(`identifier field id ${id} is not in the schema`, { id })
    if (!isPrimitive(field.type) || field.type === 'float' || field.type === 'double') {
      throw new ValidationError(`identifier field ${field.name} must be a primitive other than float/double, got ${JSON.stringify(field.type)}`, { id })
    }
    if (!field.required) throw new ValidationError(`identifier field ${field.name} must be required (not null)`, { id })
    if (field.inRepeated) throw new ValidationError(`identifier field ${field.name} cannot be inside a list or map`, { id })
  }
}

/**
 * Checks that a schema fits a table of `formatVersion`: the v3 types (timestamp_ns, timestamptz_ns, variant) and
 * column defaults (initial-default, write-default) need a v3 table. Throws ValidationError (code VALIDATION) naming the field.
 */
export function checkSchemaForFormat(schema: StructType, formatVersion: number): void {
  if (formatVersion >= 3) return
  for (const field of indexById(schema).values()) {
    if (isPrimitive(field.type) && V3_TYPES.has(field.type)) {
      throw new ValidationError(`field ${field.name} has type ${field.type}, which needs a format-version 3 table (this one is v${formatVersion})`, { field: field.name, type: field.type })
    }
  }
  const withDefault = (fields: NestedField[], path: string): void => {
    for (const f of fields) {
      const name = path ? `${path}.${f.name}` : f.name
      if (f['initial-default'] !== undefined || f['write-default'] !== undefined) {
        throw new ValidationError(`field ${name} has a default value, which needs a format-version 3 table (this one is v${formatVersion})`, { field: name })
      }
      if (!isPrimitive(f.type) && f.type.type === 'struct') withDefault(f.type.fields, name)
    }
  }
  withDefault(schema.fields, '')
}

/** True when two schemas have the same fields and identifier fields (schema ids ignored), as Java's sameSchema. */
export function sameSchema(a: Schema, b: Schema): boolean {
  return (
    JSON.stringify(a.fields, normalizeField) === JSON.stringify(b.fields, normalizeField) &&
    JSON.stringify([...(a['identifier-field-ids'] ?? [])].sort()) === JSON.stringify([...(b['identifier-field-ids'] ?? [])].sort())
  )
}

// Key order must not matter when comparing, so objects are re-emitted with sorted keys.
function normalizeField(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const sorted: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) sorted[key] = (value as Record<string, unknown>)[key]
  return sorted
}
