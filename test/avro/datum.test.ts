import { describe, expect, test } from 'bun:test'
import { createCursor } from '../../src/avro/byte-reader.ts'
import { createByteWriter, written } from '../../src/avro/byte-writer.ts'
import { readDatum } from '../../src/avro/decoder.ts'
import { writeDatum } from '../../src/avro/encoder.ts'
import type { AvroSchema, AvroValue } from '../../src/avro/schema.ts'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

function encode(schema: AvroSchema, value: AvroValue | undefined): Uint8Array {
  const w = createByteWriter(8)
  writeDatum(w, schema, value)
  return written(w).slice()
}

function roundTrip(schema: AvroSchema, value: AvroValue): AvroValue {
  const bytes = encode(schema, value)
  const c = createCursor(bytes)
  const back = readDatum(c, schema)
  expect(c.pos).toBe(bytes.length)
  return back
}

describe('complex types', () => {
  test('record fields are written in schema order with no framing', () => {
    const schema: AvroSchema = { type: 'record', name: 'r', fields: [{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }] }
    expect(hex(encode(schema, { b: 'x', a: 1 }))).toBe('020278')
    expect(roundTrip(schema, { a: -3, b: 'zé' })).toEqual({ a: -3, b: 'zé' })
  })

  test('unions with null pick the branch from the value; a missing field is null', () => {
    const schema: AvroSchema = {
      type: 'record',
      name: 'r',
      fields: [
        { name: 'id', type: ['null', 'long'], default: null },
        { name: 'name', type: ['null', 'string'], default: null },
      ],
    }
    expect(hex(encode(schema, { id: 2n ** 63n - 1n, name: null }))).toBe('02feffffffffffffffff0100')
    expect(hex(encode(schema, {}))).toBe('0000')
    expect(roundTrip(schema, { id: -(2n ** 63n), name: 's' })).toEqual({ id: -(2n ** 63n), name: 's' })
    expect(roundTrip(schema, { id: null, name: null })).toEqual({ id: null, name: null })
  })

  test('a union branch is chosen by kind, not just the first non-null branch', () => {
    const schema: AvroSchema = ['null', 'string', 'long', 'bytes', 'boolean']
    expect(hex(encode(schema, 5n))).toBe('040a')
    expect(hex(encode(schema, true))).toBe('0801')
    expect(roundTrip(schema, new Uint8Array([9]))).toEqual(new Uint8Array([9]))
    expect(roundTrip(schema, 'x')).toBe('x')
  })

  test('arrays are one block then a zero count; empty arrays are a lone zero', () => {
    const schema: AvroSchema = { type: 'array', items: 'long' }
    expect(hex(encode(schema, [1n, -1n, 3n]))).toBe('06020106' + '00')
    expect(hex(encode(schema, []))).toBe('00')
    expect(roundTrip(schema, [])).toEqual([])
    const big = Array.from({ length: 1000 }, (_, i) => BigInt(i) * -7919n)
    expect(roundTrip(schema, big)).toEqual(big)
  })

  test('blocks with negative counts (count, byte size) and several blocks decode', () => {
    // [-2 items, 2 bytes] 1, 2, then [1 item] 3, then end.
    const bytes = new Uint8Array([0x03, 0x04, 0x02, 0x04, 0x02, 0x06, 0x00])
    expect(readDatum(createCursor(bytes), { type: 'array', items: 'long' })).toEqual([1n, 2n, 3n])
    // map block with a negative count: {"a": 1}
    const map = new Uint8Array([0x01, 0x06, 0x02, 0x61, 0x02, 0x00])
    expect(readDatum(createCursor(map), { type: 'map', values: 'int' })).toEqual(new Map([['a', 1]]))
  })

  test('maps keep string keys and value types', () => {
    const schema: AvroSchema = { type: 'map', values: ['null', 'double'] }
    const value = new Map<string, AvroValue>([['x', 1.5], ['é', null], ['', -0]])
    const back = roundTrip(schema, value) as Map<string, AvroValue>
    expect([...back.keys()]).toEqual(['x', 'é', ''])
    expect(back.get('x')).toBe(1.5)
    expect(back.get('é')).toBeNull()
    expect(Object.is(back.get(''), -0)).toBe(true)
    expect(hex(encode(schema, new Map()))).toBe('00')
  })

  test('fixed is raw bytes of exactly its size; enum is an index', () => {
    const fixed: AvroSchema = { type: 'fixed', name: 'f4', size: 4 }
    expect(hex(encode(fixed, new Uint8Array([1, 2, 3, 4])))).toBe('01020304')
    expect(() => encode(fixed, new Uint8Array(3))).toThrow(/fixed\(4\)/)
    const en: AvroSchema = { type: 'enum', name: 'e', symbols: ['A', 'B', 'C'] }
    expect(hex(encode(en, 'C'))).toBe('04')
    expect(roundTrip(en, 'B')).toBe('B')
    expect(() => encode(en, 'D')).toThrow(/enum e/)
  })

  test('nested records, arrays of records and every primitive round-trip', () => {
    const schema: AvroSchema = {
      type: 'record',
      name: 'outer',
      fields: [
        { name: 'b', type: 'boolean' },
        { name: 'i', type: 'int' },
        { name: 'l', type: 'long' },
        { name: 'f', type: 'float' },
        { name: 'd', type: 'double' },
        { name: 'by', type: 'bytes' },
        { name: 's', type: 'string' },
        { name: 'n', type: 'null' },
        {
          name: 'kv',
          type: { type: 'array', logicalType: 'map', items: { type: 'record', name: 'k1_v2', fields: [{ name: 'key', type: 'int' }, { name: 'value', type: 'bytes' }] } },
        },
        { name: 'inner', type: ['null', { type: 'record', name: 'inner', fields: [{ name: 'x', type: { type: 'array', items: ['null', 'int'] } }] }] },
      ],
    }
    const value = {
      b: true,
      i: -2147483648,
      l: 2n ** 62n,
      f: 0.5,
      d: -1e300,
      by: new Uint8Array([1, 2]),
      s: 'path',
      n: null,
      kv: [{ key: 1, value: new Uint8Array([0xff]) }, { key: 2, value: new Uint8Array(0) }],
      inner: { x: [1, null, -1] },
    }
    expect(roundTrip(schema, value)).toEqual(value)
  })
})

describe('errors', () => {
  test('a value of the wrong kind names the field path', () => {
    const schema: AvroSchema = {
      type: 'record',
      name: 'e',
      fields: [{ name: 'data_file', type: { type: 'record', name: 'r2', fields: [{ name: 'record_count', type: 'long' }] } }],
    }
    expect(() => encode(schema, { data_file: { record_count: 'ten' } })).toThrow('data_file.record_count: expected Avro long, got string "ten"')
    expect(() => encode(schema, { data_file: { record_count: 2 ** 60 } })).toThrow(/data_file.record_count: Avro long must be a safe integer/)
    expect(() => encode(schema, {})).toThrow(/data_file: expected Avro record r2, got undefined/)
    expect(() => encode(schema, { data_file: { record_count: 1n } })).not.toThrow()
  })

  test('no matching union branch is an error, not a silent null', () => {
    expect(() => encode(['null', 'long'], 'x')).toThrow(/union of null\|long/)
  })

  test('a union index outside the schema fails to decode', () => {
    expect(() => readDatum(createCursor(new Uint8Array([0x04, 0x00])), ['null', 'long'])).toThrow(/union branch 2 out of 2/)
  })
})
