/**
 * JSON Schema writer schemas → Iceberg types, and JSON payloads → records (edge-safe). The payload is
 * plain JSON, so the record is the parsed object itself and the coercer reads it as it reads any JSON
 * record; the schema only says which columns the writer's records hold.
 *
 * Types: object with properties → struct (`required` names required fields) · object with only
 *   `additionalProperties: {schema}` → map<string, V> · array with `items` → list · integer → long ·
 *   number → double · boolean · string → string, or by `format`: date-time → timestamptz, date → date,
 *   time → time, uuid → uuid; `contentEncoding: base64` → binary · an enum of strings → string.
 *   `type: [T, "null"]`, `anyOf`/`oneOf` of T and null → optional T · `$ref` within the document
 *   (`#/definitions/...`, `#/$defs/...`) is followed.
 * A property with no single Iceberg type (free-form objects, several types, tuples, recursive or external
 * `$ref`) is left out of the writer's fields: its values still reach the table, where schema evolution
 * infers a column from them or the coercer names the field in a dead letter. The payload is not validated
 * against the schema (the coercer checks each value against the table's type).
 */
import type { IcebergType, NestedField, StructType } from '../iceberg/types.ts'
import { placeholderIds, UnsupportedSchemaError, type WriterSchema } from './writer-schema.ts'

type Json = Record<string, unknown>

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

const STRING_FORMATS: Record<string, IcebergType> = { 'date-time': 'timestamptz', date: 'date', time: 'time', uuid: 'uuid' }

interface Mapped {
  type: IcebergType
  nullable: boolean
}

class Mapper {
  readonly #root: Json
  readonly #ids = placeholderIds()
  readonly #open = new Set<Json>()

  constructor(root: Json) {
    this.#root = root
    // The document itself is open from the start: `{"$ref": "#"}` anywhere inside is a recursion.
    this.#open.add(root)
  }

  /** The schema a local `$ref` points at, or undefined when it is external or dangling. */
  #resolve(ref: string): Json | undefined {
    if (ref === '#') return this.#root
    if (!ref.startsWith('#/')) return undefined
    let node: unknown = this.#root
    for (const part of ref.slice(2).split('/')) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
      node = isObject(node) ? node[key] : undefined
    }
    return isObject(node) ? node : undefined
  }

  /** The Iceberg type of `node`, or undefined when it has none (the property is left to inference). */
  map(node: unknown): Mapped | undefined {
    if (!isObject(node)) return undefined
    if (typeof node.$ref === 'string') {
      const target = this.#resolve(node.$ref)
      if (!target || this.#open.has(target)) return undefined
      this.#open.add(target)
      try {
        return this.map(target)
      } finally {
        this.#open.delete(target)
      }
    }
    const alternatives = (Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : Array.isArray(node.allOf) && node.allOf.length === 1 ? node.allOf : undefined) as unknown[] | undefined
    if (alternatives) {
      const others = alternatives.filter((alternative) => !(isObject(alternative) && alternative.type === 'null'))
      if (others.length !== 1) return undefined
      const inner = this.map(others[0])
      return inner && { type: inner.type, nullable: inner.nullable || others.length < alternatives.length }
    }
    const types = Array.isArray(node.type) ? (node.type as unknown[]) : node.type === undefined ? [] : [node.type]
    const named = types.filter((type) => type !== 'null')
    const nullable = named.length < types.length
    if (named.length === 0 && Array.isArray(node.enum) && node.enum.every((value) => typeof value === 'string')) return { type: 'string', nullable: false }
    if (named.length !== 1) return undefined
    switch (named[0]) {
      case 'integer':
        return { type: 'long', nullable }
      case 'number':
        return { type: 'double', nullable }
      case 'boolean':
        return { type: 'boolean', nullable }
      case 'string':
        if (node.contentEncoding === 'base64') return { type: 'binary', nullable }
        return { type: (typeof node.format === 'string' ? STRING_FORMATS[node.format] : undefined) ?? 'string', nullable }
      case 'array': {
        if (!isObject(node.items)) return undefined
        const elementId = this.#ids()
        const element = this.map(node.items)
        return element && { type: { type: 'list', 'element-id': elementId, element: element.type, 'element-required': !element.nullable }, nullable }
      }
      case 'object': {
        if (isObject(node.properties)) return { type: this.struct(node), nullable }
        if (!isObject(node.additionalProperties)) return undefined
        const keyId = this.#ids()
        const valueId = this.#ids()
        const value = this.map(node.additionalProperties)
        return value && { type: { type: 'map', 'key-id': keyId, key: 'string', 'value-id': valueId, value: value.type, 'value-required': !value.nullable }, nullable }
      }
      default:
        return undefined
    }
  }

  struct(node: Json): StructType {
    const properties = node.properties as Json
    const required = new Set(Array.isArray(node.required) ? node.required.filter((name): name is string => typeof name === 'string') : [])
    const fields: NestedField[] = []
    for (const [name, property] of Object.entries(properties)) {
      const id = this.#ids()
      const mapped = this.map(property)
      if (mapped) fields.push({ id, name, required: required.has(name) && !mapped.nullable, type: mapped.type })
    }
    return { type: 'struct', fields }
  }
}

/**
 * The writer schema for JSON Schema text registered under `id`.
 * @throws UnsupportedSchemaError `SCHEMA_UNSUPPORTED` when the text is not JSON or not an object schema with properties.
 */
export function jsonSchemaWriterSchema(id: number, text: string): WriterSchema {
  let root: unknown
  try {
    root = JSON.parse(text)
  } catch (error) {
    throw new UnsupportedSchemaError('', `schema id ${id} is not JSON: ${(error as Error).message}`)
  }
  if (!isObject(root) || !isObject(root.properties)) throw new UnsupportedSchemaError('', `schema id ${id} is not an object schema with properties (a table row needs named fields)`)
  const writer = { key: String(id), fields: new Mapper(root).struct(root) }
  return {
    id,
    read(payload) {
      let record: unknown
      try {
        record = JSON.parse(strictUtf8.decode(payload))
      } catch (error) {
        return { ok: false, reason: `JSON Schema payload of schema id ${id} is not JSON: ${(error as Error).message}` }
      }
      if (!isObject(record)) return { ok: false, reason: `JSON Schema payload of schema id ${id} is not a JSON object` }
      return { ok: true, record, writer }
    },
  }
}
