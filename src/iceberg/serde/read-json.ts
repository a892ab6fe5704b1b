/** Typed reads from parsed JSON objects; every failure names the field path and the value found. */
import { ValidationError } from '../../errors.ts'

export type JsonObject = Record<string, unknown>

function show(value: unknown): string {
  if (typeof value === 'bigint') return value.toString()
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 80)}...` : text
}

export function invalid(path: string, expected: string, value: unknown): ValidationError {
  return new ValidationError(
    value === undefined ? `missing required field ${path} (${expected})` : `field ${path} must be ${expected}, got ${show(value)}`,
    { field: path, value: typeof value === 'bigint' ? value.toString() : value },
  )
}

export function asObject(value: unknown, path: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(path, 'an object', value)
  return value as JsonObject
}

export function asArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(path, 'an array', value)
  return value
}

export function reqString(obj: JsonObject, key: string, path: string): string {
  const value = obj[key]
  if (typeof value !== 'string') throw invalid(`${path}.${key}`, 'a string', value)
  return value
}

export function optString(obj: JsonObject, key: string, path: string): string | undefined {
  return obj[key] === undefined || obj[key] === null ? undefined : reqString(obj, key, path)
}

export function reqBoolean(obj: JsonObject, key: string, path: string): boolean {
  const value = obj[key]
  if (typeof value !== 'boolean') throw invalid(`${path}.${key}`, 'a boolean', value)
  return value
}

/** A JSON integer that fits a double exactly (field ids, counts, millisecond timestamps). */
export function reqInt(obj: JsonObject, key: string, path: string): number {
  const value = obj[key]
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(`${path}.${key}`, 'an integer', value)
  return value
}

export function optInt(obj: JsonObject, key: string, path: string): number | undefined {
  return obj[key] === undefined || obj[key] === null ? undefined : reqInt(obj, key, path)
}

/** A 64-bit id: arrives as number (small) or bigint (beyond 2^53, from parseJson), kept as bigint. */
export function toLong(value: unknown, path: string): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value)
  throw invalid(path, 'a 64-bit integer', value)
}

export function reqLong(obj: JsonObject, key: string, path: string): bigint {
  return toLong(obj[key], `${path}.${key}`)
}

export function optLong(obj: JsonObject, key: string, path: string): bigint | undefined {
  return obj[key] === undefined || obj[key] === null ? undefined : reqLong(obj, key, path)
}

/** A string-to-string map; numbers and booleans some writers emit become their text. */
export function stringMap(value: unknown, path: string): Record<string, string> {
  const obj = asObject(value, path)
  const out: Record<string, string> = {}
  for (const [key, v] of Object.entries(obj)) {
    if (typeof v === 'string') out[key] = v
    else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') out[key] = String(v)
    else throw invalid(`${path}.${key}`, 'a string', v)
  }
  return out
}

/** Copies `source` without keys whose value is undefined (JSON output should not carry them). */
export function defined<T extends object>(source: T): T {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(source)) if (value !== undefined) out[key] = value
  return out as T
}
