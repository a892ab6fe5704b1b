import { describe, expect, test } from 'bun:test'
import { parquetReadObjects } from 'hyparquet'
import { parsePartitionDsl } from '../../src/iceberg/partition-dsl.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import type { Row } from '../../src/iceberg/types.ts'
import { encodeBatch, encodeColumns, rowsToColumns } from '../../src/table/encode-batch.ts'

const schema = parseSchemaDsl('id long not null, sensor string, ts timestamp')
const rows: Row[] = Array.from({ length: 1_000 }, (_, i) => ({ id: BigInt(i), sensor: `s${i % 3}`, ts: 1_767_225_600_000_000n + BigInt(i) * 3_600_000_000n }))

async function idsOf(bytes: Uint8Array): Promise<number[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  return (await parquetReadObjects({ file, columns: ['id'] })).map((row) => Number(row.id))
}

const input = (spec: string, targetFileBytes = 1 << 30) => ({
  schema,
  spec: parsePartitionDsl(spec, schema),
  rows,
  compression: 'snappy' as const,
  targetFileBytes,
})

describe('encodeBatch', () => {
  test('rowsToColumns: one array per field in schema order; a range takes just those rows', () => {
    const columns = rowsToColumns(schema, rows, 10, 13)
    expect(columns).toEqual([
      [10n, 11n, 12n],
      ['s1', 's2', 's0'],
      [rows[10]!.ts, rows[11]!.ts, rows[12]!.ts],
    ])
  })

  test('groups rows by partition tuple in first-seen order; every row in exactly one file', async () => {
    const encoded = await encodeBatch(input('sensor'))
    expect(encoded.map((p) => p.partition)).toEqual([['s0'], ['s1'], ['s2']])
    for (const [k, { files }] of encoded.entries()) {
      expect(files).toHaveLength(1)
      const ids = await idsOf(files[0]!.bytes)
      expect(ids).toEqual(rows.map((_, i) => i).filter((i) => i % 3 === k))
      expect(Number(files[0]!.metrics['record-count'])).toBe(ids.length)
    }
  })

  test('transforms: day(ts) splits 1,000 hourly rows into 42 day partitions', async () => {
    const encoded = await encodeBatch(input('day(ts)'))
    expect(encoded).toHaveLength(42)
    expect(encoded.reduce((n, p) => n + Number(p.files[0]!.metrics['record-count']), 0)).toBe(1_000)
  })

  test('unpartitioned: one file of every row, in order', async () => {
    const [only, ...rest] = await encodeBatch(input(''))
    expect(rest).toEqual([])
    expect(only!.partition).toEqual([])
    expect(await idsOf(only!.files[0]!.bytes)).toEqual(rows.map((_, i) => i))
  })

  test('a partition over the target size rolls into several files that keep the row order', async () => {
    // Each row estimates to ~27 bytes; a 4 KiB target makes files of ~150 rows.
    const [only] = await encodeBatch(input('', 4_096))
    expect(only!.files.length).toBeGreaterThan(4)
    const ids = (await Promise.all(only!.files.map((f) => idsOf(f.bytes)))).flat()
    expect(ids).toEqual(rows.map((_, i) => i))
    for (const file of only!.files) expect(Number(file.metrics['record-count'])).toBeLessThan(200)
  })

  test('encodeColumns (the thread side) gives the same files as encodeBatch from rows', async () => {
    const { rows: _, ...rest } = input('sensor')
    const fromColumns = await encodeColumns({ ...rest, columns: rowsToColumns(schema, rows), rowCount: rows.length })
    const fromRows = await encodeBatch(input('sensor'))
    expect(fromColumns.map((p) => p.files.map((f) => [...f.bytes]))).toEqual(fromRows.map((p) => p.files.map((f) => [...f.bytes])))
  })

  test('a value that does not fit its column is a ValidationError naming the field', async () => {
    const bad = input('')
    bad.rows = rows.map((row, i) => (i === 5 ? { ...row, id: 'not a long' } : row))
    await expect(encodeBatch(bad)).rejects.toThrow(/id/)
  })
})
