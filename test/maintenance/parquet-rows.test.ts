/** Parquet → canonical values: every type round-trips through writeDataFile; columns resolve by field id; the digest sees any change. */
import { describe, expect, test } from 'bun:test'
import type { Row, Schema } from '../../src/iceberg/types.ts'
import { digestColumns, emptyDigest, readDataFileColumns, sameDigest } from '../../src/maintenance/parquet-rows.ts'
import { writeDataFile } from '../../src/parquet/data-file.ts'
import { zstdCompress } from '../../src/adapter/bun/zstd.ts'
import { allTypesRows, allTypesSchema } from '../parquet/all-types.ts'

function rowsOf(columns: Record<string, unknown[]>, count: number, schema: Schema): Row[] {
  return Array.from({ length: count }, (_, i) => Object.fromEntries(schema.fields.map((f) => [f.name, columns[f.name]![i]])) as Row)
}

/** The canonical form a missing optional value reads back as. */
function withNulls(row: Row, schema: Schema): Row {
  return Object.fromEntries(schema.fields.map((f) => [f.name, row[f.name] ?? null])) as Row
}

describe('readDataFileColumns', () => {
  test('every Iceberg type reads back in canonical form, and survives a second rewrite byte-for-value', async () => {
    const rows = allTypesRows()
    const { bytes } = writeDataFile({ schema: allTypesSchema, rows })
    const read = await readDataFileColumns(bytes, allTypesSchema, 'mem://a.parquet')
    expect(read.rowCount).toBe(rows.length)
    const back = rowsOf(read.columns, read.rowCount, allTypesSchema)
    // Structs read back with every field present (null when absent).
    const st = (v: unknown) => (v == null ? null : { x: (v as Row).x, y: (v as Row).y ?? null, inner: (v as Row).inner == null ? null : { z: ((v as Row).inner as Row).z ?? null } })
    expect(back).toEqual(rows.map((r) => ({ ...withNulls(r, allTypesSchema), st: st(r.st) })))
    const again = writeDataFile({ schema: allTypesSchema, columns: read.columns, rowCount: read.rowCount })
    const reread = await readDataFileColumns(again.bytes, allTypesSchema, 'mem://b.parquet')
    expect(sameDigest(digestColumns(emptyDigest(), allTypesSchema, read), digestColumns(emptyDigest(), allTypesSchema, reread))).toBe(true)
  })

  test('zstd files need the host decompressor', async () => {
    const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'a', required: false, type: 'string' }] }
    const { bytes } = writeDataFile({ schema, rows: [{ a: 'x' }], compression: 'zstd', compressors: { zstd: zstdCompress } })
    await expect(readDataFileColumns(bytes, schema, 'mem://z.parquet')).rejects.toMatchObject({ code: 'UNREADABLE_DATA_FILE' })
    const read = await readDataFileColumns(bytes, schema, 'mem://z.parquet', { ZSTD: (input) => Bun.zstdDecompressSync(input) })
    expect(read.columns.a).toEqual(['x'])
  })

  test('columns resolve by field id: a renamed column reads, a new column is null', async () => {
    const old: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }, { id: 2, name: 'name', required: false, type: 'string' }] }
    const current: Schema = {
      type: 'struct',
      'schema-id': 1,
      fields: [
        { id: 1, name: 'id', required: true, type: 'long' },
        { id: 2, name: 'label', required: false, type: 'string' },
        { id: 3, name: 'extra', required: false, type: 'double' },
      ],
    }
    const { bytes } = writeDataFile({ schema: old, rows: [{ id: 1n, name: 'a' }, { id: 2n, name: null }] })
    const read = await readDataFileColumns(bytes, current, 'mem://old.parquet')
    expect(read.columns).toEqual({ id: [1n, 2n], label: ['a', null], extra: [null, null] })
  })

  test('the digest ignores row order and file split, and sees a changed value', () => {
    const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'a', required: false, type: 'long' }, { id: 2, name: 'b', required: false, type: 'double' }] }
    const all = emptyDigest()
    digestColumns(all, schema, { columns: { a: [1n, 2n, 3n], b: [0.5, -0, null] }, rowCount: 3 })
    const split = emptyDigest()
    digestColumns(split, schema, { columns: { a: [3n], b: [null] }, rowCount: 1 })
    digestColumns(split, schema, { columns: { a: [2n, 1n], b: [-0, 0.5] }, rowCount: 2 })
    expect(sameDigest(all, split)).toBe(true)
    const changed = digestColumns(emptyDigest(), schema, { columns: { a: [1n, 2n, 3n], b: [0.5, 0, null] }, rowCount: 3 })
    expect(sameDigest(all, changed)).toBe(false)
  })
})
