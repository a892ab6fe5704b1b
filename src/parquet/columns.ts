/** Rows or columns of canonical values → validated hyparquet-writer columns, with Iceberg metrics gathered on the way. */
import { ValidationError } from '../errors.ts'
import { compareStrings } from '../iceberg/single-value.ts'
import type { IcebergType, IcebergValue, NestedField, Row, Schema } from '../iceberg/types.ts'
import { INVALID, codecFor, newLeafStats, observe } from './leaf.ts'
import type { LeafCodec, LeafStats, WriterValue } from './leaf.ts'
import { leafColumns } from './schema.ts'

type Slot = IcebergValue | undefined

/** What the writer consumes for one top-level column (nulls as null/undefined). */
export type WriterColumn = unknown[]

/** The plan of one schema: codecs and metric accumulators for every leaf, by field id. */
export interface ColumnPlan {
  schema: Schema
  codecs: Map<number, LeafCodec>
  /** Leaves that keep metrics (paths through structs only). */
  stats: Map<number, LeafStats>
}

export function planColumns(schema: Schema): ColumnPlan {
  const codecs = new Map<number, LeafCodec>()
  const stats = new Map<number, LeafStats>()
  for (const leaf of leafColumns(schema)) {
    const codec = codecFor(leaf.type)
    codecs.set(leaf.id, codec)
    if (leaf.metrics) stats.set(leaf.id, newLeafStats(leaf, codec))
  }
  return { schema, codecs, stats }
}

// Row data may be personal: messages show numbers (range errors need them) but only the shape of text and bytes.
function describe(value: unknown): string {
  if (typeof value === 'bigint') return `bigint ${value}n`
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`
  if (typeof value === 'string') return `string of length ${value.length}`
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`
  if (value instanceof Map) return 'Map'
  return Array.isArray(value) ? 'array' : typeof value
}

function invalid(path: string, id: number, row: number, value: unknown, expected: string): ValidationError {
  return new ValidationError(`row ${row}: field ${path} (id ${id}) expects ${expected}, got ${describe(value)}`, { path, id, row })
}

function requiredNull(path: string, id: number, row: number): ValidationError {
  return new ValidationError(`row ${row}: field ${path} (id ${id}) is required but null`, { path, id, row })
}

/**
 * Converts one top-level primitive column. `owned` arrays (transposed from rows by us) are
 * converted in place; a caller's array is returned as-is when no value changes form (every type
 * but uuid), so the common path allocates nothing per value.
 */
function primitiveColumn(field: NestedField, src: Slot[], owned: boolean, plan: ColumnPlan): WriterColumn {
  const codec = plan.codecs.get(field.id)!
  const stats = plan.stats.get(field.id)!
  switch (codec.kind) {
    case 'long': case 'time': case 'timestamp': case 'timestamptz': case 'timestamp_ns': case 'timestamptz_ns': case 'decimal':
      return bigintColumn(field, src, stats)
    case 'string':
      return stringColumn(field, src, stats)
    default:
      return genericColumn(field, src, owned, stats)
  }
}

function genericColumn(field: NestedField, src: Slot[], owned: boolean, stats: LeafStats): WriterColumn {
  const { codec } = stats
  const converts = codec.kind === 'uuid'
  const out: unknown[] = owned || !converts ? src : new Array<unknown>(src.length)
  const { toWriter } = codec
  let nulls = 0
  for (let i = 0; i < src.length; i++) {
    const v = src[i]
    if (v === null || v === undefined) {
      if (field.required) throw requiredNull(field.name, field.id, i)
      nulls++
      if (converts) out[i] = null
      continue
    }
    const w = toWriter(v)
    if (w === INVALID) throw invalid(field.name, field.id, i, v, codec.expected)
    if (converts) out[i] = w
    observe(stats, w)
  }
  stats.nulls += nulls
  return out
}

/** Hot path for 64-bit columns: one typeof per value; the range is checked once on min/max. */
function bigintColumn(field: NestedField, src: Slot[], stats: LeafStats): WriterColumn {
  let nulls = 0
  let min: bigint | undefined
  let max: bigint | undefined
  for (let i = 0; i < src.length; i++) {
    const v = src[i]
    if (v === null || v === undefined) {
      if (field.required) throw requiredNull(field.name, field.id, i)
      nulls++
    } else if (typeof v !== 'bigint') {
      throw invalid(field.name, field.id, i, v, stats.codec.expected)
    } else if (min === undefined) {
      min = max = v
    } else if (v < min) {
      min = v
    } else if (v > max!) {
      max = v
    }
  }
  // every value lies within [min, max], so checking those two checks them all
  for (const edge of [min, max]) {
    if (edge !== undefined && stats.codec.toWriter(edge) === INVALID) {
      const row = src.indexOf(edge)
      throw invalid(field.name, field.id, row, edge, stats.codec.expected)
    }
  }
  stats.nulls += nulls
  if (min !== undefined) {
    observe(stats, min)
    observe(stats, max!)
  }
  return src
}

/** Hot path for strings: code point comparison only when a value is not already min or max. */
function stringColumn(field: NestedField, src: Slot[], stats: LeafStats): WriterColumn {
  let nulls = 0
  let min: string | undefined
  let max: string | undefined
  for (let i = 0; i < src.length; i++) {
    const v = src[i]
    if (v === null || v === undefined) {
      if (field.required) throw requiredNull(field.name, field.id, i)
      nulls++
    } else if (typeof v !== 'string') {
      throw invalid(field.name, field.id, i, v, stats.codec.expected)
    } else if (min === undefined) {
      min = max = v
    } else if (v !== min && v !== max) {
      if (compareStrings(v, min) < 0) min = v
      else if (compareStrings(v, max!) > 0) max = v
    }
  }
  stats.nulls += nulls
  if (min !== undefined) {
    observe(stats, min)
    observe(stats, max!)
  }
  return src
}

/** A struct that is null makes every metric-keeping leaf below it null for this row. */
function countNulls(type: IcebergType, id: number, plan: ColumnPlan): void {
  if (typeof type === 'string') {
    const stats = plan.stats.get(id)
    if (stats) stats.nulls++
  } else if (type.type === 'struct') {
    for (const child of type.fields) countNulls(child.type, child.id, plan)
  }
}

/**
 * Converts one nested value into the shape hyparquet-writer's Dremel encoder walks: structs as
 * objects keyed by child name, lists as arrays, maps as arrays of `{ key, value }`.
 */
function nestedValue(type: IcebergType, id: number, required: boolean, value: Slot, path: string, row: number, plan: ColumnPlan): unknown {
  if (value === null || value === undefined) {
    if (required) throw requiredNull(path, id, row)
    countNulls(type, id, plan)
    return null
  }
  if (typeof type === 'string') {
    const codec = plan.codecs.get(id)!
    const w: WriterValue | typeof INVALID = codec.toWriter(value)
    if (w === INVALID) throw invalid(path, id, row, value, codec.expected)
    const stats = plan.stats.get(id)
    if (stats) observe(stats, w)
    return w
  }
  switch (type.type) {
    case 'struct': {
      if (typeof value !== 'object' || value instanceof Uint8Array || value instanceof Map || Array.isArray(value)) {
        throw invalid(path, id, row, value, 'struct object')
      }
      const struct = value as Row
      const out: Record<string, unknown> = {}
      for (const child of type.fields) {
        out[child.name] = nestedValue(child.type, child.id, child.required, struct[child.name], `${path}.${child.name}`, row, plan)
      }
      return out
    }
    case 'list': {
      if (!Array.isArray(value)) throw invalid(path, id, row, value, 'array')
      const elementId = type['element-id']
      const elementRequired = type['element-required']
      return value.map((element: Slot) => nestedValue(type.element, elementId, elementRequired, element, `${path}.element`, row, plan))
    }
    case 'map': {
      if (!(value instanceof Map)) throw invalid(path, id, row, value, 'Map')
      const entries: { key: unknown; value: unknown }[] = []
      for (const [k, v] of value) {
        entries.push({
          key: nestedValue(type.key, type['key-id'], true, k, `${path}.key`, row, plan),
          value: nestedValue(type.value, type['value-id'], type['value-required'], v, `${path}.value`, row, plan),
        })
      }
      return entries
    }
  }
}

function nestedColumn(field: NestedField, src: Slot[], plan: ColumnPlan): WriterColumn {
  const out = new Array<unknown>(src.length)
  for (let i = 0; i < src.length; i++) out[i] = nestedValue(field.type, field.id, field.required, src[i], field.name, i, plan)
  return out
}

/**
 * A top-level variant column for hyparquet-writer, which variant-encodes each value (metadata + value) itself:
 * there `undefined` is a missing (null) row and `null` a variant null, so our null becomes undefined.
 */
function variantColumn(field: NestedField, src: Slot[]): WriterColumn {
  const out = new Array<unknown>(src.length)
  for (let i = 0; i < src.length; i++) {
    const v = src[i]
    if (v === null || v === undefined) {
      if (field.required) throw requiredNull(field.name, field.id, i)
      out[i] = undefined
    } else if (v instanceof Map) {
      throw invalid(field.name, field.id, i, v, 'a JSON-like value (a Map is not one)')
    } else {
      out[i] = v
    }
  }
  return out
}

/** Converts one top-level column; `owned` says the array is ours to rewrite. */
export function convertColumn(field: NestedField, src: Slot[], owned: boolean, plan: ColumnPlan): WriterColumn {
  if (field.type === 'variant') return variantColumn(field, src)
  return typeof field.type === 'string' ? primitiveColumn(field, src, owned, plan) : nestedColumn(field, src, plan)
}

/** Transposes rows into one array per top-level field (missing keys become null). */
export function transposeRows(schema: Schema, rows: readonly Row[]): Slot[][] {
  return schema.fields.map(({ name }) => {
    const column = new Array<Slot>(rows.length)
    for (let i = 0; i < rows.length; i++) column[i] = rows[i]![name] ?? null
    return column
  })
}
