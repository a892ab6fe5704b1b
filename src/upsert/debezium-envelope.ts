/**
 * Debezium change events (`tables[].kafka.envelope: "debezium"`) and Kafka tombstones → changes (pure).
 *
 *   value  {"before": {...} | null, "after": {...} | null, "op": "c" | "u" | "d" | "r", "source": {...}, "ts_ms": ...}
 *          or the same under "payload" beside "schema" (JsonConverter with schemas.enable=true)
 *   c, u   the new image is `after`;  r: a snapshot read, the same as c
 *   d      deletes the key of `before` (falling back to the message key when `before` is null)
 *   t, m   truncate and logical-decoding messages: dead letters (a truncate cannot be a per-key change)
 *
 * Keys beside the envelope's own (what `tables[].kafka.columns` adds: topic, offset, ...) go into the
 * row. A tombstone (a null value with a key) deletes the message key; Debezium sends one after each
 * delete, so a delete usually arrives twice — deleting an absent key is no change.
 */
import { describe } from '../records/invalid.ts'
import { type ChangeOp, type DecodedChange, isObject } from './change.ts'
import type { UpsertKey } from './upsert-key.ts'

const ENVELOPE_KEYS = new Set(['before', 'after', 'op', 'source', 'ts_ms', 'ts_us', 'ts_ns', 'transaction'])

/** `{"schema": ..., "payload": {...}}` → the payload; anything else as it is. */
function unwrapped(record: Record<string, unknown>): { body: Record<string, unknown>; extra: Record<string, unknown> } {
  if ('payload' in record && 'schema' in record && isObject(record.payload)) {
    const { payload, schema: _schema, ...extra } = record
    return { body: payload, extra }
  }
  const extra: Record<string, unknown> = {}
  for (const key of Object.keys(record)) if (!ENVELOPE_KEYS.has(key)) extra[key] = record[key]
  return { body: record, extra }
}

/**
 * A Debezium event value (already decoded to a record) → its change; `messageKey` gives the message
 * key as a record, for a delete whose `before` is null.
 */
export function decodeDebezium(record: Record<string, unknown>, messageKey: () => Record<string, unknown> | undefined): DecodedChange {
  const { body, extra } = unwrapped(record)
  const op = body.op
  if (op === 't' || op === 'm') return { ok: false, reason: `debezium: op "${op}" (${op === 't' ? 'truncate' : 'message'}) is not a change of one key; not applied` }
  if (op !== 'c' && op !== 'u' && op !== 'd' && op !== 'r') return { ok: false, reason: `debezium: "op" must be "c", "u", "d" or "r", got ${describe(op)}` }
  const withExtra = (image: Record<string, unknown>) => (Object.keys(extra).length ? { ...image, ...extra } : image)
  if (op === 'd') {
    if (isObject(body.before)) return { ok: true, change: { op, row: withExtra(body.before) } }
    if (body.before !== null && body.before !== undefined) return { ok: false, reason: `debezium: delete's "before" must be an object or null, got ${describe(body.before)}` }
    const key = messageKey()
    if (!key) return { ok: false, reason: 'debezium: delete without "before" and without a message key: no key to delete' }
    return { ok: true, change: { op, row: key } }
  }
  if (!isObject(body.after)) return { ok: false, reason: `debezium: op "${op}" needs "after" as an object, got ${describe(body.after)}` }
  return { ok: true, change: { op: op as ChangeOp, row: withExtra(body.after) } }
}

const utf8 = new TextDecoder()

/**
 * A Kafka message key → the key columns as a record: a JSON object (Debezium's key, or its
 * `{"schema", "payload"}` form), or — for a one-column key — a JSON scalar or plain text, taken as
 * that column's value. Undefined for a missing or empty key, or one that names no key column.
 */
export function messageKeyRecord(key: Uint8Array | undefined, upsertKey: UpsertKey): Record<string, unknown> | undefined {
  if (!key?.length) return undefined
  const text = utf8.decode(key)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = text
  }
  if (isObject(parsed)) {
    const record = 'payload' in parsed && 'schema' in parsed && isObject(parsed.payload) ? parsed.payload : parsed
    return upsertKey.fields.some((f) => f.name in record) ? record : undefined
  }
  if (upsertKey.fields.length !== 1 || parsed === null || Array.isArray(parsed)) return undefined
  return { [upsertKey.fields[0]!.name]: parsed }
}

/** A tombstone (null or empty value) with `key` → the delete of that key, or why it cannot be one. */
export function decodeTombstone(key: Uint8Array | undefined, upsertKey: UpsertKey): DecodedChange {
  const record = messageKeyRecord(key, upsertKey)
  if (!record) {
    return { ok: false, reason: key?.length ? `tombstone: message key ${describe(utf8.decode(key))} names no key column (${upsertKey.fields.map((f) => f.name).join(', ')})` : 'tombstone without a message key: no key to delete' }
  }
  return { ok: true, change: { op: 'd', row: record } }
}
