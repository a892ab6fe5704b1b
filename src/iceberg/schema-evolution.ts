/**
 * Schema evolution as data (pure): what a record or a writer schema needs that a table schema
 * lacks, and the next schema with it (spec: "Schema Evolution"). Changes are kept by name path,
 * not by id, so the same change applies again on a schema another writer moved meanwhile: a
 * column already there with a compatible type is reused (same field id), never added twice.
 *
 * Allowed changes: add an optional column (nested structs gain nested fields the same way), and —
 * with `add-and-widen` — the type promotions the spec allows: int → long, float → double,
 * decimal(P, S) → decimal(P', S) with P' > P. Nothing is ever dropped, renamed or narrowed here.
 */
import { canonicalPrimitive, isPrimitive, parsePrimitive } from './schema.ts'
import type { IcebergType, NestedField, PrimitiveType, Schema, StructType } from './types.ts'

export type EvolutionMode = 'off' | 'add-columns' | 'add-and-widen'

/** One change, addressed by the names from the top-level struct down (list elements and map values take no name). */
export type SchemaChange =
  /** `field` (ids ignored: fresh ones are assigned) goes into the struct at `path`. */
  | { kind: 'add'; path: string[]; field: NestedField }
  /** The primitive column at `path` becomes `to`. */
  | { kind: 'widen'; path: string[]; from: PrimitiveType; to: PrimitiveType }

const INT_MIN = -(2 ** 31)
const INT_MAX = 2 ** 31 - 1

/**
 * The type a JSON value suggests for a new column: integers → long and other numbers → double
 * (what a JSON number can hold, as Kafka Connect and Redpanda infer), booleans, strings, objects →
 * structs, arrays → lists of their first non-null element. Undefined when nothing can be told yet
 * (null, an empty array or object): the column waits for a value that says what it is.
 */
export function inferType(value: unknown): IcebergType | undefined {
  if (typeof value === 'string') return 'string'
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'bigint') return 'long'
  if (typeof value === 'number') return Number.isInteger(value) ? 'long' : 'double'
  if (Array.isArray(value)) {
    const element = value.find((item) => item !== null && item !== undefined)
    const type = element === undefined ? undefined : inferType(element)
    return type === undefined ? undefined : { type: 'list', 'element-id': 0, element: type, 'element-required': false }
  }
  if (typeof value === 'object' && value !== null) {
    const fields: NestedField[] = []
    for (const [name, item] of Object.entries(value)) {
      const type = inferType(item)
      if (type !== undefined) fields.push({ id: 0, name, required: false, type })
    }
    return fields.length ? { type: 'struct', fields } : undefined
  }
  return undefined
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Former names of each field id, from a table's older schemas (another engine renamed them): read as the current name. */
export type FieldAliases = ReadonlyMap<number, readonly string[]>

/** Every name a field id had in `schemas` other than its name in `current`. */
export function fieldAliases(current: Schema, schemas: readonly Schema[]): FieldAliases {
  const now = new Map<number, string>()
  const walk = (type: IcebergType, visit: (field: NestedField) => void) => {
    if (isPrimitive(type)) return
    if (type.type === 'struct') for (const field of type.fields) (visit(field), walk(field.type, visit))
    else if (type.type === 'list') walk(type.element, visit)
    else (walk(type.key, visit), walk(type.value, visit))
  }
  walk(current, (field) => now.set(field.id, field.name))
  const aliases = new Map<number, string[]>()
  for (const schema of schemas) {
    walk(schema, (field) => {
      const name = now.get(field.id)
      if (name === undefined || name === field.name) return
      const known = aliases.get(field.id) ?? []
      if (!known.includes(field.name)) aliases.set(field.id, [...known, field.name])
    })
  }
  return aliases
}

/**
 * What `record` needs of `struct` under `mode`: fields it has that the struct lacks (with a value
 * whose type can be told) and, with `add-and-widen`, integers past int's range in int columns and
 * decimals with more digits than their column. A value of a different kind (a string in an int
 * column) is no change: the record fails coercion and becomes a dead letter with the reason.
 */
export function changesForRecord(struct: StructType, record: Record<string, unknown>, mode: EvolutionMode, aliases: FieldAliases = new Map()): SchemaChange[] {
  if (mode === 'off') return []
  const changes: SchemaChange[] = []
  const visitStruct = (type: StructType, value: Record<string, unknown>, path: string[]) => {
    const known = new Set<string>()
    for (const field of type.fields) {
      known.add(field.name)
      for (const alias of aliases.get(field.id) ?? []) known.add(alias)
      const item = value[field.name] ?? (aliases.get(field.id) ?? []).map((alias) => value[alias]).find((v) => v !== undefined)
      if (item !== undefined && item !== null) visitValue(field.type, item, [...path, field.name])
    }
    for (const [name, item] of Object.entries(value)) {
      if (known.has(name)) continue
      const inferred = inferType(item)
      if (inferred !== undefined) changes.push({ kind: 'add', path, field: { id: 0, name, required: false, type: inferred } })
    }
  }
  const visitValue = (type: IcebergType, value: unknown, path: string[]) => {
    if (isPrimitive(type)) {
      if (mode !== 'add-and-widen') return
      const to = widenedFor(type, value)
      if (to !== undefined) changes.push({ kind: 'widen', path, from: type, to })
      return
    }
    if (type.type === 'struct') {
      if (isObject(value)) visitStruct(type, value, path)
    } else if (type.type === 'list') {
      if (Array.isArray(value)) for (const item of value) if (item !== null && item !== undefined) visitValue(type.element, item, path)
    } else if (isObject(value)) {
      for (const item of Object.values(value)) if (item !== null && item !== undefined) visitValue(type.value, item, path)
    }
  }
  visitStruct(struct, record, [])
  return dedupe(changes)
}

/** The promotion a JSON value needs in a column of `type`, if one is allowed. */
function widenedFor(type: PrimitiveType, value: unknown): PrimitiveType | undefined {
  if (type === 'int') {
    const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value
    if (typeof n === 'number' && Number.isInteger(n) && (n < INT_MIN || n > INT_MAX)) return 'long'
    if (typeof n === 'bigint' && (n < BigInt(INT_MIN) || n > BigInt(INT_MAX))) return 'long'
    return undefined
  }
  const descriptor = parsePrimitive(type)
  if (descriptor.kind !== 'decimal' || (typeof value !== 'number' && typeof value !== 'string')) return undefined
  const text = typeof value === 'number' ? String(value) : value.trim()
  const match = /^[-+]?(\d*)(?:\.(\d*))?$/.exec(text)
  if (!match) return undefined
  const integerDigits = (match[1] ?? '').replace(/^0+/, '').length
  const needed = integerDigits + descriptor.scale
  if (needed <= descriptor.precision || needed > 38) return undefined
  return canonicalPrimitive(`decimal(${needed}, ${descriptor.scale})`)
}

/**
 * What a writer schema (a registry's, mapped to Iceberg types; ids ignored) needs of `struct`:
 * its fields the struct lacks, and — with `add-and-widen` — the allowed promotions where the writer
 * type is wider. Incompatible types are no change (records that do not fit become dead letters).
 */
export function changesForStruct(struct: StructType, writer: StructType, mode: EvolutionMode, aliases: FieldAliases = new Map()): SchemaChange[] {
  if (mode === 'off') return []
  const changes: SchemaChange[] = []
  const visit = (type: StructType, incoming: StructType, path: string[]) => {
    for (const field of incoming.fields) {
      const existing = type.fields.find((f) => f.name === field.name || (aliases.get(f.id) ?? []).includes(field.name))
      if (!existing) {
        changes.push({ kind: 'add', path, field: { ...field, required: false } })
        continue
      }
      const at = [...path, existing.name]
      if (isPrimitive(existing.type) && isPrimitive(field.type)) {
        if (mode === 'add-and-widen' && promotes(existing.type, field.type)) changes.push({ kind: 'widen', path: at, from: existing.type, to: field.type })
      } else if (!isPrimitive(existing.type) && !isPrimitive(field.type)) {
        const inner = structOf(existing.type)
        const writerInner = structOf(field.type)
        if (inner && writerInner && existing.type.type === field.type.type) visit(inner, writerInner, at)
      }
    }
  }
  visit(struct, writer, [])
  return dedupe(changes)
}

/** The struct inside a struct, a list of structs or a map with struct values (where nested fields can be added). */
function structOf(type: IcebergType): StructType | undefined {
  if (isPrimitive(type)) return undefined
  if (type.type === 'struct') return type
  if (type.type === 'list') return isPrimitive(type.element) || type.element.type !== 'struct' ? undefined : type.element
  return isPrimitive(type.value) || type.value.type !== 'struct' ? undefined : type.value
}

/** The spec's allowed primitive promotions (v2): int → long, float → double, decimal(P, S) → decimal(P', S), P' > P. */
export function promotes(from: PrimitiveType, to: PrimitiveType): boolean {
  if (from === to) return false
  if (from === 'int' && to === 'long') return true
  if (from === 'float' && to === 'double') return true
  const a = parsePrimitive(from)
  const b = parsePrimitive(to)
  return a.kind === 'decimal' && b.kind === 'decimal' && a.scale === b.scale && b.precision > a.precision
}

function dedupe(changes: SchemaChange[]): SchemaChange[] {
  const seen = new Set<string>()
  return changes.filter((change) => {
    const key = `${change.kind}\u0000${change.path.join('\u0000')}\u0000${change.kind === 'add' ? change.field.name : change.to}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

export interface EvolvedSchema {
  schema: Schema
  lastColumnId: number
  /** What changed, for the log: `humidity (long)`, `loc.alt (double)`, `count: int → long`. */
  described: string[]
}

/**
 * `changes` applied to `schema` (ids from `lastColumnId` + 1): undefined when the schema already
 * holds them all — a column of that name with the same or a compatible type is reused, a widening
 * already done (or superseded) is skipped. The new schema's id is left to the catalog (add-schema).
 */
export function applySchemaChanges(schema: Schema, changes: readonly SchemaChange[], lastColumnId: number): EvolvedSchema | undefined {
  let next = lastColumnId
  const described: string[] = []
  const freshIds = (type: IcebergType): IcebergType => {
    if (isPrimitive(type)) return type
    if (type.type === 'struct') return { type: 'struct', fields: type.fields.map((field) => ({ ...field, id: ++next, required: false, type: freshIds(field.type) })) }
    if (type.type === 'list') return { ...type, 'element-id': ++next, element: freshIds(type.element) }
    const keyId = ++next
    const valueId = ++next
    return { ...type, 'key-id': keyId, 'value-id': valueId, key: freshIds(type.key), value: freshIds(type.value) }
  }
  const apply = (struct: StructType, change: SchemaChange, depth: number): StructType | undefined => {
    const path = change.path
    if (change.kind === 'add' && depth === path.length) {
      if (struct.fields.some((field) => field.name === change.field.name)) return undefined
      const id = ++next
      described.push(`${[...path, change.field.name].join('.')} (${typeText(change.field.type)})`)
      return { ...struct, fields: [...struct.fields, { id, name: change.field.name, required: false, type: freshIds(change.field.type), ...(change.field.doc ? { doc: change.field.doc } : {}) }] }
    }
    const index = struct.fields.findIndex((field) => field.name === path[depth])
    if (index < 0) return undefined
    const field = struct.fields[index]!
    let type: IcebergType | undefined
    if (change.kind === 'widen' && depth === path.length - 1) {
      if (!isPrimitive(field.type) || !promotes(field.type, change.to)) return undefined
      described.push(`${path.join('.')}: ${field.type} → ${change.to}`)
      type = change.to
    } else {
      type = applyInside(field.type, change, depth + 1)
    }
    if (type === undefined) return undefined
    const fields = [...struct.fields]
    fields[index] = { ...field, type }
    return { ...struct, fields }
  }
  const applyInside = (type: IcebergType, change: SchemaChange, depth: number): IcebergType | undefined => {
    if (isPrimitive(type)) return undefined
    if (type.type === 'struct') return apply(type, change, depth)
    if (type.type === 'list') {
      const element = applyInside(type.element, change, depth)
      return element === undefined ? undefined : { ...type, element }
    }
    const value = applyInside(type.value, change, depth)
    return value === undefined ? undefined : { ...type, value }
  }
  let current: StructType = schema
  for (const change of changes) current = apply(current, change, 0) ?? current
  if (!described.length) return undefined
  return { schema: { ...schema, fields: current.fields }, lastColumnId: next, described }
}

function typeText(type: IcebergType): string {
  if (isPrimitive(type)) return type
  if (type.type === 'struct') return `struct<${type.fields.map((f) => `${f.name}: ${typeText(f.type)}`).join(', ')}>`
  if (type.type === 'list') return `list<${typeText(type.element)}>`
  return `map<${typeText(type.key)}, ${typeText(type.value)}>`
}
