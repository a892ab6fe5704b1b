/**
 * Issue 17 in-process: the real HTTP app over the real pipeline, WAL and key log on disk, embedded catalog.
 * Concurrent resends append once; a different body under a used key is refused; keys outlive commit,
 * WAL truncation and a restart.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../../src/config/config.ts'
import { Pipeline } from '../../src/pipeline/pipeline.ts'
import { createIngestApp } from '../../src/sources/http/app.ts'
import { tryLockFile } from '../../src/adapter/bun/dir-lock.ts'
import { pipelineAppDeps, pipelineTables } from '../../src/worker/pipeline-app.ts'
import { openCatalog } from '../../src/worker/resources.ts'
import { openWalLog } from '../../src/worker/wal-log.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

async function start(dataDir: string, idempotency?: { windowMs: number; maxKeys: number }) {
  const config = parseConfig({ dataDir, tables: [{ name: 'ns.events', schema: 'id long not null', roll: { intervalMs: 3_600_000 } }] })
  const access = openCatalog(config)
  const wal = await openWalLog(config, dataDir, () => {}, { tryLock: tryLockFile, pid: process.pid })
  const pipeline = await Pipeline.start({ catalog: access.catalog, io: access.io, log: wal, keyLog: wal.keys, tables: pipelineTables(config), ...(idempotency ? { idempotency } : {}) })
  const app = createIngestApp(pipelineAppDeps(config, pipeline, () => '', () => {}))
  return {
    wal,
    pipeline,
    post: (body: unknown, key?: string) =>
      app.request('/v1/tables/ns/events/records', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
        body: JSON.stringify(body),
      }),
    /** Rows the table holds (committed), by the table's own snapshot summary. */
    async committedRows() {
      const reader = openCatalog(config)
      try {
        const table = await reader.catalog.loadTable({ namespace: ['ns'], name: 'events' })
        const current = table.metadata.snapshots.find((s) => s['snapshot-id'] === table.metadata['current-snapshot-id'])
        return Number(current?.summary['total-records'] ?? 0)
      } finally {
        reader.close()
      }
    },
    async stop() {
      await pipeline.stop()
      await wal.close()
      access.close()
    },
    async crash() {
      await wal.close()
      access.close()
    },
  }
}

const batch = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ id: from + i }))
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'http-idempotency-'))
  dirs.push(dir)
  return dir
}

describe('HTTP Idempotency-Key on the pipeline', () => {
  test('8 concurrent requests with one key: one append, 8 identical answers', async () => {
    const run = await start(tempDir())
    const responses = await Promise.all(Array.from({ length: 8 }, () => run.post(batch(0, 2_000), 'same-key')))
    const bodies = await Promise.all(responses.map((r) => r.text()))
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200))
    expect(new Set(bodies)).toEqual(new Set(['{"accepted":2000,"rejected":[]}']))
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(7)
    expect(run.wal.lastSeq).toBe(1n) // one WAL entry
    await run.stop()
    expect(await run.committedRows()).toBe(2_000)
  })

  test('the same key with a different body → 422 IDEMPOTENCY_KEY_REUSED, nothing appended', async () => {
    const run = await start(tempDir())
    expect((await run.post(batch(0, 5), 'k-1')).status).toBe(200)
    const reused = await run.post(batch(100, 5), 'k-1')
    expect(reused.status).toBe(422)
    const body = (await reused.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('IDEMPOTENCY_KEY_REUSED')
    expect(body.error.message).toContain('"k-1" was used for table ns.events with a different request body')
    // Also while the first request is still in flight.
    const [first, second] = await Promise.all([run.post(batch(200, 5), 'k-2'), run.post(batch(300, 5), 'k-2')])
    expect([first.status, second.status].sort()).toEqual([200, 422])
    expect(run.wal.lastSeq).toBe(2n)
    await run.stop()
    expect(await run.committedRows()).toBe(10)
  })

  test('a key outlives commit, WAL truncation and a restart (clean and crash); past the window it is new', async () => {
    const dataDir = tempDir()
    let run = await start(dataDir)
    const first = await run.post([...batch(0, 3), { id: 'not a number' }], 'kept')
    const answer = await first.text()
    expect(answer).toContain('"accepted":3')
    await run.stop() // commits, then truncates the WAL: the key now lives in the key log only
    expect(await run.committedRows()).toBe(3)

    run = await start(dataDir)
    const again = await run.post([...batch(0, 3), { id: 'not a number' }], 'kept')
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(await again.text()).toBe(answer)
    await run.crash()

    run = await start(dataDir)
    expect(await (await run.post([...batch(0, 3), { id: 'not a number' }], 'kept')).text()).toBe(answer)
    expect(run.wal.lastSeq).toBe(2n) // nothing logged since the first request's two entries
    await run.stop()
    expect(await run.committedRows()).toBe(3)

    // A window that has passed: the same request is a new one.
    run = await start(dataDir, { windowMs: 1, maxKeys: 10 })
    await Bun.sleep(5)
    const late = await run.post([...batch(0, 3), { id: 'not a number' }], 'kept')
    expect(late.headers.get('idempotent-replayed')).toBeNull()
    await run.stop()
    expect(await run.committedRows()).toBe(6)
  })

  test('an all-rejected request is answered from its key as well, and its dead letters logged once', async () => {
    const run = await start(tempDir())
    const first = await run.post([{ id: 'x' }], 'bad-only')
    const again = await run.post([{ id: 'x' }], 'bad-only')
    expect(await again.text()).toBe(await first.text())
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(run.wal.lastSeq).toBe(1n)
    await run.stop()
  })
})

describe('a key log on a full disk', () => {
  test('does not keep the WAL from being truncated; the key is still answered while the worker runs', async () => {
    const dataDir = tempDir()
    const config = parseConfig({ dataDir, tables: [{ name: 'ns.events', schema: 'id long not null', roll: { intervalMs: 3_600_000 } }] })
    const access = openCatalog(config)
    const wal = await openWalLog(config, dataDir, () => {}, { tryLock: tryLockFile, pid: process.pid })
    const full = Object.assign(new Error('write-ahead log disk is full'), { code: 'WAL_DISK_FULL' })
    const keyLog = { ...wal.keys, append: () => Promise.reject(full) }
    const lines: string[] = []
    const pipeline = await Pipeline.start({ catalog: access.catalog, io: access.io, log: wal, keyLog, tables: pipelineTables(config), logLine: (line) => lines.push(line) })
    const app = createIngestApp(pipelineAppDeps(config, pipeline, () => '', () => {}))
    const post = () => app.request('/v1/tables/ns/events/records', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k' }, body: '[{"id":1}]' })
    expect((await post()).status).toBe(200)
    await pipeline.stop()
    const held: bigint[] = []
    for await (const record of wal.replay(-1n)) held.push(record.seq)
    expect(held).toEqual([])
    expect(lines.some((line) => line.includes('1 keys could not be stored (disk full); the WAL is truncated anyway'))).toBe(true)
    expect((await post()).headers.get('idempotent-replayed')).toBe('true')
    await wal.close()
    access.close()
  })
})
