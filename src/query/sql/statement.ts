/**
 * What a SELECT reads, from DuckDB's serialized parse tree (`json_serialize_sql`, parsed with exact integers): the
 * namespace-qualified tables it names and, where it is safe, the `column op literal` conjuncts of the WHERE clause
 * that filter each one. No SQL is parsed here; anything not recognised simply yields no conjunct.
 */
import { QueryError } from '../errors.ts'
import type { ComparisonOp, PredicateOp } from '../predicate.ts'
import { isNode, literalSql, type SqlNode } from './literal-sql.ts'

/** `column op literal…`, literals as SQL text for the engine to evaluate. */
export interface SqlConjunct {
  column: string
  op: PredicateOp
  literals: string[]
}

export interface SqlTableRef {
  /** `[namespace…, table]` as written: `learning.sensor_readings` → `['learning', 'sensor_readings']`. */
  parts: string[]
  /** How many times the statement names this table. */
  references: number
  /**
   * WHERE conjuncts that restrict every row read from this table. Empty when the table is read more than once, in a
   * join, or without a usable WHERE clause — then nothing is pruned.
   */
  conjuncts: SqlConjunct[]
}

const COMPARISONS: Record<string, ComparisonOp> = {
  COMPARE_EQUAL: '=',
  COMPARE_NOTEQUAL: '!=',
  COMPARE_LESSTHAN: '<',
  COMPARE_GREATERTHAN: '>',
  COMPARE_LESSTHANOREQUALTO: '<=',
  COMPARE_GREATERTHANOREQUALTO: '>=',
}
const FLIPPED: Record<ComparisonOp, ComparisonOp> = { '=': '=', '!=': '!=', '<': '>', '>': '<', '<=': '>=', '>=': '<=' }

function tableParts(ref: SqlNode): string[] {
  return [ref.catalog_name, ref.schema_name, ref.table_name].filter((p): p is string => typeof p === 'string' && p !== '')
}

/** The column a reference names when it refers to `ref` (unqualified, or qualified by its alias or name). */
function columnOf(node: unknown, ref: SqlNode): string | undefined {
  if (!isNode(node) || node.class !== 'COLUMN_REF' || !Array.isArray(node.column_names)) return undefined
  const names = node.column_names as string[]
  if (names.length === 1) return names[0]
  const qualifier = names.slice(0, -1).join('.').toLowerCase()
  const alias = typeof ref.alias === 'string' && ref.alias !== '' ? ref.alias : undefined
  const accepted = alias ? [alias] : [tableParts(ref).slice(-1).join('.'), tableParts(ref).join('.')]
  // `s.a` may also be field a of struct column s: only a qualifier that names this table is a table qualifier.
  return accepted.some((q) => q.toLowerCase() === qualifier) ? names.at(-1) : undefined
}

/** Conjuncts of `where` on `ref`'s columns; unrecognised parts are skipped (a weaker filter is always safe). */
function conjunctsOf(where: unknown, ref: SqlNode, out: SqlConjunct[]): void {
  if (!isNode(where)) return
  const type = where.type as string
  if (type === 'CONJUNCTION_AND' && Array.isArray(where.children)) {
    for (const child of where.children) conjunctsOf(child, ref, out)
    return
  }
  if (type in COMPARISONS) {
    const op = COMPARISONS[type]!
    const leftColumn = columnOf(where.left, ref)
    const rightColumn = columnOf(where.right, ref)
    if (leftColumn !== undefined) {
      const literal = literalSql(where.right)
      if (literal !== undefined) out.push({ column: leftColumn, op, literals: [literal] })
    } else if (rightColumn !== undefined) {
      const literal = literalSql(where.left)
      if (literal !== undefined) out.push({ column: rightColumn, op: FLIPPED[op], literals: [literal] })
    }
    return
  }
  if (type === 'COMPARE_BETWEEN') {
    const column = columnOf(where.input, ref)
    const lower = literalSql(where.lower)
    const upper = literalSql(where.upper)
    if (column !== undefined && lower !== undefined) out.push({ column, op: '>=', literals: [lower] })
    if (column !== undefined && upper !== undefined) out.push({ column, op: '<=', literals: [upper] })
    return
  }
  const children = Array.isArray(where.children) ? (where.children as unknown[]) : []
  const column = columnOf(children[0], ref)
  if (column === undefined) return
  if (type === 'COMPARE_IN') {
    const literals = children.slice(1).map(literalSql)
    if (literals.length && literals.every((l) => l !== undefined)) out.push({ column, op: 'in', literals: literals as string[] })
  } else if (type === 'OPERATOR_IS_NULL') {
    out.push({ column, op: 'is-null', literals: [] })
  } else if (type === 'OPERATOR_IS_NOT_NULL') {
    out.push({ column, op: 'is-not-null', literals: [] })
  }
}

/** Every object in the tree, depth first (the parse tree is a plain JSON tree: no cycles). */
function* objects(value: unknown): Generator<SqlNode> {
  if (Array.isArray(value)) {
    for (const item of value) yield* objects(item)
  } else if (isNode(value)) {
    yield value
    for (const key in value) yield* objects(value[key])
  }
}

/**
 * The namespace-qualified tables a serialized statement reads, with their prunable conjuncts. Unqualified names
 * (CTEs, DuckDB's own tables) are left to the engine.
 * @throws QueryError `SQL_INVALID` when the text did not parse, is not exactly one SELECT, or uses `AT (...)` time travel.
 */
export function tablesOfStatement(serialized: unknown): SqlTableRef[] {
  if (!isNode(serialized)) throw new QueryError('SQL_INVALID', 'the SQL engine returned no parse tree')
  if (serialized.error === true) {
    const message = String(serialized.error_message ?? 'does not parse')
    const hint = /only select/i.test(message)
      ? '; `query` runs one SELECT statement (tables are changed with `tables` and the ingest worker)'
      : /syntax error/i.test(message)
        ? '; write one SELECT in DuckDB SQL, e.g. SELECT sensor_id, count(*) FROM learning.sensor_readings GROUP BY sensor_id'
        : ''
    throw new QueryError('SQL_INVALID', `${message}${hint}`)
  }
  const statements = serialized.statements
  if (!Array.isArray(statements) || statements.length !== 1) {
    throw new QueryError('SQL_INVALID', `expected one SELECT statement, got ${Array.isArray(statements) ? statements.length : 0}; run statements one at a time`)
  }
  const refs: SqlNode[] = []
  const filters = new Map<SqlNode, unknown>()
  for (const node of objects(statements[0])) {
    if (node.type === 'BASE_TABLE' && tableParts(node).length >= 2) refs.push(node)
    if (node.type === 'SELECT_NODE' && isNode(node.from_table) && node.from_table.type === 'BASE_TABLE') filters.set(node.from_table, node.where_clause)
  }
  const byName = new Map<string, SqlTableRef>()
  for (const ref of refs) {
    if (ref.at_clause !== null && ref.at_clause !== undefined) {
      throw new QueryError('SQL_INVALID', `${tableParts(ref).join('.')} AT (...): time travel is given with --snapshot ID or --as-of TIMESTAMP`)
    }
    const parts = tableParts(ref)
    const key = parts.join('\u0000').toLowerCase()
    const seen = byName.get(key)
    if (seen) {
      // Read twice (self-join, UNION, subquery): one file list serves both reads, so it must not be pruned.
      seen.references++
      seen.conjuncts = []
      continue
    }
    const conjuncts: SqlConjunct[] = []
    conjunctsOf(filters.get(ref), ref, conjuncts)
    byName.set(key, { parts, references: 1, conjuncts })
  }
  return [...byName.values()]
}
