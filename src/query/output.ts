/** Query results as text: an aligned table for people, JSON and CSV for programs (Arrow IPC is in arrow.ts). */
import { formatDate, formatTime, formatTimestamp } from '../iceberg/datetime.ts'
import { decimalToString } from '../iceberg/human-string.ts'
import type { ColumnKind, ResultTable } from './columns.ts'

const isNull = (v: unknown) => v === null || v === undefined

function hex(bytes: Uint8Array): string {
  let out = '\\x'
  for (const b of bytes) out += b.toString(16).padStart(2, '0').toUpperCase()
  return out
}

/** The text of one non-null value: ISO dates and times (UTC for timestamptz), plain decimals, shortest doubles. */
export function valueText(type: ColumnKind, value: unknown): string {
  switch (type.kind) {
    case 'date': return formatDate(value as number)
    case 'time': return formatTime(value as bigint)
    case 'timestamp': return formatTimestamp(value as bigint, false)
    case 'timestamptz': return formatTimestamp(value as bigint, true)
    case 'decimal': return decimalToString(value as bigint, type.scale)
    case 'binary': return hex(value as Uint8Array)
    default: return String(value)
  }
}

const NUMERIC = new Set(['int32', 'int64', 'float32', 'float64', 'decimal'])

/**
 * An aligned table: header, rule, one line per row, numbers right-aligned, NULL for nulls, and a row count —
 * the shape of DuckDB's and psql's output.
 */
export function formatTable(result: ResultTable): string {
  const header = result.columns.map((c) => c.name)
  const cells = result.rows.map((row) => result.columns.map((c, i) => (isNull(row[i]) ? 'NULL' : valueText(c.type, row[i]))))
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)))
  const right = result.columns.map((c) => NUMERIC.has(c.type.kind))
  const line = (values: string[]) =>
    values.map((v, i) => (right[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd()
  const rows = result.rows.length
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), `(${rows} ${rows === 1 ? 'row' : 'rows'})`].join('\n')
}

function jsonValue(type: ColumnKind, value: unknown): unknown {
  if (isNull(value)) return null
  if (typeof value === 'bigint' && type.kind === 'int64') return Number.isSafeInteger(Number(value)) ? Number(value) : String(value)
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value)
  if (typeof value === 'boolean') return value
  if (type.kind === 'binary') return btoa(Array.from(value as Uint8Array, (b) => String.fromCharCode(b)).join(''))
  return valueText(type, value)
}

/**
 * A JSON array of row objects keyed by column name. Integers beyond 2^53, decimals and non-finite doubles are strings
 * (exact), binary is base64, dates and times ISO text.
 */
export function formatJson(result: ResultTable): string {
  const rows = result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, jsonValue(c.type, row[i])])))
  return rows.length === 0 ? '[]' : `[\n${rows.map((row) => JSON.stringify(row)).join(',\n')}\n]`
}

/** Quoted (quotes doubled) when it holds a comma, quote or line break, or edge spaces a reader might trim. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) || text.startsWith(' ') || text.endsWith(' ') ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * CSV with a header line, quoted as RFC 4180 says; null is an empty field, every other value its text. Records end in
 * `\n`, not RFC 4180's `\r\n`: the output goes to shells and Unix tools (wc, cut, sort), where a `\r` would stick to the
 * last field, and CSV readers accept either.
 */
export function formatCsv(result: ResultTable): string {
  const lines = [result.columns.map((c) => csvField(c.name)).join(',')]
  for (const row of result.rows) lines.push(result.columns.map((c, i) => (isNull(row[i]) ? '' : csvField(valueText(c.type, row[i])))).join(','))
  return `${lines.join('\n')}\n`
}
