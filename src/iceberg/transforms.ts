/** Partition transforms (spec: "Partition Transforms", "Truncate Transform Details") and partition tuples/paths of rows. */
import { ValidationError } from '../errors.ts'
import { bucketOf } from './bucket.ts'
import { civilFromDays, floorDiv, MICROS_PER_DAY, MICROS_PER_HOUR } from './datetime.ts'
import { humanString } from './human-string.ts'
import { indexById, isPrimitive } from './schema.ts'
import type { IcebergValue, PartitionSpec, PrimitiveType, Row, Schema, Transform } from './types.ts'

/** A transform taken apart: its name and, for bucket/truncate, its parameter. */
export type TransformDescriptor =
  | { kind: 'identity' | 'year' | 'month' | 'day' | 'hour' | 'void' }
  | { kind: 'bucket'; n: number }
  | { kind: 'truncate'; width: number }

const NAMED = new Set(['identity', 'year', 'month', 'day', 'hour', 'void'])
const EXPECTED = 'identity, bucket[N], truncate[W], year, month, day, hour or void'

/** Parses a transform string (names case-insensitive, as Java). Throws ValidationError (code VALIDATION) on an unknown one. */
export function parseTransform(text: string): Transform {
  const t = text.trim().toLowerCase()
  if (NAMED.has(t)) return t as Transform
  const param = /^(bucket|truncate)\[\s*(\d+)\s*\]$/.exec(t)
  if (param) {
    const n = Number(param[2])
    if (n < 1 || n > 0x7fffffff) throw new ValidationError(`invalid transform ${text}: ${param[1]} needs a positive 32-bit parameter`, { transform: text })
    return `${param[1] as 'bucket' | 'truncate'}[${n}]`
  }
  throw new ValidationError(`unknown transform ${JSON.stringify(text)}; expected ${EXPECTED}`, { transform: text })
}

/** The parts of a transform. Throws ValidationError (code VALIDATION) like parseTransform. */
export function describeTransform(transform: Transform): TransformDescriptor {
  const t = parseTransform(transform)
  if (t.startsWith('bucket')) return { kind: 'bucket', n: Number(t.slice(7, -1)) }
  if (t.startsWith('truncate')) return { kind: 'truncate', width: Number(t.slice(9, -1)) }
  return { kind: t as 'identity' }
}

const BUCKET_SOURCES = new Set(['int', 'long', 'date', 'time', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns', 'string', 'uuid', 'binary'])
const TRUNCATE_SOURCES = new Set(['int', 'long', 'string', 'binary'])
const DATE_SOURCES = new Set(['date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns'])
const NANOS_SOURCES: ReadonlySet<string> = new Set(['timestamp_ns', 'timestamptz_ns'])

/** Whether the spec allows `transform` on a `source` column. Throws ValidationError for an unparseable transform. */
export function canTransform(transform: Transform, source: PrimitiveType): boolean {
  const d = describeTransform(transform)
  const decimal = source.startsWith('decimal')
  switch (d.kind) {
    case 'identity':
    case 'void':
      return true
    case 'bucket':
      return BUCKET_SOURCES.has(source) || decimal || source.startsWith('fixed')
    case 'truncate':
      return TRUNCATE_SOURCES.has(source) || decimal
    case 'year':
    case 'month':
    case 'day':
      return DATE_SOURCES.has(source)
    case 'hour':
      return source === 'timestamp' || source === 'timestamptz' || NANOS_SOURCES.has(source)
  }
}

/**
 * The partition value type `transform` produces from `source`: bucket/year/month/hour → int,
 * day → date, identity/truncate/void → the source type.
 * Throws ValidationError (code VALIDATION) when the transform does not apply to the source type.
 */
export function transformResultType(transform: Transform, source: PrimitiveType): PrimitiveType {
  if (!canTransform(transform, source)) throw new ValidationError(`transform ${transform} cannot be applied to a ${source} column`, { transform, source })
  const { kind } = describeTransform(transform)
  if (kind === 'bucket' || kind === 'year' || kind === 'month' || kind === 'hour') return 'int'
  if (kind === 'day') return 'date'
  return source
}

/** Days since epoch of a date (number) or timestamp (bigint µs, or ns for the _ns types) value. */
function epochDays(source: PrimitiveType, value: IcebergValue): number {
  if (source === 'date') {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw badValue(source, value)
    return value
  }
  if (typeof value !== 'bigint') throw badValue(source, value)
  return Number(floorDiv(value, NANOS_SOURCES.has(source) ? MICROS_PER_DAY * 1000n : MICROS_PER_DAY))
}

function badValue(source: PrimitiveType, value: IcebergValue): ValidationError {
  return new ValidationError(`value ${typeof value === 'bigint' ? `${value}n` : String(value)} (${typeof value}) is not a ${source} value in canonical form`, {
    source,
    value: String(value),
  })
}

function truncateValue(source: PrimitiveType, value: IcebergValue, width: number): IcebergValue {
  if (source === 'int') {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw badValue(source, value)
    // The spec's remainder must be non-negative: v - (((v % W) + W) % W), so -1 → -10 for W=10.
    return value - (((value % width) + width) % width)
  }
  if (source === 'long' || source.startsWith('decimal')) {
    // Decimals truncate their unscaled value: W applies in units of the column's scale.
    if (typeof value !== 'bigint') throw badValue(source, value)
    const w = BigInt(width)
    return value - (((value % w) + w) % w)
  }
  if (source === 'string') {
    if (typeof value !== 'string') throw badValue(source, value)
    // Count code points, not UTF-16 units, so a surrogate pair is never split.
    let units = 0
    let points = 0
    for (const ch of value) {
      if (points === width) return value.slice(0, units)
      units += ch.length
      points += 1
    }
    return value
  }
  if (!(value instanceof Uint8Array)) throw badValue(source, value)
  return value.slice(0, width)
}

/**
 * The function that applies `transform` to values of type `source`, checked once so per-row calls
 * only do the arithmetic. Null gives null. Temporal results count whole units since 1970 with floor
 * (1969-12-31 is day -1, month -1, year -1). Throws ValidationError (code VALIDATION) when the
 * transform does not apply; the returned function throws it for a value not in canonical form.
 */
export function transformFunction(transform: Transform, source: PrimitiveType): (value: IcebergValue) => IcebergValue {
  if (!canTransform(transform, source)) throw new ValidationError(`transform ${transform} cannot be applied to a ${source} column`, { transform, source })
  const d = describeTransform(transform)
  const nullSafe = (fn: (value: IcebergValue) => IcebergValue) => (value: IcebergValue) => (value === null || value === undefined ? null : fn(value))
  switch (d.kind) {
    case 'identity':
      return nullSafe((value) => value)
    case 'void':
      return () => null
    case 'bucket':
      return nullSafe((value) => bucketOf(source, value, d.n))
    case 'truncate':
      return nullSafe((value) => truncateValue(source, value, d.width))
    case 'day':
      return nullSafe((value) => epochDays(source, value))
    case 'hour':
      return nullSafe((value) => {
        if (typeof value !== 'bigint') throw badValue(source, value)
        return Number(floorDiv(value, NANOS_SOURCES.has(source) ? MICROS_PER_HOUR * 1000n : MICROS_PER_HOUR))
      })
    case 'year':
      return nullSafe((value) => civilFromDays(epochDays(source, value)).year - 1970)
    case 'month':
      return nullSafe((value) => {
        const { year, month } = civilFromDays(epochDays(source, value))
        return (year - 1970) * 12 + month - 1
      })
  }
}

/** Applies `transform` to one value; see transformFunction. Throws ValidationError (code VALIDATION). */
export function applyTransform(transform: Transform, source: PrimitiveType, value: IcebergValue): IcebergValue {
  return transformFunction(transform, source)(value)
}

/** One spec field ready to apply to rows: where its source sits and how to transform it. */
interface BoundField {
  path: string[]
  source: PrimitiveType
  apply: (value: IcebergValue) => IcebergValue
}

function bindSpec(spec: PartitionSpec, schema: Schema): BoundField[] {
  const index = indexById(schema)
  return spec.fields.map((field) => {
    const source = index.get(field['source-id'])
    if (!source) throw new ValidationError(`partition field ${field.name} refers to source id ${field['source-id']}, which is not in the schema`, { field: field.name })
    if (!isPrimitive(source.type) || source.inRepeated) {
      throw new ValidationError(`partition field ${field.name} needs a primitive source outside lists and maps, got ${source.name}`, { field: field.name })
    }
    if (!canTransform(field.transform, source.type)) {
      throw new ValidationError(`partition field ${field.name}: transform ${field.transform} cannot be applied to ${source.name} (${source.type})`, { field: field.name })
    }
    return { path: source.path, source: source.type, apply: transformFunction(field.transform, source.type) }
  })
}

// Binding looks fields up by id; caching it per (spec, schema) keeps the per-row cost to the transforms.
const bound = new WeakMap<PartitionSpec, WeakMap<Schema, BoundField[]>>()

function boundFields(spec: PartitionSpec, schema: Schema): BoundField[] {
  let bySchema = bound.get(spec)
  if (!bySchema) bound.set(spec, (bySchema = new WeakMap()))
  let fields = bySchema.get(schema)
  if (!fields) bySchema.set(schema, (fields = bindSpec(spec, schema)))
  return fields
}

function valueAt(row: Row, path: string[]): IcebergValue {
  let current: IcebergValue | undefined = row
  for (const name of path) {
    if (current === null || current === undefined || typeof current !== 'object' || Array.isArray(current) || current instanceof Map || current instanceof Uint8Array) {
      return null
    }
    current = (current as Row)[name]
  }
  return current ?? null
}

/**
 * The partition tuple of a row (spec-field order, values in transform-result form). Sources inside
 * null structs give null. Throws ValidationError (code VALIDATION) when the spec does not fit the
 * schema or a source value is not in canonical form.
 */
export function partitionValues(spec: PartitionSpec, schema: Schema, row: Row): IcebergValue[] {
  return boundFields(spec, schema).map((field) => field.apply(valueAt(row, field.path)))
}

/** Java's URLEncoder form: letters, digits and `.-*_` kept, space as `+`, everything else %XX of its UTF-8 bytes. */
function escapePathPart(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
}

/**
 * The Hive-style directory of a partition tuple, `name=value/...`, with values in Java's human form
 * (PartitionSpec.partitionToPath): dates yyyy-MM-dd, hours yyyy-MM-dd-HH, months yyyy-MM, years yyyy,
 * timestamps ISO, binary base64, null as `null`; names and values URL-encoded.
 * Throws ValidationError (code VALIDATION) when the tuple length or spec does not fit.
 */
export function partitionPath(spec: PartitionSpec, schema: Schema, partition: IcebergValue[]): string {
  if (partition.length !== spec.fields.length) {
    throw new ValidationError(`partition tuple has ${partition.length} values, spec ${spec['spec-id']} has ${spec.fields.length} fields`, { values: partition.length })
  }
  const fields = boundFields(spec, schema)
  return spec.fields
    .map((field, i) => {
      const human = humanString(field.transform, (fields[i] as BoundField).source, partition[i] ?? null)
      return `${escapePathPart(field.name)}=${escapePathPart(human)}`
    })
    .join('/')
}
