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

  test('bytes that are not Parquet are refused', async () => {
    await expect(readParquetColumns(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), [])).rejects.toThrow()
  })
})
