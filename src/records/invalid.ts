/** Why a value was refused, and where: the failure value every record converter returns instead of throwing. */

/**
 * A refused value. A class (not a tagged object) so one `instanceof` tells a failure apart from any
 * IcebergValue on the hot path; it is only allocated when a record is rejected.
 */
export class Invalid {
  /** Field path from the record root, built as the failure returns outward: `.loc.lat`, `.tags[2]`. */
  path = ''

  constructor(
    readonly problem: string,
    /** True when a required field is absent: the reason then reads `missing required field "x"`. */
    readonly missing = false,
  ) {}

  /** Prefixes one path segment (`.name` for a struct field, `[i]` for a list element) and returns itself. */
  at(segment: string): Invalid {
    this.path = segment + this.path
    return this
  }

  /** The reason text callers see: `field "reading": expected double, got string "abc"`. */
  reason(): string {
    const path = this.path.startsWith('.') ? this.path.slice(1) : this.path
    if (this.missing) return `missing required field "${path}"`
    return path === '' ? `record: ${this.problem}` : `field "${path}": ${this.problem}`
  }
}

const MAX_SHOWN = 64

/** A short description of an input value for reasons: `string "abc"`, `number 1.5`, `array`. Long strings are cut. */
export function describe(value: unknown): string {
  switch (typeof value) {
    case 'string': {
      const text = JSON.stringify(value.length > MAX_SHOWN ? value.slice(0, MAX_SHOWN) : value)
      return value.length > MAX_SHOWN ? `string ${text.slice(0, -1)}…" (${value.length} chars)` : `string ${text}`
    }
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`
    case 'object':
      if (value === null) return 'null'
      if (Array.isArray(value)) return 'array'
      if (value instanceof Uint8Array) return 'bytes'
      return 'object'
    default:
      return typeof value
  }
}

/** A string shown inside a reason, quoted and cut like `describe` does. */
export function quote(value: string): string {
  return describe(value).slice('string '.length)
}
