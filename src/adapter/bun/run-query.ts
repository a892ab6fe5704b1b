/**
 * HOST-ONLY: SQL over Iceberg tables. DuckDB parses the SELECT; our planner prunes each table's files with the WHERE
 * conjuncts DuckDB's parse tree shows and finds the deletion vectors and position deletes of each; the selected files
 * become views DuckDB runs the unchanged SQL over, the deleted positions removed by DuckDB (deletes/delete-loader.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Catalog } from '../../catalog/catalog.ts'
import { createDeleteLoader } from '../../deletes/delete-loader.ts'
import { mapConcurrent } from '../../async/map-concurrent.ts'
import { NoSuchEntityError } from '../../errors.ts'
import { isPrimitive } from '../../iceberg/schema.ts'
import type { IcebergValue, PrimitiveType, Schema } from '../../iceberg/types.ts'
import type { FileIO } from '../../storage/file-io.ts'
import type { ResultTable } from '../../query/columns.ts'
import { QueryError } from '../../query/errors.ts'
import { planScan, type ScanPlan } from '../../query/plan.ts'
import type { Predicate } from '../../query/predicate.ts'
import { selectSnapshot, snapshotSchema, type SnapshotChoice } from '../../query/snapshot-selection.ts'
import { duckdbType, prunableType } from '../../query/sql/duckdb-types.ts'
import { openDuckdb, type DuckdbSession } from './duckdb-session.ts'
import { hostDecompressors } from './decompress.ts'
import { fetchDataFiles, type FetchProgress } from './fetch-files.ts'
import { tablesOfStatement, type SqlConjunct } from '../../query/sql/statement.ts'

export interface RunQueryOptions extends SnapshotChoice {
  catalog: Catalog
  io: FileIO
  /** Plan only: report files planned and pruned, fetch nothing, run nothing. */
  explain?: boolean
  /** False reads every file of the snapshot (the reference a pruned run must equal; benchmarks). Default true. */
  prune?: boolean
  /** Where fetched data files go (a fresh temp dir by default, removed afterwards). */
  tempDir?: string
  onFetch?: (progress: FetchProgress & { table: string }) => void
}

export interface ConjunctReport {
  /** The conjunct as the SQL wrote it (column, operator, literal text). */
  text: string
  /** Undefined when the planner used it; otherwise why not (it still filters rows in the engine). */
  skipped?: string
}

export interface TableReport {
  table: string
  plan: ScanPlan
  conjuncts: ConjunctReport[]
}

export interface QueryOutcome {
  /** Undefined with `explain`. */
  result?: ResultTable
  tables: TableReport[]
  fetchedBytes: number
  timings: { planMs: number; fetchMs: number; executeMs: number }
}

function conjunctText(c: SqlConjunct): string {
  if (c.op === 'is-null') return `${c.column} IS NULL`
  if (c.op === 'is-not-null') return `${c.column} IS NOT NULL`
  return c.op === 'in' ? `${c.column} IN (${c.literals.join(', ')})` : `${c.column} ${c.op} ${c.literals[0]}`
}

/** Turns the SQL conjuncts on one table into planner predicates, with DuckDB evaluating each literal. */
async function predicatesFor(session: DuckdbSession, schema: Schema, conjuncts: readonly SqlConjunct[]): Promise<{ predicates: Predicate[]; reports: ConjunctReport[] }> {
  const predicates: Predicate[] = []
  const reports: ConjunctReport[] = []
  for (const conjunct of conjuncts) {
    const text = conjunctText(conjunct)
    // DuckDB binds identifiers case-insensitively.
    const matches = schema.fields.filter((f) => f.name.toLowerCase() === conjunct.column.toLowerCase())
    const field = matches.length === 1 ? matches[0]! : undefined
    if (!field || !isPrimitive(field.type) || !prunableType(field.type as PrimitiveType)) {
      reports.push({ text, skipped: field ? `column type ${JSON.stringify(field.type)} is not used for pruning` : 'not a column of this table' })
      continue
    }
    const type = field.type as PrimitiveType
    if (conjunct.op === 'is-null' || conjunct.op === 'is-not-null') {
      predicates.push({ column: field.name, op: conjunct.op })
      reports.push({ text })
      continue
    }
    const values: IcebergValue[] = []
    for (const literal of conjunct.literals) {
      const value = await session.literalValue(literal, duckdbType(type), type)
      if (value === undefined) break
      values.push(value)
    }
    // All or nothing: dropping one IN value would prune files holding rows that match it.
    if (values.length !== conjunct.literals.length) {
      reports.push({ text, skipped: `the literal does not convert exactly to ${type}, so DuckDB alone applies it` })
      continue
    }
    predicates.push(conjunct.op === 'in' ? { column: field.name, op: 'in', values } : { column: field.name, op: conjunct.op, value: values[0] })
    reports.push({ text })
  }
  return { predicates, reports }
}

function sqlError(error: unknown): QueryError {
  const message = (error as Error).message ?? String(error)
  const hint = /Table with name .* does not exist/i.test(message)
    ? '; name Iceberg tables as namespace.table (list them with `tables list`)'
    : /syntax error/i.test(message)
      ? '; write one SELECT in DuckDB SQL, e.g. SELECT sensor_id, count(*) FROM learning.sensor_readings GROUP BY sensor_id'
      : ''
  return new QueryError('SQL_INVALID', `${message}${hint}`, { cause: error })
}

/**
 * Runs one SELECT over the Iceberg tables it names (`namespace.table`), reading the chosen snapshot of each.
 * @throws QueryError `SQL_INVALID` (does not parse, not one SELECT, unknown table, engine error with its message),
 *   `SNAPSHOT_NOT_FOUND` / `NO_SNAPSHOT_AS_OF`, `UNSUPPORTED_DELETES` (an equality-delete file applies); DeleteError /
 *   PuffinError for a delete file that cannot be read; CatalogError / StorageError from the catalog and files.
 */
export async function runQuery(sql: string, options: RunQueryOptions): Promise<QueryOutcome> {
  const started = performance.now()
  const session = await openDuckdb()
  let dir: string | undefined
  try {
    const refs = tablesOfStatement(await session.serialize(sql))
    if (options.snapshotId !== undefined && refs.length !== 1) {
      throw new QueryError('SQL_INVALID', `--snapshot names one table's snapshot, but the query reads ${refs.length} tables (${refs.map((r) => r.parts.join('.')).join(', ') || 'none'}); use --as-of for several`)
    }
    const tables: TableReport[] = []
    for (const ref of refs) {
      const identifier = { namespace: ref.parts.slice(0, -1), name: ref.parts.at(-1)! }
      const name = ref.parts.join('.')
      const loaded = await options.catalog.loadTable(identifier).catch((error: unknown) => {
        if (error instanceof NoSuchEntityError) throw new QueryError('SQL_INVALID', `no table ${name} in catalog ${options.catalog.name}; list tables with \`tables list\``, { cause: error })
        throw error
      })
      const schema = snapshotSchema(loaded.metadata, selectSnapshot(loaded.metadata, options))
      const { predicates, reports } = await predicatesFor(session, schema, ref.conjuncts)
      const filter = options.prune === false ? [] : predicates
      const plan = await planScan({ io: options.io, metadata: loaded.metadata, filter, snapshotId: options.snapshotId, asOfMs: options.asOfMs })
      tables.push({ table: name, plan, conjuncts: reports })
    }
    const planned = performance.now()
    if (options.explain) return { tables, fetchedBytes: 0, timings: { planMs: planned - started, fetchMs: 0, executeMs: 0 } }
    dir = options.tempDir ?? (await mkdtemp(join(tmpdir(), 'iceberg-query-')))
    let fetchedBytes = 0
    const deletes = createDeleteLoader(options.io, { decompressors: hostDecompressors })
    for (const [i, report] of tables.entries()) {
      const locations = report.plan.files.map((f) => f.dataFile['file-path'])
      const [fetched, deleted] = await Promise.all([
        fetchDataFiles(options.io, locations, join(dir, String(i)), {
          onProgress: options.onFetch && ((p) => options.onFetch!({ ...p, table: report.table })),
        }),
        mapConcurrent(report.plan.files, 8, async (f) => (f.deletes ? deletes.positions(f.dataFile['file-path'], f.deletes) : [])),
      ])
      fetchedBytes += fetched.bytes
      await session.registerTable(refs[i]!.parts, report.plan.schema, fetched.paths.map((path, f) => ({ path, deleted: deleted[f]! })))
    }
    const fetchedAt = performance.now()
    const result = await session.query(sql).catch((error: unknown) => {
      throw sqlError(error)
    })
    return { result, tables, fetchedBytes, timings: { planMs: planned - started, fetchMs: fetchedAt - planned, executeMs: performance.now() - fetchedAt } }
  } catch (error) {
    if (error instanceof Error && !(error instanceof QueryError) && /Parser Error|Binder Error|Catalog Error/.test(error.message)) throw sqlError(error)
    throw error
  } finally {
    session.close()
    if (dir && !options.tempDir) await rm(dir, { recursive: true, force: true })
  }
}
