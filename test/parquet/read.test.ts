/** The one Parquet reader: columns by field id in request order, nulls for what a file lacks, names only when asked. */
import { describe, expect, test } from 'bun:test'
import { parquetWriteBuffer } from 'hyparquet-writer'
import type { NestedField, Schema } from '../../src/iceberg/types.ts'
import { writeDataFile } from '../../src/parquet/data-file.ts'
import { readParquetColumns } from '../../src/parquet/read.ts'

describe('readParquetColumns', () => {
  test('columns come back in request order, matched by field id; a field the file lacks is all null', async () => {
    const schema: Schema = {
      type: 'struct',
      'schema-id': 0,
      fields: [{ id: 1, name: 'id', required: true, type: 'long' }, { id: 2, name: 'amount', required: false, type: 'decimal(20,2)' }],
    }
    const { bytes } = writeDataFile({ schema, rows: [{ id: 1n, amount: -(10n ** 19n) }, { id: 2n, amount: null }] })
    const fields: NestedField[] = [
      { id: 3, name: 'added', required: false, type: 'string' },
      { id: 2, name: 'renamed', required: false, type: 'decimal(20,2)' },
      { id: 1, name: 'id', required: true, type: 'long' },
    ]
    expect(await readParquetColumns(bytes, fields)).toEqual({ rowCount: 2, columns: [[null, null], [-(10n ** 19n), null], [1n, 2n]] })
  })

  test('a file without field ids reads as nulls unless names are asked for', async () => {
    const bytes = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'n', data: [7, 8], type: 'INT32' }] }))
    const fields: NestedField[] = [{ id: 1, name: 'n', required: false, type: 'int' }]
    expect((await readParquetColumns(bytes, fields)).columns).toEqual([[null, null]])
    expect((await readParquetColumns(bytes, fields, { namesWithoutIds: true })).columns).toEqual([[7, 8]])
  })

  test('timestamps come back in the reading type\'s unit: nanoseconds exact for timestamp_ns, floored to µs for timestamp', async () => {
    const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'at', required: false, type: 'timestamp_ns' }] }
    const { bytes } = writeDataFile({ schema, rows: [{ at: 1_700_000_000_123_456_789n }, { at: -1n }, { at: null }] })
    expect((await readParquetColumns(bytes, schema.fields)).columns).toEqual([[1_700_000_000_123_456_789n, -1n, null]])
    const asMicros: NestedField[] = [{ id: 1, name: 'at', required: false, type: 'timestamp' }]
    expect((await readParquetColumns(bytes, asMicros)).columns).toEqual([[1_700_000_000_123_456n, -1n, null]])
    const micros: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'at', required: false, type: 'timestamptz' }] }
    const microBytes = writeDataFile({ schema: micros, rows: [{ at: 5n }] }).bytes
    expect((await readParquetColumns(microBytes, micros.fields)).columns).toEqual([[5n]])
    expect((await readParquetColumns(microBytes, [{ id: 1, name: 'at', required: false, type: 'timestamptz_ns' }])).columns).toEqual([[5000n]])
  })

  test('bytes that are not Parquet are refused', async () => {
    await expect(readParquetColumns(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), [])).rejects.toThrow()
  })
})
