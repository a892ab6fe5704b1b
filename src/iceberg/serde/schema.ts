/** Schemas, partition specs and sort orders <-> JSON (spec: "Appendix C: JSON serialization"). */
import { canonicalPrimitive, validateSchema } from '../schema.ts'
import { parseTransform } from '../transforms.ts'
import type { IcebergType, JsonValue, NestedField, PartitionField, PartitionSpec, Schema, SortField, SortOrder } from '../types.ts'
import { asArray, asObject, invalid, optString, reqBoolean, reqInt, reqString } from './read-json.ts'

/** Reads a type; primitive strings are canonicalized (`decimal(9, 2)` → `decimal(9,2)`). Throws ValidationError. */
export function typeFromJson(json: unknown, path: string): IcebergType {
  if (typeof json === 'string') {
    try {
      return canonicalPrimitive(json)
    } catch {
      throw invalid(path, 'a primitive type (boolean, int, long, float, double, date, time, timestamp, timestamptz, timestamp_ns, timestamptz_ns, string, uuid, binary, variant, decimal(P,S), fixed[L])', json)
    }
  }
  const obj = asObject(json, path)
  const kind = obj.type
  if (kind === 'struct') return { type: 'struct', fields: fieldsFromJson(obj.fields, `${path}.fields`) }
  if (kind === 'list') {
    return {
      type: 'list',
      'element-id': reqInt(obj, 'element-id', path),
      element: typeFromJson(obj.element, `${path}.element`),
      'element-required': reqBoolean(obj, 'element-required', path),
    }
  }
  if (kind === 'map') {
    return {
      type: 'map',
      'key-id': reqInt(obj, 'key-id', path),
      key: typeFromJson(obj.key, `${path}.key`),
      'value-id': reqInt(obj, 'value-id', path),
      value: typeFromJson(obj.value, `${path}.value`),
      'value-required': reqBoolean(obj, 'value-required', path),
    }
  }
  throw invalid(`${path}.type`, 'struct, list or map', kind)
}

function fieldsFromJson(json: unknown, path: string): NestedField[] {
  return asArray(json, path).map((item, i) => {
    const at = `${path}[${i}]`
    const obj = asObject(item, at)
    const field: NestedField = {
      id: reqInt(obj, 'id', at),
      name: reqString(obj, 'name', at),
      required: reqBoolean(obj, 'required', at),
      type: typeFromJson(obj.type, `${at}.type`),
    }
    const doc = optString(obj, 'doc', at)
    if (doc !== undefined) field.doc = doc
    // v3 defaults stay in their JSON single-value form; null (or absent) means no default.
    if (obj['initial-default'] !== undefined && obj['initial-default'] !== null) field['initial-default'] = obj['initial-default'] as JsonValue
    if (obj['write-default'] !== undefined && obj['write-default'] !== null) field['write-default'] = obj['write-default'] as JsonValue
    return field
  })
}

/** Reads and validates a schema object. Throws ValidationError (code VALIDATION) naming the field at fault. */
export function schemaFromJson(json: unknown, path = 'schema'): Schema {
  const obj = asObject(json, path)
  if (obj.type !== undefined && obj.type !== 'struct') throw invalid(`${path}.type`, '"struct"', obj.type)
  const schema: Schema = { type: 'struct', 'schema-id': reqInt(obj, 'schema-id', path), fields: fieldsFromJson(obj.fields, `${path}.fields`) }
  const ids = obj['identifier-field-ids']
  if (ids !== undefined && ids !== null) {
    schema['identifier-field-ids'] = asArray(ids, `${path}.identifier-field-ids`).map((id, i) => {
      if (typeof id !== 'number' || !Number.isInteger(id)) throw invalid(`${path}.identifier-field-ids[${i}]`, 'an integer', id)
      return id
    })
  }
  validateSchema(schema)
  return schema
}

function typeToJson(type: IcebergType): unknown {
  if (typeof type === 'string') return type
  if (type.type === 'struct') return { type: 'struct', fields: type.fields.map(fieldToJson) }
  if (type.type === 'list') {
    return { type: 'list', 'element-id': type['element-id'], element: typeToJson(type.element), 'element-required': type['element-required'] }
  }
  return {
    type: 'map',
    'key-id': type['key-id'],
    key: typeToJson(type.key),
    'value-id': type['value-id'],
    value: typeToJson(type.value),
    'value-required': type['value-required'],
  }
}

function fieldToJson(field: NestedField): unknown {
  const out: Record<string, unknown> = { id: field.id, name: field.name, required: field.required, type: typeToJson(field.type) }
  if (field.doc !== undefined) out.doc = field.doc
  if (field['initial-default'] !== undefined) out['initial-default'] = field['initial-default']
  if (field['write-default'] !== undefined) out['write-default'] = field['write-default']
  return out
}

/** A schema in Java's key order (type, schema-id, identifier-field-ids when set, fields). */
export function schemaToJson(schema: Schema): unknown {
  const out: Record<string, unknown> = { type: 'struct', 'schema-id': schema['schema-id'] }
  if (schema['identifier-field-ids'] !== undefined) {
    out['identifier-field-ids'] = [...schema['identifier-field-ids']]
  }
  out.fields = schema.fields.map(fieldToJson)
  return out
}

/** Reads a partition spec (v2: every field carries field-id). Throws ValidationError (code VALIDATION). */
export function partitionSpecFromJson(json: unknown, path = 'partition-spec'): PartitionSpec {
  const obj = asObject(json, path)
  return {
    'spec-id': reqInt(obj, 'spec-id', path),
    fields: asArray(obj.fields, `${path}.fields`).map((item, i): PartitionField => {
      const at = `${path}.fields[${i}]`
      const field = asObject(item, at)
      if (field['source-id'] === undefined && field['source-ids'] !== undefined) {
        throw invalid(`${at}.source-id`, 'a single source id (multi-argument transforms are v3)', field['source-ids'])
      }
      return {
        'source-id': reqInt(field, 'source-id', at),
        'field-id': reqInt(field, 'field-id', at),
        name: reqString(field, 'name', at),
        transform: parseTransform(reqString(field, 'transform', at)),
      }
    }),
  }
}

export function partitionSpecToJson(spec: PartitionSpec): unknown {
  return {
    'spec-id': spec['spec-id'],
    fields: spec.fields.map((f) => ({ name: f.name, transform: f.transform, 'source-id': f['source-id'], 'field-id': f['field-id'] })),
  }
}

/** Reads a sort order. Throws ValidationError (code VALIDATION). */
export function sortOrderFromJson(json: unknown, path = 'sort-order'): SortOrder {
  const obj = asObject(json, path)
  return {
    'order-id': reqInt(obj, 'order-id', path),
    fields: asArray(obj.fields, `${path}.fields`).map((item, i): SortField => {
      const at = `${path}.fields[${i}]`
      const field = asObject(item, at)
      const direction = reqString(field, 'direction', at)
      if (direction !== 'asc' && direction !== 'desc') throw invalid(`${at}.direction`, '"asc" or "desc"', direction)
      const nullOrder = reqString(field, 'null-order', at)
      if (nullOrder !== 'nulls-first' && nullOrder !== 'nulls-last') throw invalid(`${at}.null-order`, '"nulls-first" or "nulls-last"', nullOrder)
      return { transform: parseTransform(reqString(field, 'transform', at)), 'source-id': reqInt(field, 'source-id', at), direction, 'null-order': nullOrder }
    }),
  }
}

export function sortOrderToJson(order: SortOrder): unknown {
  return {
    'order-id': order['order-id'],
    fields: order.fields.map((f) => ({ transform: f.transform, 'source-id': f['source-id'], direction: f.direction, 'null-order': f['null-order'] })),
  }
}
