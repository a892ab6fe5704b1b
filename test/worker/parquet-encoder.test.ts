import { afterAll, describe, expect, test } from 'bun:test'
import { parsePartitionDsl } from '../../src/iceberg/partition-dsl.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { zstdCompress } from '../../src/adapter/bun/zstd.ts'
import type { Row } from '../../src/iceberg/types.ts'
import { encodeBatch, type EncodeBatchInput } from '../../src/table/encode-batch.ts'
import { RowColumns } from '../../src/table/row-columns.ts'
import { ParquetEncoderThread } from '../../src/worker/parquet-encoder.ts'
import { IngestError } from '../../src/errors.ts'
import { compactTable } from '../../src/maintenance/compact.ts'
import { MaintenanceError } from '../../src/maintenance/errors.ts'
import { appendMany, fixture, identifier, liveFiles, tableRows } from '../maintenance/table-fixture.ts'

const schema = parseSchemaDsl('id long not null, sensor string, reading double, tags list<string>')
const threads: ParquetEncoderThread[] = []
afterAll(() => threads.forEach((thread) => thread.close()))

function batch(count: number): EncodeBatchInput {
  const rows = Array.from({ length: count }, (_, i) => ({ id: BigInt(i), sensor: `s${i % 7}`, reading: i / 4, tags: i % 5 ? [`t${i % 5}`] : null }))
  return { schema, spec: parsePartitionDsl('sensor', schema), rows, compression: 'zstd', targetFileBytes: 1 << 30 }
}

describe('ParquetEncoderThread', () => {
  test('a batch of many chunks encodes on the thread to the same bytes and metrics as in this thread', async () => {
    const thread = new ParquetEncoderThread()
    threads.push(thread)
    const input = batch(30_000) // several 8,192-row chunks
    const [onThread, here] = await Promise.all([thread.encode(input), encodeBatch(input, { zstd: zstdCompress })])
    expect(onThread.map((p) => p.partition)).toEqual(here.map((p) => p.partition))
    for (const [k, partition] of onThread.entries()) {
      expect(partition.files.map((f) => f.metrics)).toEqual(here[k]!.files.map((f) => f.metrics))
      expect(partition.files.map((f) => [...f.bytes])).toEqual(here[k]!.files.map((f) => [...f.bytes]))
    }
  })

  test("a batch held as columns (a buffer's RowColumns) encodes on the thread to the same bytes as its rows do here; a bad value is still refused", async () => {
    const thread = new ParquetEncoderThread()
    threads.push(thread)
    const input = batch(20_000)
    const columns = new RowColumns(schema)
    for (const row of input.rows as Row[]) columns.push(row)
    const [onThread, here] = await Promise.all([thread.encode({ ...input, rows: columns }), encodeBatch(input, { zstd: zstdCompress })])
    expect(onThread.map((p) => p.partition)).toEqual(here.map((p) => p.partition))
    for (const [k, partition] of onThread.entries()) expect(partition.files.map((f) => [...f.bytes])).toEqual(here[k]!.files.map((f) => [...f.bytes]))
    const bad = new RowColumns(schema)
    for (const [i, row] of (batch(100).rows as Row[]).entries()) bad.push(i === 42 ? { ...row, id: 'not a long' } : row)
    const error = await thread.encode({ ...input, rows: bad }).catch((e: unknown) => e)
    expect((error as IngestError).code).toBe('VALIDATION')
  })

  test('columns that are all typed or dictionary-coded cross in larger transferred chunks, with the same bytes as the rows encoded here', async () => {
    const thread = new ParquetEncoderThread()
    threads.push(thread)
    const flat = parseSchemaDsl('id long not null, sensor string, reading double')
    const rows = Array.from({ length: 70_000 }, (_, i) => ({ id: BigInt(i), sensor: `s${i % 7}`, reading: i % 3 ? i / 4 : null })) // two 65,536-row chunks
    const columns = new RowColumns(flat)
    for (const row of rows) columns.push(row)
    expect(columns.clonesValues).toBe(false)
    const input = { schema: flat, spec: parsePartitionDsl('sensor', flat), compression: 'zstd', targetFileBytes: 1 << 30 } as const
    const [onThread, here] = await Promise.all([thread.encode({ ...input, rows: columns }), encodeBatch({ ...input, rows }, { zstd: zstdCompress })])
    expect(onThread.map((p) => p.partition)).toEqual(here.map((p) => p.partition))
    for (const [k, partition] of onThread.entries()) expect(partition.files.map((f) => [...f.bytes])).toEqual(here[k]!.files.map((f) => [...f.bytes]))
  })

  test('concurrent encodes each get their own result', async () => {
    const thread = new ParquetEncoderThread()
    threads.push(thread)
    const sizes = [10_000, 20, 9_000, 1]
    const results = await Promise.all(sizes.map((n) => thread.encode(batch(n))))
    expect(results.map((partitions) => partitions.reduce((sum, p) => sum + Number(p.files[0]!.metrics['record-count']), 0))).toEqual(sizes)
  })

  test("an encoding error comes back with the thread's code and message; the thread keeps working", async () => {
    const thread = new ParquetEncoderThread()
    threads.push(thread)
    const bad = batch(100)
    bad.rows = (bad.rows as Row[]).map((row, i) => (i === 42 ? { ...row, id: 'not a long' } : row))
    const error = await thread.encode(bad).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(IngestError)
    expect((error as IngestError).code).toBe('VALIDATION')
    expect((error as IngestError).message).toContain('id')
    expect((await thread.encode(batch(10))).length).toBe(7)
  })

  test('compaction bins run on the thread: 60 files → 3, the same rows', async () => {
    const thread = new ParquetEncoderThread()
    threads.push(thread)
    const f = await fixture()
    await appendMany(f, 20, 30)
    const before = await tableRows(f)
    const result = await compactTable({ catalog: f.catalog, io: f.io }, identifier, { compactor: thread.compactBin })
    expect(result.partitions.map((p) => [p.filesBefore, p.filesAfter])).toEqual([
      [20, 1],
      [20, 1],
      [20, 1],
    ])
    expect(await liveFiles(f)).toHaveLength(3)
    expect(await tableRows(f)).toEqual(before)
  })

  test("a bin whose manifest count lies comes back as the thread's MaintenanceError CONTENT_MISMATCH", async () => {
    const thread = new ParquetEncoderThread()
    threads.push(thread)
    const f = await fixture()
    await appendMany(f, 1, 10)
    const [location] = await liveFiles(f)
    const bytes = await f.io.read(location!)
    const error = await thread.compactBin({ schema: f.table.current().metadata.schemas[0]!, inputs: [{ location: location!, bytes, recordCount: 99 }], location: 'memory://wh/out.parquet', compression: 'snappy', verify: true }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MaintenanceError)
    expect((error as MaintenanceError).code).toBe('CONTENT_MISMATCH')
    expect((error as MaintenanceError).message).toContain('says 99')
  })

  test('start runs the thread before the first encode, idle, without keeping a process alive', async () => {
    // A process that starts the thread and does nothing else must exit by itself.
    const script = `import { ParquetEncoderThread } from ${JSON.stringify(new URL('../../src/worker/parquet-encoder.ts', import.meta.url).pathname)}; new ParquetEncoderThread().start(); console.log('started')`
    const proc = Bun.spawn(['bun', '-e', script], { stdout: 'pipe', stderr: 'pipe' })
    const exited = await Promise.race([proc.exited, Bun.sleep(10_000).then(() => 'hung' as const)])
    if (exited === 'hung') proc.kill(9)
    expect({ exited, stdout: await new Response(proc.stdout).text() }).toEqual({ exited: 0, stdout: 'started\n' })
  })

  test('close fails encodes in flight and refuses new ones', async () => {
    const thread = new ParquetEncoderThread()
    const inFlight = thread.encode(batch(50_000))
    thread.close()
    await expect(inFlight).rejects.toThrow('closed')
    await expect(thread.encode(batch(1))).rejects.toThrow('closed')
  })
})
