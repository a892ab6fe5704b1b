/**
 * The plain change envelope for HTTP (`tables[].http.envelope: "op"`): one record per change (pure).
 *
 *   {"op": "c" | "u" | "r", "data": {<the row>}}
 *   {"op": "d", "data": {<at least the key columns>}}
 *
 * Anything else is a dead letter with its reason.
 */
import { describe } from '../records/invalid.ts'
import { CHANGE_OPS, type ChangeOp, type DecodedChange, isObject } from './change.ts'

export function decodeOpEnvelope(record: unknown): DecodedChange {
  if (!isObject(record)) return { ok: false, reason: `change envelope: expected {"op": ..., "data": {...}}, got ${describe(record)}` }
  const { op, data } = record
  if (typeof op !== 'string' || !CHANGE_OPS.has(op)) return { ok: false, reason: `change envelope: "op" must be "c", "u", "r" or "d", got ${describe(op)}` }
  if (!isObject(data)) return { ok: false, reason: `change envelope: "data" must be an object, got ${describe(data)}` }
  const extra = Object.keys(record).filter((k) => k !== 'op' && k !== 'data')
  if (extra.length) return { ok: false, reason: `change envelope: unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => JSON.stringify(k)).join(', ')} beside "op" and "data"` }
  return { ok: true, change: { op: op as ChangeOp, row: data } }
}
