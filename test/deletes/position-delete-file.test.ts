import { describe, expect, test } from 'bun:test'
import { DELETE_FILE_PATH_ID, DELETE_FILE_POS_ID, encodePositionDeleteFile, readPositionDeleteFile } from '../../src/deletes/position-delete-file.ts'
import { readParquetColumns } from '../../src/parquet/read.ts'
import { POSITION_DELETE_SCHEMA } from '../../src/deletes/position-delete-file.ts'

const decoder = new TextDecoder()

describe('position-delete files', () => {
  test('rows sorted by file_path (bytes) then pos, reserved field ids, full-path bounds', async () => {
    const long = `s3://bucket/warehouse/db/table/data/${'x'.repeat(40)}`
    const { bytes, metrics } = encodePositionDeleteFile([
      { dataFile: `${long}/b.parquet`, positions: [5, 9] },
      { dataFile: `${long}/a.parquet`, positions: [0, 1000000] },
      { dataFile: `${long}/empty.parquet`, positions: [] },
    ])
    const read = await readParquetColumns(bytes, POSITION_DELETE_SCHEMA.fields)
    expect(read.columns[0]).toEqual([`${long}/a.parquet`, `${long}/a.parquet`, `${long}/b.parquet`, `${long}/b.parquet`])
    expect(read.columns[1]).toEqual([0n, 1000000n, 5n, 9n])
    expect(metrics['record-count']).toBe(4)
    // Not truncated to 16 characters like data-file string bounds: a reader can tell exactly which files it covers.
    expect(decoder.decode(metrics['lower-bounds']!.get(DELETE_FILE_PATH_ID))).toBe(`${long}/a.parquet`)
    expect(decoder.decode(metrics['upper-bounds']!.get(DELETE_FILE_PATH_ID))).toBe(`${long}/b.parquet`)
    expect(metrics['lower-bounds']!.has(DELETE_FILE_POS_ID)).toBe(true)
    expect(Object.fromEntries(await readPositionDeleteFile(bytes, 'f'))).toEqual({ [`${long}/a.parquet`]: [0, 1000000], [`${long}/b.parquet`]: [5, 9] })
  })

  test('no positions at all is refused; a file that is not Parquet is named', async () => {
    expect(() => encodePositionDeleteFile([{ dataFile: 'x', positions: [] }])).toThrow(/at least one deleted position/)
    await expect(readPositionDeleteFile(Uint8Array.of(1, 2, 3), 's3://b/d.parquet')).rejects.toThrow(/cannot read position-delete file s3:\/\/b\/d.parquet/)
  })
})
