import { describe, expect, test } from 'bun:test'
import { ValidationError } from '../../src/errors.ts'
import type { Row, Schema } from '../../src/iceberg/types.ts'
import { estimateRowBytes, parquetSchemaFor } from '../../src/parquet/data-file.ts'
import { decimalRequiredBytes } from '../../src/iceberg/big-endian.ts'
import { leafColumns } from '../../src/parquet/schema.ts'
import { allTypesSchema } from './all-types.ts'

describe('parquetSchemaFor', () => {
  test('fixed decimals use the fewest bytes that hold P digits (Java TypeUtil.decimalRequiredBytes)', () => {
    const expected: [number, number][] = [[1, 1], [2, 1], [3, 2], [4, 2], [5, 3], [7, 4], [9, 4], [10, 5], [18, 8], [19, 9], [20, 9], [28, 12], [38, 16]]
    expect(expected.map(([p]) => [p, decimalRequiredBytes(p)])).toEqual(expected)
    const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'd', required: true, type: 'decimal(19, 0)' as 'decimal(19,0)' }] }
    expect(parquetSchemaFor(schema)[1]).toMatchObject({ type: 'FIXED_LEN_BYTE_ARRAY', type_length: 9, precision: 19, scale: 0 })
  })

  test('unknown type strings are rejected by name', () => {
    const schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'v', required: true, type: 'geometry' }] } as unknown as Schema
    expect(() => parquetSchemaFor(schema)).toThrow(ValidationError)
    expect(() => parquetSchemaFor(schema)).toThrow(/"geometry"/)
  })

  test('leaf columns in Parquet order; list/map leaves keep no metrics', () => {
    const leaves = leafColumns(allTypesSchema)
    expect(leaves.map((l) => l.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 21, 23, 25, 26, 29])
    expect(leaves.filter((l) => !l.metrics).map((l) => l.path.join('.'))).toEqual([
      'tags.list.element', 'attrs.key_value.key', 'attrs.key_value.value', 'points.list.element.a',
    ])
  })
})

describe('estimateRowBytes', () => {
  test('fixed widths, strings and binary with a length prefix, nested values summed, nulls free', () => {
    const row: Row = {
      b: true, i: 1, l: 1n, f: 1, d: 1, dec9: 1n, dec18: 1n, dec38: 1n, dt: 1, tm: 1n, ts: 1n, tstz: 1n,
      s: 'hello', u: 'f79c3e09-677c-4bbd-a479-3f349cb785e7', fx: new Uint8Array(4), bin: new Uint8Array(10),
      st: { x: 1, y: 'ab', inner: null }, tags: [1n, null, 2n], attrs: new Map([['k', 1.5]]), points: [{ a: 1 }],
    }
    const primitives = 1 + 4 + 8 + 4 + 8 + 4 + 8 + 16 + 4 + 8 + 8 + 8 + (4 + 5) + 16 + 4 + (4 + 10)
    const nested = (4 + (4 + 2)) + (8 + 8) + ((4 + 1) + 8) + 4
    expect(estimateRowBytes(allTypesSchema, row)).toBe(primitives + nested)
    expect(estimateRowBytes(allTypesSchema, { i: 1, points: [] })).toBe(4)
  })
})
