/** Converters for boolean, string, uuid, binary and fixed, and the dispatch from a primitive type string to its converter. */
import { parsePrimitive } from '../iceberg/schema.ts'
import type { IcebergValue, PrimitiveType } from '../iceberg/types.ts'
import { describe, Invalid } from './invalid.ts'
import { decimalConverter, toDouble, toFloat, toInt, toLong } from './numeric.ts'
import { timestampConverter, toDate, toTime } from './temporal.ts'
import { toVariant } from './variant.ts'

/** Turns one non-null input value into its canonical form, or says why not. */
export type Converter = (value: unknown) => IcebergValue | Invalid

const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
/** RFC 4648 base64 (§4) or base64url (§5), padding optional; no whitespace. */
const BASE64_TEXT = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/

/** `String.prototype.isWellFormed` is ES2024; the project's lib stops at ES2023, every target runtime has it. */
interface WellFormed {
  isWellFormed(): boolean
}

export function toBoolean(value: unknown): boolean | Invalid {
  return typeof value === 'boolean' ? value : new Invalid(`expected boolean, got ${describe(value)}`)
}

/**
 * string: JSON strings only (numbers are not stringified). Lone UTF-16 surrogates are refused: they have no
 * UTF-8 form, and the Parquet writer would silently replace them with U+FFFD.
 */
export function toUtf8String(value: unknown): string | Invalid {
  if (typeof value !== 'string') return new Invalid(`expected string, got ${describe(value)}`)
  if (!(value as unknown as WellFormed).isWellFormed()) return new Invalid('string contains a lone UTF-16 surrogate (not valid Unicode)')
  return value
}

/** uuid: the hyphenated 8-4-4-4-12 hex form, any case → lower case. */
export function toUuid(value: unknown): string | Invalid {
  if (typeof value === 'string' && UUID_TEXT.test(value)) return value.toLowerCase()
  return new Invalid(`expected uuid (8-4-4-4-12 hex), got ${describe(value)}`)
}

/** binary: a base64 (or base64url) string → bytes; a Uint8Array is taken as is (in-process callers). */
export function toBinary(value: unknown): Uint8Array | Invalid {
  if (value instanceof Uint8Array) return value
  if (typeof value !== 'string' || !BASE64_TEXT.test(value) || value.length % 4 === 1) {
    return new Invalid(`expected base64 string, got ${describe(value)}`)
  }
  const standard = value.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/')
  const text = atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, '='))
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  return bytes
}

/** fixed[L]: as binary, and exactly L bytes. */
export function fixedConverter(length: number): Converter {
  return (value) => {
    const bytes = toBinary(value)
    if (bytes instanceof Invalid) return bytes
    if (bytes.length !== length) return new Invalid(`expected ${length} bytes for fixed[${length}], got ${bytes.length}`)
    return bytes
  }
}

/** The converter for a primitive type. Throws ValidationError (code VALIDATION) for a type string v2 does not define. */
export function primitiveConverter(type: PrimitiveType): Converter {
  const parsed = parsePrimitive(type)
  switch (parsed.kind) {
    case 'boolean': return toBoolean
    case 'int': return toInt
    case 'long': return toLong
    case 'float': return toFloat
    case 'double': return toDouble
    case 'decimal': return decimalConverter(parsed.precision, parsed.scale)
    case 'date': return toDate
    case 'time': return toTime
    case 'timestamp': return timestampConverter('timestamp')
    case 'timestamptz': return timestampConverter('timestamptz')
    case 'timestamp_ns': return timestampConverter('timestamp_ns')
    case 'timestamptz_ns': return timestampConverter('timestamptz_ns')
    case 'variant': return toVariant
    case 'string': return toUtf8String
    case 'uuid': return toUuid
    case 'binary': return toBinary
    case 'fixed': return fixedConverter(parsed.length)
    default: {
      const unreachable: never = parsed
      throw new Error(`unhandled primitive ${JSON.stringify(unreachable)}`)
    }
  }
}
