/** JSON text <-> values with exact 64-bit integers: Java writes snapshot ids beyond 2^53, which a plain JSON.parse rounds. */
import { ValidationError } from '../../errors.ts'

interface ReviverContext {
  source?: string
}

const INTEGER = /^-?\d+$/

// Integers that a double cannot hold exactly come back as bigint, read from their source text.
function revive(this: unknown, _key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value) || !Number.isInteger(value)) return value
  const source = context?.source
  if (source === undefined) {
    throw new ValidationError(`JSON integer ${value} exceeds 2^53 and this runtime's JSON.parse does not expose source text to keep it exact`, { value })
  }
  return INTEGER.test(source) ? BigInt(source) : value
}

/**
 * Parses JSON text; integers beyond Number.MAX_SAFE_INTEGER become exact `bigint`s, every other
 * number stays a `number`. Throws ValidationError (code VALIDATION) on malformed JSON, with the parser's message.
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text, revive as (key: string, value: unknown) => unknown)
  } catch (error) {
    if (error instanceof ValidationError) throw error
    throw new ValidationError(`invalid JSON: ${(error as Error).message}`, { text: text.slice(0, 200) })
  }
}

type RawJson = (text: string) => unknown
const rawJSON = (JSON as unknown as { rawJSON?: RawJson }).rawJSON

// Fallback for runtimes without JSON.rawJSON: a marker string no real JSON string can contain unescaped.
const MARKER = '\u0000bigint:'
const MARKED = /"\\u0000bigint:(-?\d+)"/g

/**
 * Serializes to JSON text with `bigint` as bare JSON numbers (not strings), so ids round-trip exactly.
 * `indent` is passed to JSON.stringify. Map and Uint8Array values are not JSON: convert them first.
 */
export function stringifyJson(value: unknown, indent?: number): string {
  if (rawJSON) {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? rawJSON(v.toString()) : v), indent)
  }
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${MARKER}${v}` : v), indent).replace(MARKED, '$1')
}
