/** Iceberg binary single-value serialization (spec Appendix D), value ordering, and metric bound truncation. */
import { ValidationError } from '../errors.ts'
import { fromBigEndian, minimalBigEndian } from './big-endian.ts'
import { parsePrimitive } from './schema.ts'
import type { IcebergValue, PrimitiveType } from './types.ts'

const utf8 = new TextEncoder()
const utf8Strict = new TextDecoder('utf-8', { fatal: true })
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function wrong(type: PrimitiveType, value: unknown, expected: string): ValidationError {
  // values may be personal data: text and bytes are shown by length only
  const shown = typeof value === 'bigint' ? `bigint ${value}n` : typeof value === 'string' ? `string of length ${value.length}`
    : value instanceof Uint8Array ? `Uint8Array(${value.length})` : `${typeof value} ${String(value)}`
  return new ValidationError(`expected ${expected} for ${type}, got ${shown}`, { type })
}

/** Canonical uuid string → 16 bytes, big-endian (spec Appendix B example). */
export function uuidToBytes(value: string): Uint8Array {
  if (!UUID_PATTERN.test(value)) throw new ValidationError(`not a hyphenated uuid string (length ${value.length})`)
  const out = new Uint8Array(16)
  for (let i = 0, j = 0; i < 16; i++, j += 2) {
    if (value.charCodeAt(j) === 45) j++ // '-'
    out[i] = Number.parseInt(value.slice(j, j + 2), 16)
  }
  return out
}

/** 16 bytes → canonical lower-case hyphenated uuid string. */
export function uuidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new ValidationError(`uuid needs 16 bytes, got ${bytes.length}`)
  let hex = ''
  for (const b of bytes) hex += b.toString(16).padStart(2, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function fixedBytes(byteLength: number, write: (view: DataView) => void): Uint8Array {
  const out = new Uint8Array(byteLength)
  write(new DataView(out.buffer))
  return out
}

/**
 * Encodes one value of a primitive type as its binary single value (spec Appendix D), the form
 * of `lower_bounds`/`upper_bounds` in manifests. Values use the canonical forms of types.ts.
 * @throws ValidationError (code VALIDATION) when the value is null or not of the type's form or range.
 */
export function encodeSingleValue(type: PrimitiveType, value: IcebergValue): Uint8Array {
  const shape = parsePrimitive(type)
  switch (shape.kind) {
    case 'boolean':
      if (typeof value !== 'boolean') throw wrong(type, value, 'boolean')
      return new Uint8Array([value ? 1 : 0])
    case 'int':
    case 'date':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
        throw wrong(type, value, '32-bit integer number')
      }
      return fixedBytes(4, (v) => v.setInt32(0, value, true))
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX) throw wrong(type, value, '64-bit bigint')
      return fixedBytes(8, (v) => v.setBigInt64(0, value, true))
    case 'float':
      if (typeof value !== 'number') throw wrong(type, value, 'number')
      return fixedBytes(4, (v) => v.setFloat32(0, value, true))
    case 'double':
      if (typeof value !== 'number') throw wrong(type, value, 'number')
      return fixedBytes(8, (v) => v.setFloat64(0, value, true))
    case 'string':
      if (typeof value !== 'string') throw wrong(type, value, 'string')
      return utf8.encode(value)
    case 'uuid':
      if (typeof value !== 'string') throw wrong(type, value, 'uuid string')
      return uuidToBytes(value)
    case 'fixed':
      if (!(value instanceof Uint8Array) || value.length !== shape.length) throw wrong(type, value, `Uint8Array of ${shape.length} bytes`)
      return value.slice()
    case 'binary':
      if (!(value instanceof Uint8Array)) throw wrong(type, value, 'Uint8Array')
      return value.slice()
    case 'decimal':
      if (typeof value !== 'bigint') throw wrong(type, value, 'bigint unscaled value')
      if ((value < 0n ? -value : value) >= 10n ** BigInt(shape.precision)) {
        throw new ValidationError(`unscaled value ${value} does not fit ${type}`, { type })
      }
      return minimalBigEndian(value)
    case 'variant':
      // Spec Appendix D: variant has no single-value form (no bounds are kept for it).
      throw new ValidationError('variant values have no binary single-value serialization', { type })
  }
}

function expectLength(type: PrimitiveType, bytes: Uint8Array, ...lengths: number[]): void {
  if (!lengths.includes(bytes.length)) {
    throw new ValidationError(`${type} single value must be ${lengths.join(' or ')} bytes, got ${bytes.length}`, { type })
  }
}

/**
 * Decodes a binary single value (spec Appendix D) into the canonical in-memory form.
 * A 4-byte `long` or `double` is read as the `int` / `float` it was written as before type promotion.
 * @throws ValidationError (code VALIDATION) on a byte length the type cannot have, or invalid UTF-8.
 */
export function decodeSingleValue(type: PrimitiveType, bytes: Uint8Array): IcebergValue {
  const shape = parsePrimitive(type)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  switch (shape.kind) {
    case 'boolean':
      expectLength(type, bytes, 1)
      return bytes[0] !== 0
    case 'int':
    case 'date':
      expectLength(type, bytes, 4)
      return view.getInt32(0, true)
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      expectLength(type, bytes, 4, 8)
      return bytes.length === 4 ? BigInt(view.getInt32(0, true)) : view.getBigInt64(0, true)
    case 'float':
      expectLength(type, bytes, 4)
      return view.getFloat32(0, true)
    case 'double':
      expectLength(type, bytes, 4, 8)
      return bytes.length === 4 ? view.getFloat32(0, true) : view.getFloat64(0, true)
    case 'string':
      try {
        return utf8Strict.decode(bytes)
      } catch (cause) {
        throw new ValidationError(`string single value is not valid UTF-8 (${bytes.length} bytes)`, { type, cause })
      }
    case 'uuid':
      expectLength(type, bytes, 16)
      return uuidFromBytes(bytes)
    case 'fixed':
    case 'binary':
      return bytes.slice()
    case 'decimal':
      return fromBigEndian(bytes)
    case 'variant':
      throw new ValidationError('variant values have no binary single-value serialization', { type })
  }
}

// ---- Ordering (spec "Manifests" note 2: -0.0 precedes +0.0; NaN is never a bound) ----

export type Comparator = (a: IcebergValue, b: IcebergValue) => number

function compareNumbers(a: number, b: number): number {
  if (a < b) return -1
  if (a > b) return 1
  if (a === b) return Object.is(a, b) ? 0 : Object.is(a, -0) ? -1 : 1
  // Java's Float.compare puts NaN above everything; callers exclude NaN from bounds anyway
  return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1
}

function compareBigints(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Unsigned lexicographic byte order; a prefix sorts first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

// A lone surrogate is written as U+FFFD by TextEncoder, so it orders as U+FFFD.
function codePointAt(s: string, i: number): number {
  const c = s.codePointAt(i)!
  return c >= 0xd800 && c <= 0xdfff ? 0xfffd : c
}

/** UTF-8 byte order of two strings, which is code point order (JS `<` compares UTF-16 units instead). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++
  if (i === n) return a.length - b.length
  const x = a.charCodeAt(i)
  const y = b.charCodeAt(i)
  // below the surrogate range UTF-16 units are code points: the common case
  if (x < 0xd800 && y < 0xd800) return x - y
  if (i > 0 && (a.charCodeAt(i - 1) & 0xfc00) === 0xd800) i-- // start of a surrogate pair
  let p = i
  let q = i
  while (p < a.length && q < b.length) {
    const cx = codePointAt(a, p)
    const cy = codePointAt(b, q)
    if (cx !== cy) return cx - cy
    p += a.codePointAt(p)! > 0xffff ? 2 : 1
    q += b.codePointAt(q)! > 0xffff ? 2 : 1
  }
  return (a.length - p) - (b.length - q)
}

function asUuidBytes(value: IcebergValue): Uint8Array {
  return typeof value === 'string' ? uuidToBytes(value) : (value as Uint8Array)
}

const comparators = new Map<string, Comparator>()

/**
 * The Iceberg order of a primitive type: signed numbers, -0 before +0, strings in UTF-8 byte
 * (code point) order, binary/fixed/uuid in unsigned byte order.
 * @throws ValidationError (code VALIDATION) for a type string that is not primitive.
 */
export function comparatorFor(type: PrimitiveType): Comparator {
  let cmp = comparators.get(type)
  if (cmp) return cmp
  const { kind } = parsePrimitive(type)
  switch (kind) {
    case 'boolean': cmp = (a, b) => Number(a) - Number(b); break
    case 'int': case 'date': case 'float': case 'double': cmp = (a, b) => compareNumbers(a as number, b as number); break
    case 'long': case 'time': case 'timestamp': case 'timestamptz': case 'timestamp_ns': case 'timestamptz_ns': case 'decimal':
      cmp = (a, b) => compareBigints(a as bigint, b as bigint); break
    case 'string': cmp = (a, b) => compareStrings(a as string, b as string); break
    case 'uuid': cmp = (a, b) => compareBytes(asUuidBytes(a), asUuidBytes(b)); break
    case 'fixed': case 'binary': cmp = (a, b) => compareBytes(a as Uint8Array, b as Uint8Array); break
    case 'variant': throw new ValidationError('variant values have no order', { type })
  }
  comparators.set(type, cmp)
  return cmp
}

/**
 * Compares two non-null values of one primitive type in Iceberg order (negative, zero, positive).
 * NaN must be excluded by the caller when computing bounds.
 * @throws ValidationError (code VALIDATION) for a type string that is not primitive.
 */
export function compareValues(type: PrimitiveType, a: IcebergValue, b: IcebergValue): number {
  return comparatorFor(type)(a, b)
}

// ---- Truncation for metrics (MetricsModes truncate(16), the default write.metadata.metrics.default) ----

/** Code points of `s`, lone surrogates as U+FFFD (the bytes they are written as). */
function codePoints(s: string, limit: number): number[] {
  const out: number[] = []
  for (let i = 0; i < s.length && out.length < limit; i += s.codePointAt(i)! > 0xffff ? 2 : 1) out.push(codePointAt(s, i))
  return out
}

function codePointCountExceeds(s: string, length: number): boolean {
  if (s.length <= length) return false // UTF-16 length bounds the code point count from above
  let count = 0
  for (let i = 0; i < s.length; i += s.codePointAt(i)! > 0xffff ? 2 : 1) if (++count > length) return true
  return false
}

/** A lower bound of at most `length` code points (string) or bytes (binary): a prefix. */
export function truncateLowerBound(value: string, length?: number): string
export function truncateLowerBound(value: Uint8Array, length?: number): Uint8Array
export function truncateLowerBound(value: string | Uint8Array, length = 16): string | Uint8Array {
  if (typeof value !== 'string') return value.length <= length ? value : value.slice(0, length)
  if (!codePointCountExceeds(value, length)) return value
  return String.fromCodePoint(...codePoints(value, length))
}

/**
 * An upper bound of at most `length` code points / bytes: the prefix with its last code point
 * (byte) incremented, moving left past ones that cannot be incremented (U+10FFFF, 0xFF).
 * Returns null when no such bound exists; the caller then stores no upper bound.
 */
export function truncateUpperBound(value: string, length?: number): string | null
export function truncateUpperBound(value: Uint8Array, length?: number): Uint8Array | null
export function truncateUpperBound(value: string | Uint8Array, length = 16): string | Uint8Array | null {
  if (typeof value !== 'string') {
    if (value.length <= length) return value
    for (let i = length - 1; i >= 0; i--) {
      if (value[i] !== 0xff) {
        const out = value.slice(0, i + 1)
        out[i]! += 1
        return out
      }
    }
    return null
  }
  if (!codePointCountExceeds(value, length)) return value
  const cps = codePoints(value, length)
  for (let i = cps.length - 1; i >= 0; i--) {
    const cp = cps[i]!
    if (cp === 0x10ffff) continue
    // skip the surrogate range: those are not scalar values and cannot be written as UTF-8
    cps[i] = cp === 0xd7ff ? 0xe000 : cp + 1
    return String.fromCodePoint(...cps.slice(0, i + 1))
  }
  return null
}
