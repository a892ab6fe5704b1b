/**
 * The format v3 column types in Parquet: timestamp_ns / timestamptz_ns as INT64 TIMESTAMP(NANOS), variant as an
 * unshredded VARIANT group (metadata + value binaries). Read back here with hyparquet, an independent decoder of the
 * variant encoding; test/e2e/format-v3.test.ts has Iceberg Java read the same through a table.
 */
import { describe, expect, test } from 'bun:test'
import { parquetReadObjects } from 'hyparquet'
import type { Schema } from '../../src/iceberg/types.ts'
import { writeDataFile } from '../../src/parquet/data-file.ts'
import { leafColumns, parquetSchemaFor } from '../../src/parquet/schema.ts'
import { arrayBufferOf, metadataOf } from './read-back.ts'

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'at', required: false, type: 'timestamp_ns' },
    { id: 3, name: 'at_tz', required: true, type: 'timestamptz_ns' },
    { id: 4, name: 'body', required: false, type: 'variant' },
  ],
}

describe('v3 types in Parquet', () => {
  test('schema: NANOS timestamps, and variant as a VARIANT group with field id over two required binaries', () => {
    const elements = parquetSchemaFor(schema)
    expect(elements.find((e) => e.name === 'at')).toMatchObject({ type: 'INT64', field_id: 2, logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'NANOS' } })
    expect(elements.find((e) => e.name === 'at_tz')).toMatchObject({ logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' } })
    const at = elements.findIndex((e) => e.name === 'body')
    expect(elements.slice(at, at + 3)).toEqual([
      { name: 'body', repetition_type: 'OPTIONAL', field_id: 4, num_children: 2, logical_type: { type: 'VARIANT' } },
      { name: 'metadata', repetition_type: 'REQUIRED', type: 'BYTE_ARRAY' },
      { name: 'value', repetition_type: 'REQUIRED', type: 'BYTE_ARRAY' },
    ])
    // the variant's binaries are no Iceberg fields: no metrics for them
    expect(leafColumns(schema).map((l) => l.id)).toEqual([1, 2, 3])
  })

  test('values round-trip: nanoseconds exact, variant objects / arrays / scalars / nested nulls; a null row is null', async () => {
    const body = [
      { user: { id: 7, name: 'zoé' }, tags: ['a', 'b'], score: 1.5, ok: true, none: null },
      [1, 'two', { three: 3 }],
      'just text that is longer than sixty-three bytes so it is not a short string at all...',
      null,
      2n ** 40n,
    ]
    const rows = body.map((b, i) => ({ id: BigInt(i), at: 1_700_000_000_123_456_789n + BigInt(i), at_tz: -1n - BigInt(i), body: b }))
    const { bytes, metrics } = writeDataFile({ schema, rows })
    const meta = metadataOf(bytes)
    expect(meta.schema.find((e) => e.name === 'body')?.logical_type).toEqual({ type: 'VARIANT' })
    const read = await parquetReadObjects({ file: arrayBufferOf(bytes), parsers: { timestampFromNanoseconds: (v: bigint) => v } as never })
    expect(read.map((r) => r.at)).toEqual(rows.map((r) => r.at))
    expect(read.map((r) => r.at_tz)).toEqual(rows.map((r) => r.at_tz))
    expect(read.map((r) => r.body ?? null)).toEqual([body[0], body[1], body[2], null, 2n ** 40n])
    // bounds for the nanosecond columns are 8-byte longs, as for micros
    expect(metrics['lower-bounds']!.get(2)!.length).toBe(8)
    expect(metrics['null-value-counts']!.has(4)).toBe(false)
  })

  test('a required variant cannot be null, and a nested variant is refused by name', () => {
    const required: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'v', required: true, type: 'variant' }] }
    expect(() => writeDataFile({ schema: required, rows: [{ v: null }] })).toThrow(/field v \(id 1\) is required but null/)
    const nested: Schema = {
      type: 'struct',
      'schema-id': 0,
      fields: [{ id: 1, name: 's', required: false, type: { type: 'struct', fields: [{ id: 2, name: 'v', required: false, type: 'variant' }] } }],
    }
    expect(() => parquetSchemaFor(nested)).toThrow(/variant field s\.v \(id 2\) is nested/)
  })
})
