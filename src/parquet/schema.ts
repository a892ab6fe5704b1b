/** Iceberg schema → Parquet schema elements with field ids (spec "Parquet" type mapping, 3-level lists and maps). */
import type { SchemaElement } from 'hyparquet'
import { ValidationError } from '../errors.ts'
import { decimalRequiredBytes } from '../iceberg/big-endian.ts'
import { parsePrimitive } from '../iceberg/schema.ts'
import type { IcebergType, NestedField, PrimitiveType, Schema } from '../iceberg/types.ts'

/** The Parquet element (without name, repetition, id) for a primitive Iceberg type other than variant (a group). */
function primitiveElement(type: Exclude<PrimitiveType, 'variant'>): Omit<SchemaElement, 'name'> {
  const shape = parsePrimitive(type)
  switch (shape.kind) {
    case 'variant': throw new ValidationError('variant is a group in Parquet, not a leaf')
    case 'boolean': return { type: 'BOOLEAN' }
    case 'int': return { type: 'INT32' }
    case 'long': return { type: 'INT64' }
    case 'float': return { type: 'FLOAT' }
    case 'double': return { type: 'DOUBLE' }
    case 'date': return { type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } }
    // The legacy converted types TIME_MICROS / TIMESTAMP_MICROS mean "adjusted to UTC", so they
    // are written only where that is true (timestamptz), as parquet-format's compatibility rules ask.
    case 'time': return { type: 'INT64', logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' } }
    case 'timestamp':
      return { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' } }
    case 'timestamptz':
      return {
        type: 'INT64',
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
      }
    // No legacy converted type exists for nanoseconds; the logical type alone says it.
    case 'timestamp_ns':
      return { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'NANOS' } }
    case 'timestamptz_ns':
      return { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' } }
    case 'string': return { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } }
    case 'uuid': return { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, logical_type: { type: 'UUID' } }
    case 'fixed': return { type: 'FIXED_LEN_BYTE_ARRAY', type_length: shape.length }
    case 'binary': return { type: 'BYTE_ARRAY' }
    case 'decimal': {
      const { precision, scale } = shape
      const decimal = { converted_type: 'DECIMAL', precision, scale, logical_type: { type: 'DECIMAL', precision, scale } } as const
      if (precision <= 9) return { type: 'INT32', ...decimal }
      if (precision <= 18) return { type: 'INT64', ...decimal }
      return { type: 'FIXED_LEN_BYTE_ARRAY', type_length: decimalRequiredBytes(precision), ...decimal }
    }
  }
}

/** Appends the elements of one field (preorder, as Parquet's flattened schema wants). */
function appendField(out: SchemaElement[], name: string, id: number, required: boolean, type: IcebergType, path: string): void {
  const repetition_type = required ? 'REQUIRED' : 'OPTIONAL'
  if (type === 'variant') {
    // Parquet's variant encoding (VariantEncoding.md): a VARIANT group of two required binaries, unshredded.
    // hyparquet-writer encodes the values of a top-level VARIANT column itself, so nested ones cannot be written.
    if (path.includes('.')) throw new ValidationError(`variant field ${path} (id ${id}) is nested; variant columns are written only at the top level`, { path, id })
    out.push({ name, repetition_type, field_id: id, num_children: 2, logical_type: { type: 'VARIANT' } })
    out.push({ name: 'metadata', repetition_type: 'REQUIRED', type: 'BYTE_ARRAY' })
    out.push({ name: 'value', repetition_type: 'REQUIRED', type: 'BYTE_ARRAY' })
    return
  }
  if (typeof type === 'string') {
    out.push({ name, repetition_type, field_id: id, ...primitiveElement(type) })
    return
  }
  switch (type.type) {
    case 'struct':
      // Parquet has no empty groups: a reader could not tell such a column exists
      if (type.fields.length === 0) throw new ValidationError(`struct field ${path} (id ${id}) has no fields; Parquet cannot store an empty group`, { path, id })
      out.push({ name, repetition_type, field_id: id, num_children: type.fields.length })
      for (const child of type.fields) appendField(out, child.name, child.id, child.required, child.type, `${path}.${child.name}`)
      return
    case 'list':
      out.push({ name, repetition_type, field_id: id, num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' } })
      out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 })
      appendField(out, 'element', type['element-id'], type['element-required'], type.element, `${path}.element`)
      return
    case 'map':
      out.push({ name, repetition_type, field_id: id, num_children: 1, converted_type: 'MAP', logical_type: { type: 'MAP' } })
      out.push({ name: 'key_value', repetition_type: 'REPEATED', num_children: 2 })
      appendField(out, 'key', type['key-id'], true, type.key, `${path}.key`)
      appendField(out, 'value', type['value-id'], type['value-required'], type.value, `${path}.value`)
      return
  }
}

/**
 * Parquet schema elements for an Iceberg schema: the root message, then every field in preorder,
 * each carrying its Iceberg field id. Lists use the 3-level form `<list> (LIST) { repeated group
 * list { element } }`, maps `<map> (MAP) { repeated group key_value { key; value } }`; the
 * synthetic repeated groups carry no id (they are not Iceberg fields), as Java's writer does.
 * Names are kept verbatim (readers resolve columns by field id).
 * @throws ValidationError (code VALIDATION) for an unknown type string or an empty struct.
 */
export function parquetSchemaFor(schema: Schema): SchemaElement[] {
  if (schema.fields.length === 0) throw new ValidationError('schema has no fields; Parquet cannot store an empty message')
  const out: SchemaElement[] = [{ name: 'table', num_children: schema.fields.length }]
  for (const field of schema.fields) appendField(out, field.name, field.id, field.required, field.type, field.name)
  return out
}

/** One Parquet leaf column: its element path, Iceberg field id and type. */
export interface LeafColumn {
  id: number
  path: string[]
  type: PrimitiveType
  /**
   * False under a list or map: Iceberg's Java writer keeps no counts or bounds for repeated
   * fields (ParquetMetrics.MetricsVisitor returns nothing for list/map), only column sizes.
   */
  metrics: boolean
}

function collectLeaves(out: LeafColumn[], field: Pick<NestedField, 'id' | 'type'>, path: string[], metrics: boolean): void {
  const { type } = field
  // A variant's two binaries are encoding, not Iceberg fields: no metrics (Java keeps none for variants).
  if (type === 'variant') return
  if (typeof type === 'string') {
    out.push({ id: field.id, path, type, metrics })
  } else if (type.type === 'struct') {
    for (const child of type.fields) collectLeaves(out, child, [...path, child.name], metrics)
  } else if (type.type === 'list') {
    collectLeaves(out, { id: type['element-id'], type: type.element }, [...path, 'list', 'element'], false)
  } else {
    collectLeaves(out, { id: type['key-id'], type: type.key }, [...path, 'key_value', 'key'], false)
    collectLeaves(out, { id: type['value-id'], type: type.value }, [...path, 'key_value', 'value'], false)
  }
}

/** Every leaf column of the schema in Parquet column order. */
export function leafColumns(schema: Schema): LeafColumn[] {
  const out: LeafColumn[] = []
  for (const field of schema.fields) collectLeaves(out, field, [field.name], true)
  return out
}
