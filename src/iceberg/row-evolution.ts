/**
 * Rows shaped by one schema → rows of a later schema of the same table, matched by field id (spec:
 * "Schema Evolution": columns are identified by id, names may change). Rows are keyed by name
 * (types.ts, "Row values"), so a column renamed by another engine while rows wait in a buffer would
 * otherwise be written as null. Pure.
 */
import { isPrimitive } from './schema.ts'
import type { IcebergType, IcebergValue, Row, Schema, StructType } from './types.ts'

function evolveValue(value: IcebergValue | undefined, from: IcebergType, to: IcebergType): IcebergValue | undefined {
  if (value === undefined || value === null) return value
  if (isPrimitive(to)) {
    // The one promotion whose in-memory form changes: int (number) → long (bigint).
    if (from === 'int' && to === 'long' && typeof value === 'number') return BigInt(value)
    return value
  }
  if (isPrimitive(from)) return value
  if (to.type === 'struct' && from.type === 'struct') return evolveStruct(value as Row, from, to)
  if (to.type === 'list' && from.type === 'list') {
    return (value as IcebergValue[]).map((element) => evolveValue(element, from.element, to.element) ?? null)
  }
  if (to.type === 'map' && from.type === 'map') {
    const out = new Map<IcebergValue, IcebergValue>()
    for (const [k, v] of value as Map<IcebergValue, IcebergValue>) out.set(evolveValue(k, from.key, to.key) ?? null, evolveValue(v, from.value, to.value) ?? null)
    return out
  }
  return value
}

function evolveStruct(row: Row, from: StructType, to: StructType): Row {
  const byId = new Map(from.fields.map((field) => [field.id, field]))
  const out: Row = {}
  for (const field of to.fields) {
    const source = byId.get(field.id)
    // A column added since: null. A column dropped since: not carried.
    if (source === undefined) continue
    const value = evolveValue(Object.hasOwn(row, source.name) ? row[source.name] : undefined, source.type, field.type)
    if (value === undefined) continue
    // A name like "__proto__" must become an own key, not the prototype.
    if (field.name in Object.prototype) Object.defineProperty(out, field.name, { value, enumerable: true, writable: true, configurable: true })
    else out[field.name] = value
  }
  return out
}

/**
 * `rows` (values keyed by the names of `from`) keyed by the names of `to`, matched by field id at
 * every struct level; int values become bigint where `to` promoted the column to long. The same
 * array when both schemas have the same id.
 */
export function evolveRows(rows: Row[], from: Schema, to: Schema): Row[] {
  if (from['schema-id'] === to['schema-id']) return rows
  return rows.map((row) => evolveStruct(row, from, to))
}
