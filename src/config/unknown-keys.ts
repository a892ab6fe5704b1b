/**
 * Keys of the config file that the schema does not know, at any depth, each with the key meant when
 * one is close (`tables.0.roll.intervalMS` → `intervalMs`). The known keys are read from the valibot
 * schema's own `entries`, so the schema stays the single source of truth.
 *
 * A walk of its own rather than `v.strictObject`: that stops at the first unknown key of an object,
 * and its issue turns the `false | {...}` unions (`http`, maintenance tasks) into one opaque "Expected
 * false | Object" — both would hide problems that should be reported at once.
 */
import type * as v from 'valibot'

/** The parts of a valibot schema the walk reads; every schema has `type`, the others by kind. */
interface SchemaNode {
  type: string
  wrapped?: SchemaNode
  entries?: Record<string, SchemaNode>
  item?: SchemaNode
  options?: SchemaNode[]
  key?: string
  literal?: unknown
}

export interface UnknownKey {
  /** Dotted, as the schema's own problems are: `tables.0.roll.intervalMS`. */
  path: string
  message: string
}

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/** `v.optional(x)`, `v.nullable(x)`…: the schema they wrap. (`v.pipe(x, …)` already carries x's own fields.) */
const unwrap = (schema: SchemaNode): SchemaNode => (schema.wrapped ? unwrap(schema.wrapped) : schema)

const hasKey = (entries: Record<string, SchemaNode>, key: string) => Object.prototype.hasOwnProperty.call(entries, key)

/**
 * Optimal string alignment distance (Damerau-Levenshtein where a transposed pair is not edited
 * again): insertions, deletions, substitutions and adjacent transpositions, each costing 1.
 */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = best
    }
  }
  return rows[a.length]![b.length]!
}

/**
 * The known key closest to `key`, ignoring case, or undefined when none is within 2 edits. Short
 * keys get fewer edits (one below 6 characters): two edits turn `ttl` into `http`, which nobody meant.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const limit = Math.min(2, Math.max(1, Math.floor(key.length / 3)))
  let closest: string | undefined
  let distance = limit + 1
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase())
    if (d < distance) [closest, distance] = [candidate, d]
  }
  return closest
}

const unknownKey = (path: string, key: string, known: string[], variant: string | undefined): UnknownKey => {
  const meant = closestKey(key, known)
  const where = variant === undefined ? '' : ` for type ${JSON.stringify(variant)}`
  return { path, message: meant ? `unknown key${where}; did you mean ${meant}?` : `unknown key${where}; expected one of ${known.join(', ')}` }
}

function walk(node: SchemaNode, input: unknown, path: string, found: UnknownKey[], variant?: string): void {
  const schema = unwrap(node)
  const at = (key: string | number) => (path ? `${path}.${key}` : String(key))
  switch (schema.type) {
    case 'object':
    case 'strict_object': {
      if (!isObject(input) || !schema.entries) return
      const known = Object.keys(schema.entries)
      for (const [key, value] of Object.entries(input)) {
        if (hasKey(schema.entries, key)) walk(schema.entries[key]!, value, at(key), found)
        else found.push(unknownKey(at(key), key, known, variant))
      }
      return
    }
    case 'array':
      if (Array.isArray(input) && schema.item) input.forEach((item, index) => walk(schema.item!, item, at(index), found))
      return
    case 'variant': {
      // The option named by the discriminator; with none (missing or unknown `type`) the schema
      // reports that key already, and any other key list would be a guess.
      if (!isObject(input) || !schema.key) return
      const discriminator = input[schema.key]
      const option = schema.options?.find((o) => unwrap(o).entries?.[schema.key!]?.literal === discriminator)
      if (option) walk(option, input, path, found, String(discriminator))
      return
    }
    case 'union': {
      // Only a union with a single object form (`false | {...}`) can say which keys an object should have.
      const objects = schema.options?.filter((o) => ['object', 'strict_object', 'variant'].includes(unwrap(o).type)) ?? []
      if (objects.length === 1) walk(objects[0]!, input, path, found)
      return
    }
    default:
      // Records (`properties`, `catalog.headers`) are free-form maps; scalars have no keys.
      return
  }
}

/** Every key of `input` that `schema` does not declare, in the order met. Pure; never throws. */
export function unknownKeys(schema: v.GenericSchema, input: unknown): UnknownKey[] {
  const found: UnknownKey[] = []
  walk(schema as unknown as SchemaNode, input, '', found)
  return found
}
