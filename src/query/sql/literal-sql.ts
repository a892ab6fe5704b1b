/**
 * SQL text for the literal parts of DuckDB's serialized parse tree (`json_serialize_sql`): constants and casts of
 * constants. The text goes back to DuckDB, which evaluates it — so a literal means exactly what the query's does.
 */

/** A node of DuckDB's serialized parse tree; only the keys read here are typed. */
export type SqlNode = { [key: string]: unknown }

/** Whether a parse-tree value is an object node (not an array, not a scalar). */
export const isNode = (value: unknown): value is SqlNode => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Quotes a string literal: `it's` → `'it''s'`. */
export function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

/** Quotes an identifier: `my "col"` → `"my ""col"""`. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT'])
const SIMPLE_TYPES = new Set([
  ...INTEGER_TYPES, 'HUGEINT', 'UHUGEINT', 'FLOAT', 'DOUBLE', 'VARCHAR', 'BOOLEAN', 'DATE', 'TIME', 'TIMESTAMP',
  'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'UUID',
])

/** `{upper, lower}` 128-bit halves (upper signed, lower unsigned) or a plain JSON integer → bigint. */
function wideInteger(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined
  if (isNode(value)) {
    const upper = wideInteger(value.upper)
    const lower = wideInteger(value.lower)
    return upper === undefined || lower === undefined ? undefined : (upper << 64n) + BigInt.asUintN(64, lower)
  }
  return undefined
}

/** The SQL spelling of a serialized logical type, for the types a literal comparison can use; else undefined. */
export function typeSql(type: unknown): string | undefined {
  if (!isNode(type) || typeof type.id !== 'string') return undefined
  if (type.id === 'DECIMAL') {
    const info = type.type_info
    if (!isNode(info) || typeof info.width !== 'number' || typeof info.scale !== 'number') return undefined
    return `DECIMAL(${info.width},${info.scale})`
  }
  return SIMPLE_TYPES.has(type.id) ? type.id : undefined
}

function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0')
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`
  return negative ? `-${text}` : text
}

function constantSql(value: unknown): string | undefined {
  if (!isNode(value) || value.is_null !== false) return undefined
  const type = typeSql(value.type)
  if (type === undefined) return undefined
  const raw = value.value
  if (type === 'VARCHAR') return typeof raw === 'string' ? quoteString(raw) : undefined
  if (type === 'BOOLEAN') return typeof raw === 'boolean' ? (raw ? 'TRUE' : 'FALSE') : undefined
  if (type === 'FLOAT' || type === 'DOUBLE') {
    // String(number) is the shortest text that reads back as the same double.
    return typeof raw === 'number' && Number.isFinite(raw) ? `CAST(${String(raw)} AS ${type})` : undefined
  }
  if (INTEGER_TYPES.has(type) || type === 'HUGEINT' || type === 'UHUGEINT') {
    const n = wideInteger(raw)
    return n === undefined ? undefined : `CAST(${n} AS ${type})`
  }
  if (type.startsWith('DECIMAL')) {
    const n = wideInteger(raw)
    const scale = Number(/,(\d+)\)$/.exec(type)?.[1])
    return n === undefined ? undefined : `CAST(${quoteString(decimalText(n, scale))} AS ${type})`
  }
  return undefined
}

/**
 * SQL text of a literal expression node: a constant, or a (TRY_)CAST of one, nested. Undefined for anything else
 * (column references, functions, parameters, NULL), which the caller then does not use for pruning.
 */
export function literalSql(node: unknown): string | undefined {
  if (!isNode(node)) return undefined
  if (node.class === 'CONSTANT') return constantSql(node.value)
  if (node.class === 'CAST') {
    const child = literalSql(node.child)
    const type = typeSql(node.cast_type)
    if (child === undefined || type === undefined) return undefined
    return `${node.try_cast === true ? 'TRY_CAST' : 'CAST'}(${child} AS ${type})`
  }
  return undefined
}
