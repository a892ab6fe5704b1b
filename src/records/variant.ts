/** The converter for `variant` columns (format v3): any JSON-like value is kept as it is, after checking it can be variant-encoded. */
import type { IcebergValue } from '../iceberg/types.ts'
import { describe, Invalid } from './invalid.ts'

/** Deeper nesting than this is refused rather than risking the encoder's stack on hostile input. */
const MAX_DEPTH = 64

interface WellFormed {
  isWellFormed(): boolean
}

/** Why `value` cannot be variant-encoded, or undefined when it can. */
function problem(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value === 'boolean' || typeof value === 'bigint') return undefined
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `a non-finite number ${value}`
  if (typeof value === 'string') return (value as unknown as WellFormed).isWellFormed() ? undefined : 'a string with a lone UTF-16 surrogate'
  if (value instanceof Uint8Array) return undefined
  if (depth >= MAX_DEPTH) return `nesting deeper than ${MAX_DEPTH} levels`
  if (Array.isArray(value)) {
    for (const element of value) {
      const why = problem(element, depth + 1)
      if (why) return why
    }
    return undefined
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const key of Object.keys(value)) {
      if (!(key as unknown as WellFormed).isWellFormed()) return 'an object key with a lone UTF-16 surrogate'
      const why = problem((value as Record<string, unknown>)[key], depth + 1)
      if (why) return why
    }
    return undefined
  }
  return describe(value)
}

/**
 * variant: null, booleans, finite numbers, bigints, strings, bytes, arrays and plain objects (what JSON.parse
 * gives, plus what binary decoders add), kept as they are; the Parquet writer encodes them (metadata + value).
 */
export function toVariant(value: unknown): IcebergValue | Invalid {
  const why = problem(value, 0)
  return why === undefined ? (value as IcebergValue) : new Invalid(`variant cannot hold ${why}`)
}
