/** Our Avro container files against an independent implementation (Python fastavro), both directions. */
import { describe, expect, test } from 'bun:test'
import { readContainer, writeContainer } from '../../src/avro/container.ts'
import type { AvroRecord, AvroValue } from '../../src/avro/schema.ts'
import { fastavroRead, fastavroWrite, normalize, recordFields, tag } from './fastavro.ts'

const schema: AvroRecord = {
  type: 'record',
  name: 'everything',
  fields: [
    { name: 'b', type: 'boolean', 'field-id': 1 },
    { name: 'i', type: 'int', 'field-id': 2 },
    { name: 'l', type: 'long', 'field-id': 3 },
    { name: 'f', type: 'float', 'field-id': 4 },
    { name: 'd', type: 'double', 'field-id': 5 },
    { name: 'by', type: 'bytes', 'field-id': 6 },
    { name: 's', type: 'string', 'field-id': 7 },
    { name: 'fx', type: { type: 'fixed', name: 'f3', size: 3 }, 'field-id': 8 },
    { name: 'e', type: { type: 'enum', name: 'color', symbols: ['RED', 'GREEN'] }, 'field-id': 9 },
    { name: 'opt', type: ['null', 'long'], default: null, 'field-id': 10 },
    { name: 'arr', type: { type: 'array', items: ['null', 'int'], 'element-id': 12 }, 'field-id': 11 },
    { name: 'm', type: { type: 'map', values: 'double', 'key-id': 14, 'value-id': 15 }, 'field-id': 13 },
    {
      name: 'kv',
      type: { type: 'array', logicalType: 'map', items: { type: 'record', name: 'k17_v18', fields: [{ name: 'key', type: 'int', 'field-id': 17 }, { name: 'value', type: 'bytes', 'field-id': 18 }] } },
      'field-id': 16,
    },
  ],
}

const LONGS = [0n, 1n, -1n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 1885989861900109568n]

const records: AvroValue[] = LONGS.map((l, i) => ({
  b: i % 2 === 0,
  i: i % 2 ? 2147483647 - i : -2147483648 + i,
  l,
  f: i === 3 ? Number.NaN : 0.5 + i,
  d: [Math.PI, -0, 1e300, -Infinity, Number.NaN, 2 ** -1074][i % 6]!,
  by: new Uint8Array([i, 255 - i, 0]),
  s: ['', 'zé', '😀', 'plain', '日本'][i % 5]!,
  fx: new Uint8Array([i, i + 1, i + 2]),
  e: i % 2 ? 'GREEN' : 'RED',
  opt: i % 3 === 0 ? null : l === -(2n ** 63n) ? l : -l,
  arr: i % 4 === 0 ? [] : [1, null, -i],
  m: i % 2 ? new Map([['x', 1.25], ['é', -i]]) : new Map(),
  kv: [{ key: i, value: new Uint8Array([i]) }],
}))

describe('fastavro reads what we write', () => {
  for (const codec of ['null', 'deflate'] as const) {
    test(`every type, 64-bit extremes, several blocks (${codec})`, async () => {
      const bytes = await writeContainer(records, { schema, codec, blockRecords: 4, metadata: { 'snapshot-id': '9223372036854775807' } })
      const file = await fastavroRead(bytes)
      expect(file.codec).toBe(codec)
      expect(file.metadata['snapshot-id']).toBe('9223372036854775807')
      expect(normalize(file.records)).toEqual(normalize(records))
      // fastavro's parsed writer schema still carries every Iceberg id.
      const fields = recordFields(file.writer_schema)
      expect(fields.filter(({ field }) => typeof field['field-id'] !== 'number').map((f) => f.path)).toEqual([])
      expect(fields.map(({ field }) => field['field-id'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 16, 17, 18])
      const raw = JSON.parse(file.metadata['avro.schema']!)
      expect(raw.fields[10].type['element-id']).toBe(12)
      expect(raw.fields[11].type['key-id']).toBe(14)
      expect(raw.fields[11].type['value-id']).toBe(15)
    })
  }
})

describe('we read what fastavro writes', () => {
  for (const codec of ['null', 'deflate'] as const) {
    // fastavro's deflate blocks end with 3 stray bytes of a zlib trailer: this covers reading them.
    test(`every type, 64-bit extremes (${codec})`, async () => {
      const bytes = await fastavroWrite({ schema, records: records.map(tag), codec, metadata: { 'format-version': '2' } })
      const file = await readContainer(bytes)
      expect(file.codec).toBe(codec)
      expect(file.metadata['format-version']).toBe('2')
      expect(normalize(file.records)).toEqual(normalize(records))
      expect((file.records[7] as { l: bigint }).l).toBe(2n ** 63n - 1n)
      expect(recordFields(file.schema).map(({ field }) => field['field-id'])).toContain(18)
    })
  }
})
