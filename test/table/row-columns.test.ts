/** RowColumns: rows held as typed columns and dictionaries, read back exactly, falling back to plain values where a value does not fit. */
import { describe, expect, test } from 'bun:test'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import type { Row } from '../../src/iceberg/types.ts'
import { appendUnpacked, packColumns, type PackedColumn } from '../../src/table/column-transfer.ts'
import { RowColumns } from '../../src/table/row-columns.ts'

const schema = parseSchemaDsl('id long not null, sensor string, reading double, day date, ts timestamp, tags list<string>, ok boolean')
const row = (i: number): Row => ({
  id: BigInt(i),
  sensor: i % 3 ? `s${i % 3}` : null,
  reading: i % 4 ? i / 4 : null,
  day: 20_000 + i,
  ts: i % 5 ? 1_767_225_600_000_000n + BigInt(i) : null,
  tags: i % 2 ? [`t${i}`] : null,
  ok: i % 2 === 0,
})

const unpack = (columns: PackedColumn[]) => columns.map((column) => {
  const out: unknown[] = []
  appendUnpacked(out, column)
  return out
})

describe('RowColumns', () => {
  test('rows come back as they went in, past several growths; kinds follow the types; select keeps the chosen rows in order', () => {
    const columns = new RowColumns(schema, 4)
    const rows = Array.from({ length: 3_000 }, (_, i) => row(i))
    for (const r of rows) columns.push(r)
    expect(columns.length).toBe(3_000)
    expect(columns.toRows()).toEqual(rows)
    expect(columns.pack().columns.map((c) => c.kind)).toEqual(['i64', 'dict', 'f64', 'i32', 'i64', 'values', 'values'])
    expect(columns.select([2_999, 7, 0]).toRows()).toEqual([rows[2_999]!, rows[7]!, rows[0]!])
    // A missing key reads back as null, as the writer treats it.
    const sparse = new RowColumns(schema)
    sparse.push({ id: 1n })
    expect(sparse.row(0)).toEqual({ id: 1n, sensor: null, reading: null, day: null, ts: null, tags: null, ok: null })
  })

  test('pack(start, end) slices every column (nulls included), and plainColumns is the same values unpacked', () => {
    const columns = new RowColumns(schema)
    for (let i = 0; i < 100; i++) columns.push(row(i))
    const { columns: packed, transfer } = columns.pack(10, 30)
    const expected = Array.from({ length: 20 }, (_, k) => row(10 + k))
    expect(unpack(packed)).toEqual(schema.fields.map((f) => expected.map((r) => r[f.name] ?? null)))
    // Five typed columns and two null masks (reading, ts) are handed over as buffers of their own.
    expect(transfer.length).toBe(7)
    expect(columns.plainColumns()).toEqual(schema.fields.map((f) => Array.from({ length: 100 }, (_, i) => row(i)[f.name] ?? null)))
  })

  test('a value that does not fit its typed column turns that column to plain values, keeping every earlier value', () => {
    const columns = new RowColumns(schema)
    columns.push(row(1))
    columns.push({ ...row(2), id: 'not a long' as never, reading: 'x' as never })
    columns.push({ ...row(3), id: 2n ** 63n, day: 1.5 })
    columns.push(row(4))
    expect(columns.pack().columns.map((c) => c.kind)).toEqual(['values', 'dict', 'values', 'values', 'i64', 'values', 'values'])
    expect(columns.toRows()).toEqual([row(1), { ...row(2), id: 'not a long' as never, reading: 'x' as never }, { ...row(3), id: 2n ** 63n, day: 1.5 }, row(4)])
  })

  test('a string column with more distinct values than a dictionary holds becomes plain values', () => {
    const columns = new RowColumns(parseSchemaDsl('s string'))
    for (let i = 0; i < 5_000; i++) columns.push({ s: `v${i}` })
    expect(columns.pack().columns[0]!.kind).toBe('values')
    expect(columns.row(4_999)).toEqual({ s: 'v4999' })
    expect(columns.row(0)).toEqual({ s: 'v0' })
  })

  test('overheadBytes counts the used part of each column: nothing for an empty batch', () => {
    const columns = new RowColumns(schema)
    expect(columns.overheadBytes()).toBe(0)
    for (let i = 0; i < 10; i++) columns.push(row(i))
    // long 8 + code 4 (+ 2 names × 64) + double 8 + nulls 1 + date 4 + timestamp 8 + nulls 1 + two plain columns 2 × 40
    expect(columns.overheadBytes()).toBe(10 * (8 + 4 + 8 + 1 + 4 + 8 + 1 + 80) + 2 * 64)
  })
})

describe('packColumns (rows → packed columns)', () => {
  test('the same values as the rows, typed where they fit, plain where one does not', () => {
    const rows = Array.from({ length: 50 }, (_, i) => row(i))
    const { columns } = packColumns(schema, rows, 5, 45)
    expect(columns.map((c) => c.kind)).toEqual(['i64', 'dict', 'f64', 'i32', 'i64', 'values', 'values'])
    expect(unpack(columns)).toEqual(schema.fields.map((f) => rows.slice(5, 45).map((r) => r[f.name] ?? null)))
    const bad = packColumns(schema, [row(1), { ...row(2), reading: 'x' as never }])
    expect(bad.columns[2]).toEqual({ kind: 'values', values: [0.25, 'x'] })
  })
})
