/** Scan filters: conjunctions of `column op literal`, bound to a schema's field ids, and their SQL truth on row values. */
import { formatDate, formatTime, formatTimestamp } from '../iceberg/datetime.ts'
import { decimalToString } from '../iceberg/human-string.ts'
import { isPrimitive, parsePrimitive } from '../iceberg/schema.ts'
import { compareValues } from '../iceberg/single-value.ts'
import type { IcebergValue, PrimitiveType, Schema } from '../iceberg/types.ts'
import { Invalid } from '../records/invalid.ts'
import { primitiveConverter } from '../records/primitives.ts'
import { QueryError } from './errors.ts'

export type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>='

/**
 * One conjunct of a scan filter. Values are in the canonical forms of src/iceberg/types.ts, or in any JSON form the
 * ingest path accepts for the column (ISO strings or epoch milliseconds for timestamps, `"YYYY-MM-DD"` for dates, ...).
 */
export type Predicate =
  | { column: string; op: ComparisonOp; value: unknown }
  | { column: string; op: 'in'; values: unknown[] }
  | { column: string; op: 'is-null' | 'is-not-null' }

export type PredicateOp = Predicate['op']

/** A predicate resolved against a schema: field id, primitive type, and canonical non-null values. */
export interface BoundPredicate {
  fieldId: number
  column: string
  type: PrimitiveType
  op: PredicateOp
  /** One value for comparisons, the list for `in`, none for the null tests. */
  values: IcebergValue[]
}

const CANONICAL: Record<string, (value: unknown) => boolean> = {
  boolean: (v) => typeof v === 'boolean',
  int: (v) => typeof v === 'number' && Number.isInteger(v),
  date: (v) => typeof v === 'number' && Number.isInteger(v),
  float: (v) => typeof v === 'number',
  double: (v) => typeof v === 'number',
  long: (v) => typeof v === 'bigint',
  time: (v) => typeof v === 'bigint',
  timestamp: (v) => typeof v === 'bigint',
  timestamptz: (v) => typeof v === 'bigint',
  string: (v) => typeof v === 'string',
}

function canonical(type: PrimitiveType, column: string, value: unknown): IcebergValue {
  const family = type.startsWith('decimal') ? 'decimal' : type
  if (family === 'decimal' && typeof value === 'bigint') return value
  if (CANONICAL[family]?.(value)) return value as IcebergValue
  const converted = primitiveConverter(type)(value)
  if (converted instanceof Invalid) {
    throw new QueryError('INVALID_FILTER', `filter on ${column} (${type}): ${converted.problem}; pass a value of the column's type`, { context: { column, type } })
  }
  return converted
}

/**
 * Resolves `predicates` against the top-level primitive columns of `schema`.
 * @throws QueryError `UNKNOWN_COLUMN` for a column the schema lacks or that is not primitive; `INVALID_FILTER` for a
 *   value that does not fit the column's type (null literals included: use `is-null`).
 */
export function bindPredicates(schema: Schema, predicates: readonly Predicate[]): BoundPredicate[] {
  return predicates.map((predicate) => {
    const field = schema.fields.find((f) => f.name === predicate.column)
    if (!field || !isPrimitive(field.type)) {
      const columns = schema.fields.filter((f) => isPrimitive(f.type)).map((f) => f.name)
      throw new QueryError('UNKNOWN_COLUMN', `cannot filter on ${JSON.stringify(predicate.column)}: filters take top-level primitive columns (${columns.join(', ')})`, {
        context: { column: predicate.column },
      })
    }
    const type = field.type as PrimitiveType
    const literal = (value: unknown) => {
      if (value === null || value === undefined) {
        throw new QueryError('INVALID_FILTER', `filter on ${field.name} compares with null, which is never true in SQL; use op "is-null"`, { context: { column: field.name } })
      }
      return canonical(type, field.name, value)
    }
    const values = predicate.op === 'in' ? predicate.values.map(literal) : 'value' in predicate ? [literal(predicate.value)] : []
    return { fieldId: field.id, column: field.name, type, op: predicate.op, values }
  })
}

const isFloating = (type: PrimitiveType) => type === 'float' || type === 'double'

/**
 * Compares two non-null values as SQL engines (DuckDB, Java's Comparators) do: NaN equals NaN and sorts above every
 * number, -0 equals +0; other types in Iceberg order (strings by code point, binary unsigned).
 */
export function compareSql(type: PrimitiveType, a: IcebergValue, b: IcebergValue): number {
  if (isFloating(type)) {
    const x = a as number
    const y = b as number
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1
    return x < y ? -1 : x > y ? 1 : 0
  }
  return compareValues(type, a, b)
}

/** Whether `op values` holds for one row value, with SQL's null rule: a comparison with null is never true. */
export function holds(type: PrimitiveType, op: PredicateOp, values: readonly IcebergValue[], value: IcebergValue | undefined): boolean {
  if (op === 'is-null') return value === null || value === undefined
  if (op === 'is-not-null') return value !== null && value !== undefined
  if (value === null || value === undefined) return false
  if (op === 'in') return values.some((v) => compareSql(type, value, v) === 0)
  const c = compareSql(type, value, values[0] as IcebergValue)
  switch (op) {
    case '=': return c === 0
    case '!=': return c !== 0
    case '<': return c < 0
    case '<=': return c <= 0
    case '>': return c > 0
    case '>=': return c >= 0
  }
}

/** A one-line text form for plans and logs: `sensor_id = 'sensor-3'`, `reading IN (1, 2)`, `x IS NULL`. */
export function describePredicate(predicate: BoundPredicate): string {
  const { type } = predicate
  const shape = parsePrimitive(type)
  const show = (v: IcebergValue): string => {
    if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`
    if (v instanceof Uint8Array) return `<${v.length} bytes>`
    if (type === 'date') return `DATE '${formatDate(v as number)}'`
    if (type === 'time') return `TIME '${formatTime(v as bigint)}'`
    if (type === 'timestamp' || type === 'timestamptz') return `TIMESTAMP${type === 'timestamptz' ? 'TZ' : ''} '${formatTimestamp(v as bigint, type === 'timestamptz')}'`
    if (shape.kind === 'decimal' && typeof v === 'bigint') return decimalToString(v, shape.scale)
    return String(v)
  }
  switch (predicate.op) {
    case 'is-null': return `${predicate.column} IS NULL`
    case 'is-not-null': return `${predicate.column} IS NOT NULL`
    case 'in': return `${predicate.column} IN (${predicate.values.map(show).join(', ')})`
    default: return `${predicate.column} ${predicate.op} ${show(predicate.values[0] as IcebergValue)}`
  }
}
