/** The change envelopes and the upsert intake: Debezium events and tombstones, the HTTP op envelope, key-only deletes, dead-letter reasons. */
import { describe, expect, test } from 'bun:test'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import type { Admission } from '../../src/pipeline/intake.ts'
import { createRecordCoercer } from '../../src/records/coerce.ts'
import { isDelete } from '../../src/upsert/change.ts'
import { decodeDebezium, decodeTombstone, messageKeyRecord } from '../../src/upsert/debezium-envelope.ts'
import { decodeOpEnvelope } from '../../src/upsert/op-envelope.ts'
import { createUpsertIntake } from '../../src/upsert/upsert-intake.ts'
import { upsertKey } from '../../src/upsert/upsert-key.ts'

const schema = parseSchemaDsl('id long not null, name string, n int')
const key = upsertKey(schema, ['id'])
const bytes = (text: string) => new TextEncoder().encode(text)
const noKey = () => undefined

describe('decodeDebezium', () => {
  test('c, r and u take after; d takes before', () => {
    const source = { connector: 'postgresql', lsn: 1 }
    expect(decodeDebezium({ before: null, after: { id: 1, name: 'a' }, op: 'c', source, ts_ms: 1 }, noKey)).toEqual({ ok: true, change: { op: 'c', row: { id: 1, name: 'a' } } })
    expect(decodeDebezium({ before: null, after: { id: 1 }, op: 'r', source }, noKey)).toEqual({ ok: true, change: { op: 'r', row: { id: 1 } } })
    expect(decodeDebezium({ before: { id: 1, name: 'a' }, after: { id: 1, name: 'b' }, op: 'u', source }, noKey)).toEqual({ ok: true, change: { op: 'u', row: { id: 1, name: 'b' } } })
    expect(decodeDebezium({ before: { id: 1, name: 'b' }, after: null, op: 'd', source }, noKey)).toEqual({ ok: true, change: { op: 'd', row: { id: 1, name: 'b' } } })
  })

  test('the schemas.enable form is unwrapped; keys beside the envelope (kafka.columns) join the row', () => {
    const event = { schema: { type: 'struct' }, payload: { before: null, after: { id: 2 }, op: 'c' }, kafka_offset: '7' }
    expect(decodeDebezium(event, noKey)).toEqual({ ok: true, change: { op: 'c', row: { id: 2, kafka_offset: '7' } } })
    expect(decodeDebezium({ before: null, after: { id: 3 }, op: 'c', source: {}, topic: 't' }, noKey)).toEqual({ ok: true, change: { op: 'c', row: { id: 3, topic: 't' } } })
  })

  test('a delete without before falls back to the message key, and without either is a reason', () => {
    expect(decodeDebezium({ before: null, after: null, op: 'd' }, () => ({ id: 9 }))).toEqual({ ok: true, change: { op: 'd', row: { id: 9 } } })
    expect(decodeDebezium({ before: null, after: null, op: 'd' }, noKey)).toEqual({ ok: false, reason: 'debezium: delete without "before" and without a message key: no key to delete' })
  })

  test('malformed events are reasons naming what is wrong', () => {
    expect(decodeDebezium({ after: { id: 1 } }, noKey)).toEqual({ ok: false, reason: 'debezium: "op" must be "c", "u", "d" or "r", got undefined' })
    expect(decodeDebezium({ op: 'x', after: {} }, noKey)).toEqual({ ok: false, reason: 'debezium: "op" must be "c", "u", "d" or "r", got string "x"' })
    expect(decodeDebezium({ op: 'c', after: null }, noKey)).toEqual({ ok: false, reason: 'debezium: op "c" needs "after" as an object, got null' })
    expect(decodeDebezium({ op: 'd', before: 5 }, noKey)).toEqual({ ok: false, reason: `debezium: delete's "before" must be an object or null, got number 5` })
    expect(decodeDebezium({ op: 't', source: {} }, noKey)).toEqual({ ok: false, reason: 'debezium: op "t" (truncate) is not a change of one key; not applied' })
  })
})

describe('message keys and tombstones', () => {
  test('a JSON object key (plain or schemas.enable), a bare scalar, plain text', () => {
    expect(messageKeyRecord(bytes('{"id": 4}'), key)).toEqual({ id: 4 })
    expect(messageKeyRecord(bytes('{"schema": {}, "payload": {"id": 5}}'), key)).toEqual({ id: 5 })
    expect(messageKeyRecord(bytes('6'), key)).toEqual({ id: 6 })
    expect(messageKeyRecord(bytes('abc'), key)).toEqual({ id: 'abc' })
    expect(messageKeyRecord(bytes('{"other": 1}'), key)).toBeUndefined()
    expect(messageKeyRecord(undefined, key)).toBeUndefined()
  })

  test('a scalar key does not fit a key of two columns', () => {
    const two = upsertKey(parseSchemaDsl('a long not null, b string not null'), ['a', 'b'])
    expect(messageKeyRecord(bytes('6'), two)).toBeUndefined()
    expect(messageKeyRecord(bytes('{"a": 1, "b": "x"}'), two)).toEqual({ a: 1, b: 'x' })
  })

  test('a tombstone deletes its key; without one it is a reason', () => {
    expect(decodeTombstone(bytes('{"id": 4}'), key)).toEqual({ ok: true, change: { op: 'd', row: { id: 4 } } })
    expect(decodeTombstone(undefined, key)).toEqual({ ok: false, reason: 'tombstone without a message key: no key to delete' })
    expect(decodeTombstone(bytes('{"x":1}'), key)).toEqual({ ok: false, reason: 'tombstone: message key string "{\\"x\\":1}" names no key column (id)' })
  })
})

describe('decodeOpEnvelope', () => {
  test('op and data', () => {
    expect(decodeOpEnvelope({ op: 'u', data: { id: 1 } })).toEqual({ ok: true, change: { op: 'u', row: { id: 1 } } })
    expect(decodeOpEnvelope({ op: 'd', data: { id: 1 } })).toEqual({ ok: true, change: { op: 'd', row: { id: 1 } } })
  })
  test('malformed envelopes are reasons', () => {
    expect(decodeOpEnvelope([1])).toEqual({ ok: false, reason: 'change envelope: expected {"op": ..., "data": {...}}, got array' })
    expect(decodeOpEnvelope({ op: 'upsert', data: {} })).toEqual({ ok: false, reason: 'change envelope: "op" must be "c", "u", "r" or "d", got string "upsert"' })
    expect(decodeOpEnvelope({ op: 'c', data: 'x' })).toEqual({ ok: false, reason: 'change envelope: "data" must be an object, got string "x"' })
    expect(decodeOpEnvelope({ op: 'c', data: {}, id: 1 })).toEqual({ ok: false, reason: 'change envelope: unknown key "id" beside "op" and "data"' })
  })
})

describe('createUpsertIntake', () => {
  const coerce = createRecordCoercer(schema)
  const admit = (record: unknown): Admission => coerce(record)
  const intake = (httpEnvelope: 'none' | 'op', kafkaEnvelope: 'none' | 'debezium') => createUpsertIntake({ key, admit, httpEnvelope, kafkaEnvelope })
  const row = (a: Admission) => (a.ok ? a.row : undefined)

  test('a new image is admitted as a row; a delete is its key columns alone, marked', () => {
    const http = intake('op', 'none')
    const image = row(http.admitRecord({ op: 'c', data: { id: 1, name: 'a', n: 2 } }))!
    expect(image).toEqual({ id: 1n, name: 'a', n: 2 })
    expect(isDelete(image)).toBe(false)
    // A delete needs only the key: required columns besides it may be missing.
    const gone = row(http.admitRecord({ op: 'd', data: { id: '1' } }))!
    expect(gone).toEqual({ id: 1n })
    expect(isDelete(gone)).toBe(true)
  })

  test('without the http envelope a record is a new image (a table column named op stays a column)', () => {
    expect(row(intake('none', 'none').admitRecord({ id: 3, name: 'x' }))).toEqual({ id: 3n, name: 'x', n: null })
  })

  test('kafka: debezium events, tombstones by key, and a delete whose key does not coerce is a reason', () => {
    const kafka = intake('none', 'debezium')
    expect(row(kafka.admitMessage({ op: 'u', before: null, after: { id: 5, name: 'n' } }, bytes('{"id":5}')))).toEqual({ id: 5n, name: 'n', n: null })
    const tombstone = row(kafka.admitMessage(undefined, bytes('{"id":5}')))!
    expect([tombstone, isDelete(tombstone)]).toEqual([{ id: 5n }, true])
    expect(kafka.admitMessage({ op: 'd', before: { id: 'x' } }, undefined)).toEqual({ ok: false, reason: expect.stringMatching(/^delete: /) })
    // Plain rows on a table without the envelope: a value is the new image, a null value still deletes.
    expect(row(intake('none', 'none').admitMessage({ id: 6 }, undefined))).toEqual({ id: 6n, name: null, n: null })
    expect(isDelete(row(intake('none', 'none').admitMessage(undefined, bytes('6')))!)).toBe(true)
  })

  test('a registry writer schema of debezium events evolves the table to the after image', () => {
    const after = { type: 'struct' as const, fields: [{ id: 1, name: 'id', required: true, type: 'long' as const }] }
    const envelope = { type: 'struct' as const, fields: [{ id: 2, name: 'before', required: false, type: after }, { id: 3, name: 'after', required: false, type: after }, { id: 4, name: 'op', required: true, type: 'string' as const }] }
    expect(intake('none', 'debezium').rowFields(envelope)).toBe(after)
    expect(intake('none', 'none').rowFields(envelope)).toBe(envelope)
  })
})
