/**
 * An upsert table's primary key (`tables[].upsert.key`): which columns it is, whether the schema can
 * carry it (top-level, primitive, required — what Iceberg's identifier fields must be), and the one
 * string form a key takes in the key index and the batch resolution (pure).
 */
import { IngestError } from '../errors.ts'
import { isPrimitive } from '../iceberg/schema.ts'
import type { IcebergValue, NestedField, Row, Schema } from '../iceberg/types.ts'

export interface UpsertKey {
  /** The key columns, in the configured order (their ids are the schema's identifier-field-ids). */
  fields: NestedField[]
}

/** What keeps `columns` from being `schema`'s key, one problem per column; empty when they can be. */
export function upsertKeyProblems(schema: Schema, columns: readonly string[]): string[] {
  const problems: string[] = []
  if (!columns.length) problems.push('needs at least one key column')
  columns.forEach((name, index) => {
    if (columns.indexOf(name) !== index) return problems.push(`key column "${name}" is named twice`)
    const field = schema.fields.find((f) => f.name === name)
    if (!field) return problems.push(`key column "${name}" is not a column of the schema (columns: ${schema.fields.map((f) => f.name).join(', ')})`)
    if (!isPrimitive(field.type)) return problems.push(`key column "${name}" is a ${field.type.type}; a key column must be a primitive type`)
    if (field.type === 'float' || field.type === 'double') return problems.push(`key column "${name}" is ${field.type}; Iceberg identifier fields may not be float or double`)
    if (!field.required) problems.push(`key column "${name}" must be required (declare it "${name} ${field.type} not null")`)
  })
  return problems
}

/**
 * The key of `schema` named by `columns`. Throws IngestError UPSERT_KEY naming the columns and every
 * problem (upsertKeyProblems) — e.g. an existing table whose schema lacks a key column.
 */
export function upsertKey(schema: Schema, columns: readonly string[]): UpsertKey {
  const problems = upsertKeyProblems(schema, columns)
  if (problems.length) throw new IngestError('UPSERT_KEY', `upsert key [${columns.join(', ')}]: ${problems.join('; ')}`, { context: { columns: [...columns] } })
  return { fields: columns.map((name) => schema.fields.find((f) => f.name === name)!) }
}

/** `schema` with its identifier-field-ids set to the key columns (what a table is created with). */
export function withIdentifierFields(schema: Schema, key: UpsertKey): Schema {
  return { ...schema, 'identifier-field-ids': key.fields.map((f) => f.id) }
}

/** The schema with only the key columns: what a delete (a key without the rest of the row) is coerced by. */
export function keySchema(key: UpsertKey): Schema {
  return { type: 'struct', 'schema-id': 0, fields: key.fields }
}

function part(value: IcebergValue | undefined): string {
  if (typeof value === 'string') return value
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value instanceof Uint8Array) return Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('')
  throw new IngestError('UPSERT_KEY', `a key value must be a primitive value, got ${value === null || value === undefined ? 'null' : typeof value}`)
}

/**
 * The key's string form. One column: its value as text (a long 42 is "42"), which is what most keys
 * are and costs no allocation beyond the string. Several: the parts JSON-encoded as an array, so no
 * separator inside a value can make two keys meet. Throws IngestError UPSERT_KEY for a null part.
 */
export function keyString(key: UpsertKey, row: Row): string {
  const fields = key.fields
  if (fields.length === 1) return part(row[fields[0]!.name])
  return JSON.stringify(fields.map((f) => part(row[f.name])))
}

/** keyString over values read column by column (what the index rebuild reads from data files). */
export function keyStringOf(key: UpsertKey, values: readonly (IcebergValue | undefined)[]): string {
  if (values.length === 1) return part(values[0])
  return JSON.stringify(values.map(part))
}
