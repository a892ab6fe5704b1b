/**
 * Avro writer schemas: the Iceberg types they map to, and payloads written by an independent encoder
 * (avsc) read back into records that the record coercer turns into the expected row values.
 */
import { describe, expect, test } from 'bun:test'
import avro from 'avsc'
import { createByteWriter, writeLong, written } from '../../src/avro/byte-writer.ts'
import type { Schema } from '../../src/iceberg/types.ts'
import { createRecordCoercer } from '../../src/records/coerce.ts'
import { avroWriterSchema } from '../../src/schema-registry/avro-format.ts'
import type { ReadResult } from '../../src/schema-registry/writer-schema.ts'

const ORDER = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'qty', type: 'int' },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
    { name: 'weight', type: { type: 'fixed', name: 'W', size: 4, logicalType: 'decimal', precision: 6, scale: 3 } },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'at_ms', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'at_us', type: ['null', { type: 'long', logicalType: 'timestamp-micros' }] },
    { name: 'local_us', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
    { name: 'local_ms', type: { type: 'long', logicalType: 'local-timestamp-millis' } },
    { name: 'clock_ms', type: { type: 'int', logicalType: 'time-millis' } },
    { name: 'clock_us', type: { type: 'long', logicalType: 'time-micros' } },
    { name: 'ref', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: ['null', 'double'] } },
    { name: 'blob', type: 'bytes' },
    { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 2 } },
    { name: 'ok', type: 'boolean' },
    { name: 'ratio', type: 'float' },
    { name: 'address', type: ['null', { type: 'record', name: 'Address', fields: [{ name: 'city', type: 'string' }, { name: 'zip', type: ['string', 'null'] }] }], default: null },
  ],
}

function unscaled(value: bigint, size?: number): Buffer {
  const bytes: number[] = []
  let rest = value
  do {
    bytes.unshift(Number(BigInt.asUintN(8, rest)))
    rest >>= 8n
  } while (rest !== 0n && rest !== -1n)
  // keep the sign bit right
  if ((value < 0n) !== ((bytes[0]! & 0x80) !== 0)) bytes.unshift(value < 0n ? 0xff : 0)
  while (size !== undefined && bytes.length < size) bytes.unshift(value < 0n ? 0xff : 0)
  return Buffer.from(bytes)
}

const sample = {
  id: 9_007_199_254_740_000,
  qty: -3,
  note: { string: 'gift' },
  price: unscaled(-123_45n),
  weight: unscaled(1_500n, 4),
  day: 19_723, // 2024-01-01
  at_ms: 1_704_067_200_123,
  at_us: { long: 1_704_067_200_123_456 },
  local_us: 1_704_067_200_000_001,
  local_ms: 1_704_067_200_500,
  clock_ms: 3_600_000,
  clock_us: 3_600_000_001,
  ref: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
  status: 'PAID',
  tags: ['a', 'b'],
  // An own key named __proto__ (an object literal would set the prototype instead).
  attrs: JSON.parse('{"x": {"double": 1.5}, "__proto__": null}') as Record<string, unknown>,
  blob: Buffer.from([1, 2, 3]),
  hash: Buffer.from([0xff, 0x00]),
  ok: true,
  ratio: 0.5,
  address: { 'shop.Address': { city: 'Oslo', zip: null } },
}

function read(schema: unknown, value: unknown): ReadResult {
  const payload = avro.Type.forSchema(schema as avro.Schema, { wrapUnions: true }).toBuffer(value)
  return avroWriterSchema(7, JSON.stringify(schema)).read(new Uint8Array(payload))
}

describe('Avro writer schema → Iceberg types', () => {
  test('records, unions with null, collections and every logical type map to their Iceberg types', () => {
    const result = read(ORDER, sample)
    if (!result.ok) throw new Error(result.reason)
    const types = Object.fromEntries(result.writer.fields.fields.map((field) => [field.name, [field.type, field.required]]))
    expect(types).toEqual({
      id: ['long', true],
      qty: ['int', true],
      note: ['string', false],
      price: ['decimal(9,2)', true],
      weight: ['decimal(6,3)', true],
      day: ['date', true],
      at_ms: ['timestamptz', true],
      at_us: ['timestamptz', false],
      local_us: ['timestamp', true],
      local_ms: ['timestamp', true],
      clock_ms: ['time', true],
      clock_us: ['time', true],
      ref: ['uuid', true],
      status: ['string', true],
      tags: [{ type: 'list', 'element-id': expect.any(Number), element: 'string', 'element-required': true }, true],
      attrs: [{ type: 'map', 'key-id': expect.any(Number), key: 'string', 'value-id': expect.any(Number), value: 'double', 'value-required': false }, true],
      blob: ['binary', true],
      hash: ['fixed[2]', true],
      ok: ['boolean', true],
      ratio: ['float', true],
      address: [{ type: 'struct', fields: [expect.objectContaining({ name: 'city', type: 'string', required: true }), expect.objectContaining({ name: 'zip', type: 'string', required: false })] }, false],
    })
    expect(result.writer.key).toBe('7')
    // Placeholder ids: unique, so the struct is a valid Iceberg type; the table assigns its own.
    const ids = JSON.stringify(result.writer.fields).match(/"(?:id|element-id|key-id|value-id)":\d+/g)!.map((m) => Number(m.split(':')[1]))
    expect(new Set(ids).size).toBe(ids.length)
  })

  test('decoded values are what the coercer reads as the mapped types', () => {
    const result = read(ORDER, sample)
    if (!result.ok) throw new Error(result.reason)
    const coerce = createRecordCoercer({ ...result.writer.fields, 'schema-id': 0 } as Schema)
    const coerced = coerce(result.record)
    if (!coerced.ok) throw new Error(coerced.reason)
    expect(coerced.row).toEqual({
      id: 9_007_199_254_740_000n,
      qty: -3,
      note: 'gift',
      price: -12345n,
      weight: 1500n,
      day: 19_723,
      at_ms: 1_704_067_200_123_000n,
      at_us: 1_704_067_200_123_456n,
      local_us: 1_704_067_200_000_001n,
      local_ms: 1_704_067_200_500_000n,
      clock_ms: 3_600_000_000n,
      clock_us: 3_600_000_001n,
      ref: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      status: 'PAID',
      tags: ['a', 'b'],
      attrs: new Map<string, number | null>([['x', 1.5], ['__proto__', null]]),
      blob: new Uint8Array([1, 2, 3]),
      hash: new Uint8Array([0xff, 0x00]),
      ok: true,
      ratio: 0.5,
      address: { city: 'Oslo', zip: null },
    })
  })

  test('longs beyond 2^53 stay exact (bigint), which avsc cannot even write', () => {
    const schema = { type: 'record', name: 'Big', fields: [{ name: 'n', type: 'long' }] }
    const w = createByteWriter()
    writeLong(w, 9_223_372_036_854_775_807n)
    const result = avroWriterSchema(1, JSON.stringify(schema)).read(written(w))
    expect(result).toEqual({ ok: true, record: { n: 9_223_372_036_854_775_807n }, writer: expect.anything() })
  })

  test("Iceberg's own adjust-to-utc: false makes timestamp-micros a local timestamp; nanoseconds stay for the coercer to refuse", () => {
    const schema = {
      type: 'record',
      name: 'T',
      fields: [
        { name: 'local', type: { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false } },
        { name: 'ns', type: { type: 'long', logicalType: 'timestamp-nanos' } },
      ],
    }
    const result = read(schema, { local: 0, ns: 1_500 })
    if (!result.ok) throw new Error(result.reason)
    expect(result.writer.fields.fields.map((f) => f.type)).toEqual(['timestamp', 'timestamptz'])
    expect(result.record).toEqual({ local: '1970-01-01T00:00:00', ns: '1970-01-01T00:00:00.000001500Z' })
    const coerced = createRecordCoercer({ ...result.writer.fields, 'schema-id': 0 } as Schema)(result.record)
    expect(coerced).toEqual({ ok: false, reason: expect.stringContaining('finer than microseconds') })
  })

  test('schemas with no Iceberg equivalent are refused, naming the field', () => {
    const union = { type: 'record', name: 'U', fields: [{ name: 'v', type: ['int', 'string'] }] }
    expect(() => avroWriterSchema(3, JSON.stringify(union))).toThrow('field "v": a union of int, string has no Iceberg type')
    const recursive = { type: 'record', name: 'Node', fields: [{ name: 'next', type: ['null', 'Node'] }] }
    expect(() => avroWriterSchema(3, JSON.stringify(recursive))).toThrow('field "next": record Node contains itself')
    expect(() => avroWriterSchema(3, '"string"')).toThrow('schema id 3 is not an Avro record')
    const wide = { type: 'record', name: 'D', fields: [{ name: 'd', type: { type: 'bytes', logicalType: 'decimal', precision: 40, scale: 0 } }] }
    expect(() => avroWriterSchema(3, JSON.stringify(wide))).toThrow('field "d": decimal precision 40 is outside 1..38')
  })

  test('payloads that do not fit the schema are reasons, never exceptions', () => {
    const writer = avroWriterSchema(5, JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 's', type: 'string' }] }))
    expect(writer.read(new Uint8Array([10, 0x61]))).toEqual({ ok: false, reason: expect.stringContaining('Avro payload does not decode with schema id 5') })
    expect(writer.read(new Uint8Array([2, 0x61, 0x62]))).toEqual({ ok: false, reason: 'Avro payload has 1 bytes left after a record of schema id 5 (written with another schema?)' })
    expect(writer.read(new Uint8Array([2, 0xff]))).toEqual({ ok: false, reason: expect.stringContaining('not valid UTF-8') })
  })
})
