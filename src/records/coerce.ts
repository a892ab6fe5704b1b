/**
 * Record coercion: a JSON value → the canonical Row for an Iceberg schema (value forms: src/iceberg/types.ts,
 * "Row values"; accepted inputs: docs/records.md). Converters are closures compiled once per schema; no code
 * is generated at run time, so this also runs where `new Function` is forbidden (Workers).
 */
import * as v from 'valibot'
import { ConfigError } from '../errors.ts'
import { isPrimitive } from '../iceberg/schema.ts'
import type { IcebergType, IcebergValue, ListType, MapType, Row, Schema, StructType } from '../iceberg/types.ts'
import { describe, Invalid } from './invalid.ts'
import { type Converter, primitiveConverter } from './primitives.ts'
import { writeDefaultOf } from './write-default.ts'

/** Options of `createRecordCoercer`; the valibot schema is the single source of the type. */
export const CoercerOptionsSchema = v.strictObject({
  /**
   * What to do with input keys the schema does not name, at every struct level: drop them, reject the
   * record, or drop them and say so (`extra: true` on the result, for schema evolution to look at).
   */
  extraFields: v.optional(v.picklist(['ignore', 'reject', 'report']), 'ignore'),
})
export type CoercerOptions = v.InferInput<typeof CoercerOptionsSchema> & {
  /** Former names per field id (a column another engine renamed): read when the current name is absent. */
  aliases?: ReadonlyMap<number, readonly string[]>
}

/** `extra`: with `extraFields: "report"`, the input had keys the schema does not name (they are not in `row`). */
export type CoerceResult = { ok: true; row: Row; extra?: true } | { ok: false; reason: string }
export type RecordCoercer = (input: unknown) => CoerceResult

type ExtraFields = v.InferOutput<typeof CoercerOptionsSchema>['extraFields']

/** Per coercion call: set when some struct level had keys its schema does not name (extraFields "report"). */
interface ExtraSeen {
  seen: boolean
}

interface Compile {
  extra: ExtraFields
  aliases: ReadonlyMap<number, readonly string[]>
  report: ExtraSeen
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}

function compile(type: IcebergType, extra: Compile): Converter {
  if (isPrimitive(type)) return primitiveConverter(type)
  switch (type.type) {
    case 'struct': return compileStruct(type, extra)
    case 'list': return compileList(type, extra)
    case 'map': return compileMap(type, extra)
    default: {
      const unreachable: never = type
      throw new Error(`unhandled type ${JSON.stringify(unreachable)}`)
    }
  }
}

function compileStruct(struct: StructType, extra: Compile): (value: unknown) => Row | Invalid {
  const names = struct.fields.map((field) => field.name)
  const required = struct.fields.map((field) => field.required)
  const converters = struct.fields.map((field) => compile(field.type, extra))
  // v3 write defaults: what a record that leaves the field out gets (an explicit null stays null)
  const defaults = struct.fields.map(writeDefaultOf)
  // A field named like an Object.prototype member ("constructor", "__proto__") must not read the inherited
  // member when the key is absent, nor set the prototype when written; such names take a slower, exact path.
  const inherited = names.map((name) => name in Object.prototype)
  const anyInherited = inherited.includes(true)
  // Former names, per field, read only when the current name is absent (a rename by another engine).
  const formerNames = struct.fields.map((field) => extra.aliases.get(field.id))
  const anyFormer = formerNames.some((names) => names !== undefined)
  const known = extra.extra === 'reject' ? new Set([...names, ...formerNames.flatMap((n) => n ?? [])]) : undefined
  const report = extra.extra === 'report' ? extra.report : undefined
  const count = names.length
  return (value) => {
    if (!isObject(value)) return new Invalid(`expected object, got ${describe(value)}`)
    const row: Row = {}
    // Keys the input had that some field took: fewer than its own keys means it had others (no allocation per record).
    let matched = 0
    for (let i = 0; i < count; i++) {
      const name = names[i] as string
      let raw = anyInherited && inherited[i] === true && !Object.hasOwn(value, name) ? undefined : value[name]
      if (raw === undefined && anyFormer) {
        for (const former of formerNames[i] ?? []) {
          if (Object.hasOwn(value, former)) {
            raw = value[former]
            break
          }
        }
      }
      if (report !== undefined && raw !== undefined) matched++
      let out: IcebergValue
      if (raw === undefined && defaults[i] !== undefined) {
        out = defaults[i] as IcebergValue
      } else if (raw === undefined || raw === null) {
        if (required[i] === true) return raw === null ? new Invalid('required field is null').at(`.${name}`) : new Invalid('', true).at(`.${name}`)
        out = null
      } else {
        const converted = (converters[i] as Converter)(raw)
        if (converted instanceof Invalid) return converted.at(`.${name}`)
        out = converted
      }
      if (anyInherited && inherited[i] === true) Object.defineProperty(row, name, { value: out, enumerable: true, writable: true, configurable: true })
      else row[name] = out
    }
    if (known !== undefined) {
      for (const key of Object.keys(value)) {
        if (!known.has(key)) return new Invalid('unknown field (extraFields is "reject")').at(`.${key}`)
      }
    }
    if (report !== undefined && !report.seen) {
      let keys = 0
      for (const key in value) if (Object.hasOwn(value, key) && value[key] !== undefined) keys++
      if (keys > matched) report.seen = true
    }
    return row
  }
}

function compileList(list: ListType, extra: Compile): Converter {
  const convert = compile(list.element, extra)
  const required = list['element-required']
  return (value) => {
    if (!Array.isArray(value)) return new Invalid(`expected list (array), got ${describe(value)}`)
    const out: IcebergValue[] = new Array(value.length)
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      if (item === null || item === undefined) {
        if (required) return new Invalid('required list element is null').at(`[${i}]`)
        out[i] = null
        continue
      }
      const converted = convert(item)
      if (converted instanceof Invalid) return converted.at(`[${i}]`)
      out[i] = converted
    }
    return out
  }
}

/**
 * map: a JSON object when the key type is string (keys are the object's keys), or an array of `{key, value}`
 * objects for any key type. Duplicate keys are refused rather than letting the last one win silently.
 */
function compileMap(map: MapType, extra: Compile): Converter {
  const convertKey = compile(map.key, extra)
  const convertValue = compile(map.value, extra)
  const valueRequired = map['value-required']
  const stringKeys = map.key === 'string'
  const expected = stringKeys ? 'map (object or array of {key, value})' : 'map (array of {key, value})'
  const entry = (out: Map<IcebergValue, IcebergValue>, key: IcebergValue, raw: unknown, where: string): Invalid | undefined => {
    if (out.has(key)) return new Invalid(`duplicate map key ${describe(key)}`).at(where)
    if (raw === null || raw === undefined) {
      if (valueRequired) return new Invalid('required map value is null').at(where)
      out.set(key, null)
      return undefined
    }
    const converted = convertValue(raw)
    if (converted instanceof Invalid) return converted.at(where)
    out.set(key, converted)
    return undefined
  }
  return (value) => {
    const out = new Map<IcebergValue, IcebergValue>()
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const pair: unknown = value[i]
        if (!isObject(pair)) return new Invalid(`expected map entry {key, value}, got ${describe(pair)}`).at(`[${i}]`)
        if (pair.key === null || pair.key === undefined) return new Invalid('map key is null').at(`[${i}].key`)
        const key = convertKey(pair.key)
        if (key instanceof Invalid) return key.at(`[${i}].key`)
        const failed = entry(out, key, pair.value, `[${i}].value`)
        if (failed !== undefined) return failed
      }
      return out
    }
    if (!stringKeys || !isObject(value)) return new Invalid(`expected ${expected}, got ${describe(value)}`)
    for (const name of Object.keys(value)) {
      const key = convertKey(name)
      if (key instanceof Invalid) return key.at(`[${name}]`)
      const failed = entry(out, key, value[name], `[${name}]`)
      if (failed !== undefined) return failed
    }
    return out
  }
}

/**
 * Compiles, once, the coercer for `schema`: it turns one parsed JSON record into a Row in canonical form, or
 * returns the first problem as a reason naming the field path (`field "loc.lat": expected double, got string "x"`,
 * `missing required field "sensor_id"`). A missing field with a `write-default` (format v3) gets it; other missing or
 * null optional fields become null.
 * Throws ValidationError (code VALIDATION) when the schema holds a type Iceberg does not define or a write-default
 * that does not convert to its field's type, and ConfigError (code CONFIG) for invalid options.
 */
export function createRecordCoercer(schema: Schema, options: CoercerOptions = {}): RecordCoercer {
  const { aliases: _aliases, ...checked } = options
  const parsed = v.safeParse(CoercerOptionsSchema, checked)
  if (!parsed.success) throw new ConfigError(parsed.issues.map((issue) => `${v.getDotPath(issue) ?? 'options'}: ${issue.message}`))
  const report: ExtraSeen = { seen: false }
  const convert = compileStruct(schema, { extra: parsed.output.extraFields, aliases: options.aliases ?? new Map(), report })
  if (parsed.output.extraFields !== 'report') {
    return (input) => {
      const row = convert(input)
      return row instanceof Invalid ? { ok: false, reason: row.reason() } : { ok: true, row }
    }
  }
  return (input) => {
    report.seen = false
    const row = convert(input)
    if (row instanceof Invalid) return { ok: false, reason: row.reason() }
    return report.seen ? { ok: true, row, extra: true } : { ok: true, row }
  }
}
