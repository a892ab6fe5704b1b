/** Iceberg types as DuckDB sees them, and the `read_parquet(..., schema=...)` SQL that reads data files by field id (with deleted rows removed). */
import { isPrimitive } from '../../iceberg/schema.ts'
import type { IcebergType, PrimitiveType, Schema } from '../../iceberg/types.ts'
import { QueryError } from '../errors.ts'
import { quoteIdent, quoteString } from './literal-sql.ts'

const PRIMITIVES: Record<string, string> = {
  boolean: 'BOOLEAN',
  int: 'INTEGER',
  long: 'BIGINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  date: 'DATE',
  time: 'TIME',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMP WITH TIME ZONE',
  string: 'VARCHAR',
  uuid: 'UUID',
  binary: 'BLOB',
  // v3: DuckDB has nanosecond timestamps only without a zone; timestamptz_ns reads at microsecond precision.
  timestamp_ns: 'TIMESTAMP_NS',
  timestamptz_ns: 'TIMESTAMP WITH TIME ZONE',
  // DuckDB (1.4+) reads Parquet's VARIANT group itself
  variant: 'VARIANT',
}

/** The DuckDB type of an Iceberg type (Iceberg's own mapping for DuckDB's iceberg extension). */
export function duckdbType(type: IcebergType): string {
  if (isPrimitive(type)) {
    const simple = PRIMITIVES[type]
    if (simple) return simple
    if (type.startsWith('decimal')) return type.toUpperCase().replace(/\s+/g, '')
    return 'BLOB' // fixed[L]
  }
  switch (type.type) {
    case 'struct': return `STRUCT(${type.fields.map((f) => `${quoteIdent(f.name)} ${duckdbType(f.type)}`).join(', ')})`
    case 'list': return `${duckdbType(type.element)}[]`
    case 'map': return `MAP(${duckdbType(type.key)}, ${duckdbType(type.value)})`
  }
}

/**
 * The DuckDB types a literal may have for `column op literal` to compare as the column's own type, by the column's
 * DuckDB type. A string literal is cast to the column's type by DuckDB; other pairings (a VARCHAR column against a
 * number) make DuckDB cast the column instead, which changes what matches — those are not used for pruning.
 */
export function literalTypeFits(columnType: string, literalType: string): boolean {
  const literal = literalType.replace(/\(.*$/, '')
  const numeric = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT', 'FLOAT', 'DOUBLE', 'DECIMAL']
  const column = columnType.replace(/\(.*$/, '')
  if (column === 'VARCHAR') return literal === 'VARCHAR'
  if (literal === 'VARCHAR') return true
  if (numeric.includes(column)) return numeric.includes(literal)
  if (column === 'DATE' || column.startsWith('TIMESTAMP')) return literal === 'DATE' || literal.startsWith('TIMESTAMP')
  return column === literal
}

/** Whether pruning may use this Iceberg type (binary and fixed literals are not worth the risk). */
export function prunableType(type: PrimitiveType): boolean {
  return type !== 'binary' && !type.startsWith('fixed')
}

/**
 * `MAP {id: {name: ..., type: ..., default_value: NULL}, ...}` for read_parquet: DuckDB then matches Parquet columns by
 * Iceberg field id (renamed columns keep reading), and a column missing from a file (added later) reads as NULL.
 */
export function parquetSchemaMap(schema: Schema): string {
  const entries = schema.fields.map((f) => `${f.id}: {name: ${quoteString(f.name)}, type: ${quoteString(duckdbType(f.type))}, default_value: NULL}`)
  return `MAP {${entries.join(', ')}}`
}

/** A zero-row SELECT with the schema's columns and types, for a table (or snapshot) without data files. */
export function emptySelect(schema: Schema): string {
  const columns = schema.fields.map((f) => `CAST(NULL AS ${duckdbType(f.type)}) AS ${quoteIdent(f.name)}`)
  return `SELECT ${columns.join(', ')} WHERE FALSE`
}

/** The columns read_parquet adds for rows with deletes: the file's row position and its path (named by us). */
const ROW_NUMBER_COLUMN = 'file_row_number'
const FILE_COLUMN = '__iceberg_file'

/**
 * A SELECT of the schema's columns from `files` without the rows `deletesTable` (`file VARCHAR, pos BIGINT`) lists:
 * DuckDB reads each row's position in its file (`file_row_number`) and anti-joins it with the deleted positions.
 * @throws QueryError `UNSUPPORTED_TYPE` when a column is itself named file_row_number (DuckDB names its position
 *   column so; the table would have to be read another way).
 */
export function deletedRowsSelect(schema: Schema, files: readonly string[], deletesTable: string): string {
  const clash = schema.fields.find((f) => f.name.toLowerCase() === ROW_NUMBER_COLUMN || f.name === FILE_COLUMN)
  if (clash) {
    throw new QueryError('UNSUPPORTED_TYPE', `column ${JSON.stringify(clash.name)} has the name DuckDB gives row positions; a table with deletes and such a column cannot be read by \`query\` (scanTable reads it)`)
  }
  const columns = schema.fields.map((f) => `d.${quoteIdent(f.name)}`).join(', ')
  const read = `read_parquet([${files.map(quoteString).join(', ')}], schema = ${parquetSchemaMap(schema)}, ${ROW_NUMBER_COLUMN} = true, filename = ${quoteString(FILE_COLUMN)})`
  return `SELECT ${columns} FROM ${read} d ANTI JOIN ${deletesTable} x ON x.file = d.${FILE_COLUMN} AND x.pos = d.${ROW_NUMBER_COLUMN}`
}
