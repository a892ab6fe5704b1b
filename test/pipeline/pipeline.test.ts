/**
 * Crash safety of the HTTP path in-process: real WAL on disk, real embedded catalog, real Parquet.
 * A "crash" is a pipeline dropped without stop(): its buffers vanish, the WAL and the table stay.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Catalog } from '../../src/catalog/catalog.ts'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { CatalogError } from '../../src/errors.ts'
import { decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { Pipeline, type PipelineOptions } from '../../src/pipeline/pipeline.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { DEFAULT_CONFIG, parseConfig } from '../../src/config/config.ts'
import { openWalLog } from '../../src/worker/wal-log.ts'
import { tryLockFile } from '../../src/adapter/bun/dir-lock.ts'
import { parquetReadObjects } from 'hyparquet'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const schema = parseSchemaDsl('id long not null, name string')
const triggers = { intervalMs: 3_600_000, maxRows: 1_000_000, maxBytes: 1 << 30 }

async function open(dir: string, maxPendingBytes?: number, commitsFail?: () => boolean, clock?: Pick<PipelineOptions, 'now' | 'sleep'>) {
  const io = createFileIO([createFsStore(join(dir, 'wh'))])
  const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: `file://${join(dir, 'wh')}`, io })
  // Commits that fail (the catalog down) keep batches queued, so memory cannot be freed.
  const pipelineCatalog: Catalog = commitsFail
    ? { ...catalog, commitTable: (id, request) => (commitsFail() ? Promise.reject(new CatalogError('catalog unavailable', { status: 503 })) : catalog.commitTable(id, request)) }
    : catalog
  // The worker's own adapter over the WAL, with its persisted id.
  const wal = await openWalLog(parseConfig(DEFAULT_CONFIG), dir, () => {}, { tryLock: tryLockFile, pid: process.pid })
  const pipeline = await Pipeline.start({ catalog: pipelineCatalog, io, log: wal, tables: [{ identifier: { namespace: ['ns'], name: 't' }, schema, triggers }], ...(maxPendingBytes ? { maxPendingBytes } : {}), ...clock })
  return { io, catalog, wal, pipeline, table: pipeline.table(['ns'], 't')! }
}

/** Every id in the table's current snapshot, read from the Parquet files. */
async function ids(io: ReturnType<typeof createFileIO>, catalog: ReturnType<typeof createSqliteCatalog>): Promise<number[]> {
  const table = await catalog.loadTable({ namespace: ['ns'], name: 't' })
  const current = table.metadata.snapshots.find((s) => s['snapshot-id'] === table.metadata['current-snapshot-id'])
  if (!current) return []
  const out: number[] = []
  for (const manifest of await decodeManifestList(await io.read(current['manifest-list']))) {
    for (const entry of (await decodeManifest(await io.read(manifest['manifest-path']))).entries) {
      const bytes = await io.read(entry['data-file']['file-path'])
      const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
      for (const row of await parquetReadObjects({ file, columns: ['id'] })) out.push(Number(row.id))
    }
  }
  return out.sort((a, b) => a - b)
}

async function post(pipeline: Pipeline, table: ReturnType<Pipeline['table']> & {}, from: number, count: number, key?: string) {
  const records = Array.from({ length: count }, (_, i) => ({ id: from + i, name: `n${from + i}` }))
  const rows = records.map((r) => {
    const result = table.intake.coerce(r)
    if (!result.ok) throw new Error(result.reason)
    return result.row
  })
  return pipeline.http.accept({ table, records, rows, response: { accepted: count }, ...(key ? { idempotencyKey: key } : {}) })
}

describe('pipeline crash safety (HTTP + WAL)', () => {
  test('acknowledged records survive a crash and land exactly once across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-'))
    dirs.push(dir)
    let run = await open(dir)
    await post(run.pipeline, run.table, 0, 100)
    await run.table.batcher.flush('interval') // batch 1 committed
    await post(run.pipeline, run.table, 100, 50) // acknowledged, only in the WAL and memory
    // crash: no stop(), no flush
    await run.wal.close()
    run.catalog.close()

    run = await open(dir)
    expect(run.pipeline.counters.replayed).toBe(1) // only the uncommitted request is replayed
    await run.pipeline.stop()
    await run.wal.close()
    expect(await ids(run.io, run.catalog)).toEqual(Array.from({ length: 150 }, (_, i) => i))
    run.catalog.close()

    // A restart after a clean stop replays nothing and adds nothing.
    run = await open(dir)
    expect(run.pipeline.counters.replayed).toBe(0)
    await run.pipeline.stop()
    await run.wal.close()
    expect(await ids(run.io, run.catalog)).toHaveLength(150)
    expect(run.wal.bytes).toBe(0)
    run.catalog.close()
  })

  test('records logged from the request body text (recordsJson) replay to the same rows after a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-'))
    dirs.push(dir)
    let run = await open(dir)
    const records = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `n${i}` }))
    const rows = records.map((record) => {
      const result = run.table.intake.coerce(record)
      if (!result.ok) throw new Error(result.reason)
      return result.row
    })
    const recordsJson = ` [${records.map((r) => JSON.stringify(r, null, 1)).join(' ,\n')}] `
    await run.pipeline.http.accept({ table: run.table, records, recordsJson, rows, idempotencyKey: 'body-1', response: { accepted: 20 } })
    // crash: nothing committed, the WAL holds the body's text
    await run.wal.close()
    run.catalog.close()
    run = await open(dir)
    expect(run.pipeline.counters.replayed).toBe(1)
    // The key is remembered across the restart too.
    expect((await run.pipeline.http.accept({ table: run.table, records, recordsJson, rows, idempotencyKey: 'body-1', response: {} })).duplicate).toBe(true)
    await run.pipeline.stop()
    await run.wal.close()
    expect(await ids(run.io, run.catalog)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    run.catalog.close()
  })

  test('a commit that landed just before the crash is not replayed (marker in the snapshot)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-'))
    dirs.push(dir)
    let run = await open(dir)
    await post(run.pipeline, run.table, 0, 10)
    await run.table.batcher.flush('interval')
    // The WAL still holds the record (truncation happens on the next tick) — as after a crash right after the commit.
    expect(run.wal.lastSeq).toBe(1n)
    await run.wal.close()
    run.catalog.close()
    run = await open(dir)
    expect(run.pipeline.counters.replayed).toBe(0)
    await run.pipeline.stop()
    await run.wal.close()
    expect(await ids(run.io, run.catalog)).toEqual(Array.from({ length: 10 }, (_, i) => i))
    run.catalog.close()
  })

  test("a table's commit waits for its commit barriers (a dead-letter topic's acknowledgements) before anything lands", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-'))
    dirs.push(dir)
    const run = await open(dir)
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    run.table.commitBarriers.push(() => held)
    await post(run.pipeline, run.table, 0, 10)
    const flushing = run.table.batcher.flush('interval')
    await Bun.sleep(100)
    expect(await ids(run.io, run.catalog)).toEqual([])
    release()
    await flushing
    expect(await ids(run.io, run.catalog)).toEqual(Array.from({ length: 10 }, (_, i) => i))
    await run.pipeline.stop()
    await run.wal.close()
    run.catalog.close()
  })

  test('a repeated Idempotency-Key returns the first response and adds nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-'))
    dirs.push(dir)
    const run = await open(dir)
    const first = await post(run.pipeline, run.table, 0, 5, 'key-1')
    const second = await post(run.pipeline, run.table, 0, 5, 'key-1')
    expect(first.duplicate).toBe(false)
    expect(second).toEqual({ duplicate: true, response: { accepted: 5 } })
    await run.pipeline.stop()
    await run.wal.close()
    expect(await ids(run.io, run.catalog)).toEqual([0, 1, 2, 3, 4])
    run.catalog.close()
  })

  test('over the buffer cap the buffers roll at once and the request goes through when the commit frees room', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-'))
    dirs.push(dir)
    const run = await open(dir, 3_000)
    await post(run.pipeline, run.table, 0, 100) // ~100 rows × ~60 estimated heap bytes (values, columns, origin): over the cap
    // The roll interval is an hour: only the pressure roll can free room here.
    expect((await post(run.pipeline, run.table, 100, 10)).duplicate).toBe(false)
    expect(run.table.batcher.stats.commits).toBe(1)
    await run.pipeline.stop()
    await run.wal.close()
    expect(await ids(run.io, run.catalog)).toHaveLength(110)
    run.catalog.close()
  })

  test('a stop whose deadline passes while commits keep failing returns, leaves the records in the WAL, and the next start lands them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-'))
    dirs.push(dir)
    let failing = true
    let run = await open(dir, undefined, () => failing)
    await post(run.pipeline, run.table, 0, 25)
    const deadline = AbortSignal.timeout(300)
    const started = Date.now()
    await run.pipeline.stop(deadline)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(run.pipeline.uncommittedRows()).toBe(25)
    await run.wal.close()
    expect(await ids(run.io, run.catalog)).toEqual([])
    run.catalog.close()
    failing = false
    run = await open(dir)
    expect(run.pipeline.counters.replayed).toBe(1)
    await run.pipeline.stop()
    expect(run.pipeline.uncommittedRows()).toBe(0)
    await run.wal.close()
    expect(await ids(run.io, run.catalog)).toEqual(Array.from({ length: 25 }, (_, i) => i))
    run.catalog.close()
  })

  test('a clean stop leaves the WAL empty (a truncation the timer started is waited for, then repeated)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-'))
    dirs.push(dir)
    const run = await open(dir)
    await post(run.pipeline, run.table, 0, 10)
    run.pipeline.tick() // starts a truncation that sees the records still pending
    await run.pipeline.stop()
    await run.wal.close()
    const replayed: bigint[] = []
    const reopened = await openWalLog(parseConfig(DEFAULT_CONFIG), dir, () => {}, { tryLock: tryLockFile, pid: process.pid })
    for await (const record of reopened.replay(-1n)) replayed.push(record.seq)
    await reopened.close()
    expect(replayed).toEqual([])
    run.catalog.close()
  })

  test('when commits cannot free room, a request waits 2 s and is refused with BACKPRESSURE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-'))
    dirs.push(dir)
    let failing = true
    // The pipeline's clock: each wait advances it and yields one turn of the event loop, so the 2 s pass at once.
    let clockMs = 0
    const clock = { now: () => clockMs, sleep: async (ms: number) => {
      clockMs += ms
      await new Promise((resolve) => setTimeout(resolve, 0))
    } }
    const run = await open(dir, 3_000, () => failing, clock)
    await post(run.pipeline, run.table, 0, 100)
    const started = clock.now()
    const refused = await post(run.pipeline, run.table, 100, 10).catch((error: unknown) => error)
    expect((refused as { code?: string }).code).toBe('BACKPRESSURE')
    expect(clock.now() - started).toBeGreaterThanOrEqual(1_900)
    failing = false
    await run.pipeline.stop()
    await run.wal.close()
    expect(await ids(run.io, run.catalog)).toHaveLength(100) // the refused request added nothing
    run.catalog.close()
  })
})
