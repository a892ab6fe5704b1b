/**
 * HOST-ONLY: one in-memory DuckDB (@duckdb/node-api, a native addon) for a query: parse trees, literal evaluation,
 * views over Parquet data files, and results converted to the engine-neutral ResultTable.
 */
import {
  DuckDBDateValue, DuckDBDecimalType, DuckDBDecimalValue, DuckDBInstance, DuckDBTimestampTZValue, DuckDBTimestampValue,
  DuckDBTimeValue, DuckDBTypeId, DuckDBUUIDValue, DuckDBBlobValue, type DuckDBConnection, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api'
import { parseJson } from '../../iceberg/serde/json.ts'
import type { IcebergValue, PrimitiveType, Schema } from '../../iceberg/types.ts'
import type { ColumnKind, ResultTable } from '../../query/columns.ts'
import { QueryError } from '../../query/errors.ts'
import { deletedRowsSelect, emptySelect, literalTypeFits, parquetSchemaMap } from '../../query/sql/duckdb-types.ts'
import { quoteIdent, quoteString } from '../../query/sql/literal-sql.ts'

export interface DuckdbSession {
  /** DuckDB's parse tree of `sql` (json_serialize_sql), integers beyond 2^53 exact. */
  serialize(sql: string): Promise<unknown>
  /**
   * The canonical Iceberg value of a literal (SQL text) compared with a column of `columnType` (DuckDB) /
   * `icebergType`, or undefined when DuckDB would not compare them as the column's type or the cast is inexact.
   */
  literalValue(literal: string, columnType: string, icebergType: PrimitiveType): Promise<IcebergValue | undefined>
  /**
   * Creates `parts` (namespace…, table) as a view over `files` (local Parquet paths) read by field id, without the rows
   * at each file's `deleted` positions.
   */
  registerTable(parts: readonly string[], schema: Schema, files: readonly ScanFile[]): Promise<void>
  query(sql: string): Promise<ResultTable>
  close(): void
}

/** A local data file and the positions of its deleted rows (ascending; empty or absent when none). */
export interface ScanFile {
  path: string
  deleted?: readonly number[]
}

/** Where the deleted positions of registered tables live, one table per view (a schema no Iceberg namespace uses). */
const DELETES_SCHEMA = '__iceberg_deletes'

function kindOf(type: DuckDBType): ColumnKind {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN: return { kind: 'boolean' }
    case DuckDBTypeId.TINYINT: case DuckDBTypeId.SMALLINT: case DuckDBTypeId.INTEGER: case DuckDBTypeId.UTINYINT: case DuckDBTypeId.USMALLINT:
      return { kind: 'int32' }
    case DuckDBTypeId.BIGINT: case DuckDBTypeId.UINTEGER: return { kind: 'int64' }
    // 128-bit integers (sum of BIGINT) and UBIGINT as exact decimals of scale 0.
    case DuckDBTypeId.HUGEINT: case DuckDBTypeId.UHUGEINT: case DuckDBTypeId.UBIGINT: return { kind: 'decimal', precision: 38, scale: 0 }
    case DuckDBTypeId.FLOAT: return { kind: 'float32' }
    case DuckDBTypeId.DOUBLE: return { kind: 'float64' }
    case DuckDBTypeId.DECIMAL: {
      const decimal = type as DuckDBDecimalType
      return { kind: 'decimal', precision: decimal.width, scale: decimal.scale }
    }
    case DuckDBTypeId.DATE: return { kind: 'date' }
    case DuckDBTypeId.TIME: return { kind: 'time' }
    case DuckDBTypeId.TIMESTAMP: return { kind: 'timestamp' }
    case DuckDBTypeId.TIMESTAMP_TZ: return { kind: 'timestamptz' }
    case DuckDBTypeId.VARCHAR: return { kind: 'string' }
    case DuckDBTypeId.UUID: return { kind: 'uuid' }
    case DuckDBTypeId.BLOB: return { kind: 'binary' }
    default: return { kind: 'text' }
  }
}

/** A DuckDB value in the canonical form of its column kind (see ColumnKind). */
function cell(kind: ColumnKind, value: DuckDBValue): unknown {
  if (value === null) return null
  switch (kind.kind) {
    case 'int32': case 'float32': case 'float64': return Number(value)
    case 'int64': return BigInt(value as number | bigint)
    case 'decimal': return value instanceof DuckDBDecimalValue ? value.value : BigInt(value as bigint)
    case 'date': return (value as DuckDBDateValue).days
    case 'time': return (value as DuckDBTimeValue).micros
    case 'timestamp': return (value as DuckDBTimestampValue).micros
    case 'timestamptz': return (value as DuckDBTimestampTZValue).micros
    case 'uuid': return String(value)
    case 'binary': return (value as DuckDBBlobValue).bytes
    case 'boolean': case 'string': return value
    case 'text': return String(value)
  }
}

function canonicalLiteral(type: PrimitiveType, value: DuckDBValue): IcebergValue | undefined {
  if (value === null) return undefined
  if (type.startsWith('decimal')) return value instanceof DuckDBDecimalValue ? value.value : undefined
  switch (type) {
    case 'boolean': return typeof value === 'boolean' ? value : undefined
    case 'int': case 'float': case 'double': return typeof value === 'number' ? value : undefined
    case 'long': return typeof value === 'bigint' ? value : undefined
    case 'string': return typeof value === 'string' ? value : undefined
    case 'date': return value instanceof DuckDBDateValue ? value.days : undefined
    case 'time': return value instanceof DuckDBTimeValue ? value.micros : undefined
    case 'timestamp': return value instanceof DuckDBTimestampValue ? value.micros : undefined
    case 'timestamptz': return value instanceof DuckDBTimestampTZValue ? value.micros : undefined
    case 'uuid': return value instanceof DuckDBUUIDValue ? value.toString() : undefined
    default: return undefined
  }
}

async function namespaceSql(connection: DuckDBConnection, parts: readonly string[]): Promise<string> {
  if (parts.length === 2) {
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(parts[0]!)}`)
    return quoteIdent(parts[0]!)
  }
  if (parts.length === 3) {
    // DuckDB names have at most three parts: a two-level namespace becomes an attached in-memory catalog + schema.
    const attached = await connection.runAndReadAll(`SELECT count(*) FROM duckdb_databases() WHERE database_name = ${quoteString(parts[0]!)}`)
    if (Number(attached.getRows()[0]![0]) === 0) await connection.run(`ATTACH ':memory:' AS ${quoteIdent(parts[0]!)}`)
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(parts[0]!)}.${quoteIdent(parts[1]!)}`)
    return `${quoteIdent(parts[0]!)}.${quoteIdent(parts[1]!)}`
  }
  throw new QueryError('SQL_INVALID', `${parts.join('.')}: SQL names tables with at most two namespace levels`)
}

/**
 * Opens an in-memory DuckDB with TimeZone UTC (so timestamptz literals and results are UTC, as Iceberg stores them).
 * @throws Error from the addon when DuckDB cannot start.
 */
export async function openDuckdb(options: { threads?: number } = {}): Promise<DuckdbSession> {
  const instance = await DuckDBInstance.create(':memory:', options.threads ? { threads: String(options.threads) } : {})
  const connection = await instance.connect()
  await connection.run("SET TimeZone = 'UTC'")
  let deleteTables = 0
  /** A table of (file, pos) rows for the files' deleted positions, filled by DuckDB's appender. */
  const deletesTable = async (files: readonly ScanFile[]): Promise<string> => {
    const table = `t${deleteTables++}`
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${DELETES_SCHEMA}`)
    await connection.run(`CREATE TABLE ${DELETES_SCHEMA}.${table} (file VARCHAR, pos BIGINT)`)
    const appender = await connection.createAppender(table, DELETES_SCHEMA)
    try {
      for (const file of files) {
        for (const pos of file.deleted ?? []) {
          appender.appendVarchar(file.path)
          appender.appendBigInt(BigInt(pos))
          appender.endRow()
        }
      }
    } finally {
      appender.closeSync()
    }
    return `${DELETES_SCHEMA}.${table}`
  }
  return {
    async serialize(sql) {
      const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql])
      return parseJson(String(reader.getRows()[0]![0]))
    },
    async literalValue(literal, columnType, icebergType) {
      const cast = `TRY_CAST((${literal}) AS ${columnType})`
      try {
        const reader = await connection.runAndReadAll(`SELECT ${cast}, ${cast} = (${literal}), typeof(${literal})`)
        const [value, exact, literalType] = reader.getRows()[0]!
        if (exact !== true || !literalTypeFits(columnType, String(literalType))) return undefined
        return canonicalLiteral(icebergType, value ?? null)
      } catch {
        // The literal itself fails to evaluate (e.g. CAST('x' AS DATE)): the query will report it; prune nothing.
        return undefined
      }
    },
    async registerTable(parts, schema, files) {
      const name = `${await namespaceSql(connection, parts)}.${quoteIdent(parts.at(-1)!)}`
      const plain = files.filter((f) => !f.deleted?.length).map((f) => f.path)
      const withDeletes = files.filter((f) => f.deleted?.length)
      const selects: string[] = []
      if (plain.length) selects.push(`SELECT * FROM read_parquet([${plain.map(quoteString).join(', ')}], schema = ${parquetSchemaMap(schema)})`)
      // Deleted rows are removed by DuckDB itself: an anti-join of (file, file_row_number) with the deleted positions.
      if (withDeletes.length) selects.push(deletedRowsSelect(schema, withDeletes.map((f) => f.path), await deletesTable(withDeletes)))
      const source = selects.length ? selects.join(' UNION ALL ') : emptySelect(schema)
      await connection.run(`CREATE OR REPLACE VIEW ${name} AS ${source}`)
    },
    async query(sql) {
      const reader = await connection.runAndReadAll(sql)
      const names = reader.columnNames()
      const kinds = reader.columnTypes().map(kindOf)
      const rows = reader.getRows().map((row) => row.map((value, i) => cell(kinds[i]!, value)))
      return { columns: names.map((name, i) => ({ name, type: kinds[i]! })), rows }
    },
    close() {
      connection.closeSync()
      instance.closeSync()
    },
  }
}
