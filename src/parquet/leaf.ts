/** Per-leaf value conversion (canonical → hyparquet-writer form) and Iceberg metric accumulation. */
import { parsePrimitive, type PrimitiveDescriptor } from '../iceberg/schema.ts'
import { compareBytes, compareStrings, encodeSingleValue, truncateLowerBound, truncateUpperBound, uuidToBytes } from '../iceberg/single-value.ts'
import type { IcebergValue, PrimitiveType } from '../iceberg/types.ts'
import type { LeafColumn } from './schema.ts'

/** Returned by `LeafCodec.toWriter` for a value that does not have the type's canonical form. */
export const INVALID: unique symbol = Symbol('invalid value')

/** Writer forms: what hyparquet-writer encodes for a leaf of this type. */
export type WriterValue = boolean | number | bigint | string | Uint8Array

export interface LeafCodec {
  kind: PrimitiveDescriptor['kind']
  /** What a valid value looks like, for error messages. */
  expected: string
  /** Canonical value (types.ts "Row values") → writer form, or INVALID. */
  toWriter(value: IcebergValue): WriterValue | typeof INVALID
  /** Iceberg order over writer forms. */
  compare(a: WriterValue, b: WriterValue): number
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

function compareNumbers(a: WriterValue, b: WriterValue): number {
  const x = a as number
  const y = b as number
  if (x < y) return -1
  if (x > y) return 1
  // -0 precedes +0 (spec "Manifests" note 2); NaN never reaches here (counted, not compared)
  return x === 0 && !Object.is(x, y) ? (Object.is(x, -0) ? -1 : 1) : 0
}
const compareBigints = (a: WriterValue, b: WriterValue): number => (a < b ? -1 : a > b ? 1 : 0)
const compareByteValues = (a: WriterValue, b: WriterValue): number => compareBytes(a as Uint8Array, b as Uint8Array)
const compareStringValues = (a: WriterValue, b: WriterValue): number => compareStrings(a as string, b as string)

function uuidOrInvalid(value: IcebergValue): Uint8Array | typeof INVALID {
  if (typeof value !== 'string') return INVALID
  try {
    return uuidToBytes(value)
  } catch {
    return INVALID // the caller raises a ValidationError naming field and row
  }
}

/** The codec of a primitive type. */
export function codecFor(type: PrimitiveType): LeafCodec {
  const shape = parsePrimitive(type)
  switch (shape.kind) {
    case 'boolean':
      return { kind: shape.kind, expected: 'boolean', compare: (a, b) => Number(a) - Number(b),
        toWriter: (v) => (typeof v === 'boolean' ? v : INVALID) }
    case 'int':
    case 'date':
      // (v | 0) === v holds exactly for integers in the int32 range
      return { kind: shape.kind, expected: '32-bit integer number', compare: compareNumbers,
        toWriter: (v) => (typeof v === 'number' && (v | 0) === v ? v : INVALID) }
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return { kind: shape.kind, expected: '64-bit bigint', compare: compareBigints,
        toWriter: (v) => (typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX ? v : INVALID) }
    case 'float':
    case 'double':
      return { kind: shape.kind, expected: 'number', compare: compareNumbers,
        toWriter: (v) => (typeof v === 'number' ? v : INVALID) }
    case 'string':
      return { kind: shape.kind, expected: 'string', compare: compareStringValues,
        toWriter: (v) => (typeof v === 'string' ? v : INVALID) }
    case 'uuid':
      return { kind: shape.kind, expected: 'uuid string', compare: compareByteValues, toWriter: uuidOrInvalid }
    case 'binary':
      return { kind: shape.kind, expected: 'Uint8Array', compare: compareByteValues,
        toWriter: (v) => (v instanceof Uint8Array ? v : INVALID) }
    case 'fixed': {
      const { length } = shape
      return { kind: shape.kind, expected: `Uint8Array of ${length} bytes`, compare: compareByteValues,
        toWriter: (v) => (v instanceof Uint8Array && v.length === length ? v : INVALID) }
    }
    case 'variant':
      // variant columns are not leaves (schema.ts leafColumns skips them; columns.ts converts them whole)
      throw new Error('variant has no leaf codec')
    case 'decimal': {
      const limit = 10n ** BigInt(shape.precision)
      return { kind: shape.kind, expected: `bigint unscaled value of at most ${shape.precision} digits`, compare: compareBigints,
        toWriter: (v) => (typeof v === 'bigint' && v < limit && v > -limit ? v : INVALID) }
    }
  }
}

/** Running metrics of one leaf whose path crosses only structs (leaves under lists/maps keep none). */
export interface LeafStats {
  leaf: LeafColumn
  codec: LeafCodec
  nulls: number
  nans: number
  min: WriterValue | undefined
  max: WriterValue | undefined
  /** uuid only: min/max in Java's UUID.compareTo order, see `leafBounds`. */
  signedMin?: Uint8Array
  signedMax?: Uint8Array
}

export function newLeafStats(leaf: LeafColumn, codec: LeafCodec): LeafStats {
  return { leaf, codec, nulls: 0, nans: 0, min: undefined, max: undefined }
}

// Java's UUID.compareTo compares the two 64-bit halves as *signed* longs.
function compareUuidSigned(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 16; i++) {
    const flip = i === 0 || i === 8 ? 0x80 : 0
    if (a[i] !== b[i]) return (a[i]! ^ flip) - (b[i]! ^ flip)
  }
  return 0
}

/** Folds one non-null writer value into min/max (NaN counted, never a bound). */
export function observe(stats: LeafStats, value: WriterValue): void {
  if (value !== value) {
    stats.nans++
    return
  }
  const { compare } = stats.codec
  if (stats.min === undefined) {
    stats.min = stats.max = value
  } else if (compare(value, stats.min) < 0) {
    stats.min = value
  } else if (compare(value, stats.max!) > 0) {
    stats.max = value
  }
  if (stats.codec.kind === 'uuid') {
    const bytes = value as Uint8Array
    if (stats.signedMin === undefined || compareUuidSigned(bytes, stats.signedMin) < 0) stats.signedMin = bytes
    if (stats.signedMax === undefined || compareUuidSigned(bytes, stats.signedMax) > 0) stats.signedMax = bytes
  }
}

/** Default metrics mode of Iceberg writers: `write.metadata.metrics.default` = truncate(16). */
export const TRUNCATE_LENGTH = 16

/**
 * Lower/upper bound bytes (spec Appendix D) of a leaf, strings and binary truncated to 16 as
 * Java's ParquetMetrics does; an upper bound that cannot be truncated is left out.
 */
export function leafBounds(stats: LeafStats): { lower?: Uint8Array; upper?: Uint8Array } {
  const { min, max, codec } = stats
  if (min === undefined || max === undefined) return {}
  const type = stats.leaf.type
  switch (codec.kind) {
    case 'string': {
      const upper = truncateUpperBound(max as string, TRUNCATE_LENGTH)
      const lower = encodeSingleValue(type, truncateLowerBound(min as string, TRUNCATE_LENGTH))
      return upper === null ? { lower } : { lower, upper: encodeSingleValue(type, upper) }
    }
    case 'binary': {
      const upper = truncateUpperBound(max as Uint8Array, TRUNCATE_LENGTH)
      const lower = truncateLowerBound(min as Uint8Array, TRUNCATE_LENGTH).slice()
      return upper === null ? { lower } : { lower, upper: upper.slice() }
    }
    case 'uuid':
      // Java evaluators order uuids by signed halves while Parquet and the spec use unsigned
      // bytes; bounds are kept only when both orders agree, so neither reader can prune wrongly.
      if (compareBytes(min as Uint8Array, stats.signedMin!) !== 0 || compareBytes(max as Uint8Array, stats.signedMax!) !== 0) return {}
      return { lower: (min as Uint8Array).slice(), upper: (max as Uint8Array).slice() }
    default:
      return { lower: encodeSingleValue(type, min), upper: encodeSingleValue(type, max) }
  }
}
