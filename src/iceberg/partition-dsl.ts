/** A compact text form of partition specs (`sensor_id, day(ts), bucket(16, id), truncate(4, data)`), named as Java names fields. */
import { ValidationError } from '../errors.ts'
import { tokenize, TokenCursor } from './dsl-tokens.ts'
import { indexById, indexByName, isPrimitive } from './schema.ts'
import { canTransform, describeTransform } from './transforms.ts'
import type { PartitionField, PartitionSpec, Schema, Transform } from './types.ts'

const WHAT = 'partition spec'
const FORMS = 'column, year(col), month(col), day(col), hour(col), bucket(N, col), truncate(W, col), void(col), each optionally "as name"'
const SUFFIX: Record<string, string> = { bucket: 'bucket', truncate: 'trunc', year: 'year', month: 'month', day: 'day', hour: 'hour', void: 'null' }

/** Java's default partition field name: the source column for identity, else `<column>_<suffix>`. */
function defaultName(transform: Transform, source: string): string {
  const { kind } = describeTransform(transform)
  return kind === 'identity' ? source : `${source}_${SUFFIX[kind]}`
}

function columnRef(cursor: TokenCursor): string {
  const parts = [cursor.name(`write ${FORMS}`)]
  while (cursor.accept('.')) parts.push(cursor.name('write nested columns as parent.child'))
  return parts.join('.')
}

/**
 * Parses a comma-separated partition spec over `schema` (spec-id 0, field ids from 1000). Field names
 * follow Java: identity keeps the column name, others get `_bucket`, `_trunc`, `_year`, `_month`,
 * `_day`, `_hour`, `_null`; `as name` overrides. Throws ValidationError (code VALIDATION) for unknown
 * columns, transforms that do not apply to the column type, duplicate names, or bad syntax, saying what to write.
 */
export function parsePartitionDsl(text: string, schema: Schema): PartitionSpec {
  const columns = indexByName(schema)
  const fields: PartitionField[] = []
  if (text.trim() === '') return { 'spec-id': 0, fields }
  const cursor = new TokenCursor(tokenize(text, WHAT), text, WHAT)
  do {
    const first = cursor.peek()
    let transform: Transform = 'identity'
    let source: string
    if (first.kind === 'name' && !first.quoted && cursor.peek(1).text === '(') {
      const fn = cursor.name().toLowerCase()
      cursor.expect('(')
      if (fn === 'bucket' || fn === 'truncate') {
        if (cursor.peek().kind !== 'number') throw cursor.error(`${fn} takes the number first`, `write ${fn}(${fn === 'bucket' ? 16 : 4}, column)`)
        const n = cursor.number()
        cursor.expect(',', `write ${fn}(${n}, column)`)
        transform = `${fn}[${n}]`
      } else if (fn in SUFFIX) {
        transform = fn as Transform
      } else {
        throw cursor.error(`unknown transform ${JSON.stringify(fn)}`, `write ${FORMS}`, first)
      }
      source = columnRef(cursor)
      cursor.expect(')')
    } else {
      source = columnRef(cursor)
    }
    const column = columns.get(source)
    if (!column) throw new ValidationError(`${WHAT}: no column ${JSON.stringify(source)} in the schema (columns: ${[...columns.keys()].join(', ')})`, { column: source })
    if (!isPrimitive(column.type) || column.inRepeated) {
      throw new ValidationError(`${WHAT}: cannot partition by ${source}: only primitive columns outside lists and maps can be partition sources`, { column: source })
    }
    if (!canTransform(transform, column.type)) {
      throw new ValidationError(`${WHAT}: ${transform} does not apply to ${source} (${column.type}); see the spec's "Partition Transforms" table`, { column: source, transform })
    }
    const name = cursor.accept('as') ? cursor.name('write "as name"') : defaultName(transform, source)
    fields.push({ 'source-id': column.id, 'field-id': 1000 + fields.length, name, transform })
  } while (cursor.accept(','))
  if (cursor.peek().kind !== 'end') throw cursor.error('expected "," or the end', `separate fields with commas; forms: ${FORMS}`)
  validatePartitionNames(fields, schema)
  return { 'spec-id': 0, fields }
}

/**
 * Partition names must be unique and, as Java requires, may equal a column name only for that
 * column's identity field (a `day` field named like a column would shadow it in queries).
 * Throws ValidationError (code VALIDATION) naming the field.
 */
export function validatePartitionNames(fields: readonly PartitionField[], schema: Schema): void {
  const columns = indexByName(schema)
  const seen = new Set<string>()
  for (const field of fields) {
    if (seen.has(field.name)) throw new ValidationError(`${WHAT}: duplicate partition field name ${field.name}; add "as other_name"`, { name: field.name })
    seen.add(field.name)
    const column = columns.get(field.name)
    if (column && (field.transform !== 'identity' || column.id !== field['source-id'])) {
      throw new ValidationError(`${WHAT}: partition field name ${field.name} is a column name; add "as other_name"`, { name: field.name })
    }
  }
}

/** The DSL text of a spec over `schema`; parsePartitionDsl of it gives the same fields. Throws ValidationError for unknown source ids. */
export function formatPartitionSpec(spec: PartitionSpec, schema: Schema): string {
  const index = indexById(schema)
  return spec.fields
    .map((field) => {
      const source = index.get(field['source-id'])
      if (!source) throw new ValidationError(`partition field ${field.name} refers to source id ${field['source-id']}, which is not in the schema`, { field: field.name })
      const d = describeTransform(field.transform)
      const column = source.path.map((p) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? p : `\`${p.replaceAll('`', '``')}\``)).join('.')
      const expr =
        d.kind === 'identity' ? column : d.kind === 'bucket' ? `bucket(${d.n}, ${column})` : d.kind === 'truncate' ? `truncate(${d.width}, ${column})` : `${d.kind}(${column})`
      const name = field.name === defaultName(field.transform, source.name) ? '' : ` as ${/^[A-Za-z_][A-Za-z0-9_]*$/.test(field.name) ? field.name : `\`${field.name.replaceAll('`', '``')}\``}`
      return expr + name
    })
    .join(', ')
}
