/** A compact text form of schemas (`id long not null, tags list<string>, loc struct<lat: double>`) for CLIs and config. */
import { assignFreshIds, canonicalPrimitive, validateSchema } from './schema.ts'
import { tokenize, TokenCursor } from './dsl-tokens.ts'
import type { IcebergType, NestedField, PrimitiveType, Schema } from './types.ts'

export { formatPartitionSpec, parsePartitionDsl } from './partition-dsl.ts'

const WHAT = 'schema'
const TYPES = 'boolean, int, long, float, double, date, time, timestamp, timestamptz, string, uuid, binary, decimal(P,S), fixed[L], list<T>, map<K,V>, struct<name: T, ...>'

/** Common spellings from other systems and the Iceberg type to write instead. */
const HINTS: Record<string, string> = {
  integer: 'int', int32: 'int', smallint: 'int', tinyint: 'int', short: 'int', byte: 'int',
  bigint: 'long', int64: 'long',
  bool: 'boolean',
  text: 'string', varchar: 'string', char: 'string', str: 'string', json: 'string',
  real: 'float', float32: 'float', float64: 'double', number: 'double', numeric: 'decimal(P,S)',
  datetime: 'timestamp', timestamp_ntz: 'timestamp', timestamp_ltz: 'timestamptz', timestamp_ns: 'timestamp (v2 has microseconds only)',
  bytes: 'binary', blob: 'binary', bytea: 'binary', array: 'list<T>', object: 'struct<...>', record: 'struct<...>',
}

interface Nullability {
  required: boolean
  doc?: string
}

function modifiers(cursor: TokenCursor, allowDoc: boolean): Nullability {
  let required = false
  if (cursor.accept('not')) {
    cursor.expect('null', 'write "not null" for a required column')
    required = true
  } else if (cursor.accept('required')) {
    required = true
  } else if (!cursor.accept('optional')) {
    cursor.accept('null')
  }
  if (allowDoc && cursor.accept('comment')) {
    const token = cursor.next()
    if (token.kind !== 'string') throw cursor.error("expected a quoted comment", "write comment 'text'", token)
    return { required, doc: token.text }
  }
  return { required }
}

/** Parses a type; every nested id is 0 here and assigned afterwards by assignFreshIds. */
function parseType(cursor: TokenCursor): IcebergType {
  const token = cursor.next()
  if (token.kind !== 'name' || token.quoted) throw cursor.error('expected a type', `types are ${TYPES}`, token)
  const word = token.text.toLowerCase()
  if (word === 'list') {
    cursor.expect('<', 'write list<element type>')
    const element = parseType(cursor)
    const { required } = modifiers(cursor, false)
    cursor.expect('>')
    return { type: 'list', 'element-id': 0, element, 'element-required': required }
  }
  if (word === 'map') {
    cursor.expect('<', 'write map<key type, value type>')
    const key = parseType(cursor)
    cursor.expect(',', 'write map<key type, value type>')
    const value = parseType(cursor)
    const { required } = modifiers(cursor, false)
    cursor.expect('>')
    return { type: 'map', 'key-id': 0, key, 'value-id': 0, value, 'value-required': required }
  }
  if (word === 'struct') {
    cursor.expect('<', 'write struct<name: type, ...>')
    const fields: NestedField[] = []
    do {
      const name = cursor.name('write struct<name: type, ...>')
      cursor.accept(':')
      fields.push(field(name, cursor))
    } while (cursor.accept(','))
    cursor.expect('>', 'close the struct with ">"')
    return { type: 'struct', fields }
  }
  if (word === 'decimal') {
    cursor.expect('(', 'write decimal(precision,scale), e.g. decimal(10,2)')
    const precision = cursor.number('write decimal(precision,scale)')
    cursor.expect(',', 'write decimal(precision,scale)')
    const scale = cursor.number('write decimal(precision,scale)')
    cursor.expect(')')
    return canonicalPrimitive(`decimal(${precision},${scale})`)
  }
  if (word === 'fixed') {
    const open = cursor.accept('[') ? ']' : cursor.accept('(') ? ')' : undefined
    if (!open) throw cursor.error('expected "[" after fixed', 'write fixed[length], e.g. fixed[16]')
    const length = cursor.number('write fixed[length]')
    cursor.expect(open)
    return canonicalPrimitive(`fixed[${length}]`)
  }
  try {
    return canonicalPrimitive(word)
  } catch {
    const hint = HINTS[word]
    throw cursor.error(`unknown type ${JSON.stringify(token.text)}`, hint ? `write ${hint}` : `types are ${TYPES}`, token)
  }
}

function field(name: string, cursor: TokenCursor): NestedField {
  const type = parseType(cursor)
  const { required, doc } = modifiers(cursor, true)
  return doc === undefined ? { id: 0, name, required, type } : { id: 0, name, required, type, doc }
}

/**
 * Parses `name type [not null | required] [comment 'text'], ...` into a schema (schema-id 0) with
 * fresh ids assigned as Java does on create. Columns are optional unless `not null` / `required`;
 * list elements and map values take the same modifier inside the brackets (`list<string not null>`).
 * Names with other characters go in backquotes. Throws ValidationError (code VALIDATION) saying where
 * the text went wrong and what to write instead.
 */
export function parseSchemaDsl(text: string): Schema {
  const cursor = new TokenCursor(tokenize(text, WHAT), text, WHAT)
  const fields: NestedField[] = []
  do {
    if (cursor.peek().kind === 'end') throw cursor.error('expected a column', 'write columns as "name type", e.g. "id long not null, name string"')
    const name = cursor.name('write columns as "name type", e.g. "id long not null"')
    fields.push(field(name, cursor))
  } while (cursor.accept(','))
  if (cursor.peek().kind !== 'end') throw cursor.error('expected "," or the end', 'separate columns with commas')
  const schema = assignFreshIds({ type: 'struct', 'schema-id': 0, fields })
  validateSchema(schema)
  return schema
}

const KEYWORDS = new Set(['not', 'null', 'required', 'optional', 'comment'])

function formatName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name.toLowerCase()) ? name : `\`${name.replaceAll('`', '``')}\``
}

function formatType(type: IcebergType): string {
  if (typeof type === 'string') return type as PrimitiveType
  if (type.type === 'list') return `list<${formatType(type.element)}${type['element-required'] ? ' not null' : ''}>`
  if (type.type === 'map') return `map<${formatType(type.key)}, ${formatType(type.value)}${type['value-required'] ? ' not null' : ''}>`
  return `struct<${type.fields.map((f) => formatField(f, ': ')).join(', ')}>`
}

function formatField(field: NestedField, separator: string): string {
  const doc = field.doc === undefined ? '' : ` comment '${field.doc.replaceAll("'", "''")}'`
  return `${formatName(field.name)}${separator}${formatType(field.type)}${field.required ? ' not null' : ''}${doc}`
}

/** The DSL text of a schema; parseSchemaDsl of it gives the same fields (ids reassigned fresh). */
export function formatSchema(schema: Schema): string {
  return schema.fields.map((f) => formatField(f, ' ')).join(', ')
}
