/**
 * The change-data record every envelope decodes to (debezium-envelope.ts, op-envelope.ts), and how a
 * delete travels through the batcher (pure).
 *
 *   { op: 'c' | 'u' | 'r', row }   create, update, snapshot read: `row` is the new image of its key
 *   { op: 'd', row }               delete: `row` holds at least the key columns (the old image, or the message key)
 *
 * `row` is the record as received, not yet coerced. In a batch, a delete is a row holding only the
 * key columns, marked (markDelete): rows stay plain objects in the batcher's order, so "last write per
 * key wins" needs nothing beside them.
 */
import type { Row } from '../iceberg/types.ts'

export type ChangeOp = 'c' | 'u' | 'd' | 'r'

export interface Change {
  op: ChangeOp
  row: Record<string, unknown>
}

export type DecodedChange = { ok: true; change: Change } | { ok: false; reason: string }

export const CHANGE_OPS: ReadonlySet<string> = new Set(['c', 'u', 'd', 'r'])

const deletes = new WeakSet<Row>()

/** Marks `row` (the key columns of a delete) as a delete; returns it. */
export function markDelete(row: Row): Row {
  deletes.add(row)
  return row
}

/** Whether `row` is a delete (markDelete) rather than the new image of its key. */
export const isDelete = (row: Row): boolean => deletes.has(row)

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
