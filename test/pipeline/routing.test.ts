/**
 * Routing by field in-process: the real HTTP app (`POST /v1/records`) over the real pipeline, WAL and embedded
 * catalog. Tables appear on first sight, records without a valid route are dead letters in the route's unrouted
 * table, and a crash before the commit loses nothing (the one WAL entry of a routed request is replayed into
 * every table it reached). PyIceberg reads routed tables in test/e2e/routing.test.ts.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../../src/config/config.ts'
import { Pipeline } from '../../src/pipeline/pipeline.ts'
import { hostDecompressors } from '../../src/adapter/bun/decompress.ts'
import { scanTable } from '../../src/query/scan-table.ts'
import { createIngestApp } from '../../src/sources/http/app.ts'
import { tryLockFile } from '../../src/adapter/bun/dir-lock.ts'
import { zstdCompress } from '../../src/adapter/bun/zstd.ts'
import { tableIdentifier } from '../../src/iceberg/table-identifier.ts'
import { pipelineAppDeps, pipelineOptions } from '../../src/worker/pipeline-app.ts'
import { openCatalog } from '../../src/worker/resources.ts'
import { openWalLog } from '../../src/worker/wal-log.ts'
import { fakeDeps } from '../sources/http/fake-deps.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'routing-'))
  dirs.push(dir)
  return dir
}

const ROUTE = { field: 'kind', table: 'events.$1', allow: 'events\\.(click|view|order)', maxTables: 1000 }

async function start(dataDir: string, route: Record<string, unknown> = {}, entry: Record<string, unknown> = {}) {
  const config = parseConfig({
    dataDir,
    routes: [{ route: { ...ROUTE, ...route }, schema: 'id long not null, kind string', roll: { intervalMs: 3_600_000 }, ...entry }],
  })
  const access = openCatalog(config)
  const wal = await openWalLog(config, dataDir, () => {}, { tryLock: tryLockFile, pid: process.pid })
  const lines: string[] = []
  const pipeline = await Pipeline.start(pipelineOptions(config, { ...access, log: wal }, { compressors: { zstd: zstdCompress }, logLine: (line) => lines.push(line) }))
  const app = createIngestApp(pipelineAppDeps(config, pipeline, () => '', () => {}))
  return {
    lines,
    pipeline,
    post: async (body: unknown, headers: Record<string, string> = {}) => {
      const response = await app.request('/v1/records', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
      return { status: response.status, body: (await response.json()) as { accepted: number; rejected: { index: number; reason: string }[]; tables: Record<string, number> } }
    },
    rows: async (name: string) => {
      const out: Record<string, unknown>[] = []
      for await (const batch of scanTable(await access.catalog.loadTable(tableIdentifier(name)), { io: access.io, compressors: hostDecompressors })) out.push(...batch.toArray().map((r) => ({ ...r })))
      return out.sort((a, b) => Number(a.id) - Number(b.id))
    },
    tables: async (namespace: string) => (await access.catalog.listTables([namespace])).map((t) => t.name).sort(),
    stop: async () => {
      await pipeline.stop()
      await wal.close()
    },
    /** Like kill -9 for the WAL: nothing flushed, the WAL closed as the OS would leave it. */
    crash: async () => {
      for (const batcher of pipeline.batchers()) batcher.abandon()
      await wal.close()
    },
    close: () => access.close(),
  }
}

const BODY = [
  { id: 1, kind: 'click' },
  { id: 2, kind: 'view', extra: 'x' },
  { id: 3, kind: 'order' },
  { id: 4, kind: 'refund' },
  { id: 5 },
  { id: 6, kind: 'click' },
]

describe('POST /v1/records, routed by a field', () => {
  test('three tables from one request; a route outside the allow-list and a missing route are dead letters with the reason', async () => {
    const run = await start(tempDir())
    const answer = await run.post(BODY)
    expect(answer.status).toBe(200)
    expect(answer.body.accepted).toBe(4)
    expect(answer.body.tables).toEqual({ 'events.click': 2, 'events.view': 1, 'events.order': 1 })
    expect(answer.body.rejected).toEqual([
      { index: 3, reason: "route field kind → events.$1: table events.refund (from kind \"refund\") is not allowed by the route's allow pattern events\\.(click|view|order)" },
      { index: 4, reason: 'route field kind → events.$1: the record has no kind to route by' },
    ])
    await run.stop()
    expect(await run.tables('events')).toEqual(['click', 'click_dead_letters', 'order', 'order_dead_letters', 'unrouted_dead_letters', 'view', 'view_dead_letters'])
    expect((await run.rows('events.click')).map((r) => r.id)).toEqual([1n, 6n])
    // Schema evolution applies per routed table: `extra` became a column of events.view only.
    expect(await run.rows('events.view')).toEqual([{ id: 2n, kind: 'view', extra: 'x' }])
    const unrouted = await run.rows('events.unrouted_dead_letters')
    expect(unrouted.map((r) => [r.error, r.raw])).toEqual([
      [answer.body.rejected[0]!.reason, '{"id":4,"kind":"refund"}'],
      [answer.body.rejected[1]!.reason, '{"id":5}'],
    ])
    run.close()
  })

  test('a crash before any commit: the restarted worker replays the routed entry into every table it reached, once', async () => {
    const dir = tempDir()
    const first = await start(dir)
    expect((await first.post(BODY, { 'Idempotency-Key': 'req-1' })).body.accepted).toBe(4)
    await first.crash()
    first.close()
    const second = await start(dir)
    // The key survived with its answer: a resend writes nothing.
    const resend = await second.post(BODY, { 'Idempotency-Key': 'req-1' })
    expect(resend.body.accepted).toBe(4)
    await second.stop()
    expect((await second.rows('events.click')).map((r) => r.id)).toEqual([1n, 6n])
    expect((await second.rows('events.order')).map((r) => r.id)).toEqual([3n])
    expect((await second.rows('events.unrouted_dead_letters')).length).toBe(2)
    second.close()
  })

  test('the route\'s tokens (or global ones) are needed when set; without a field route POST /v1/records is 404 NO_ROUTE', async () => {
    const run = await start(tempDir(), {}, { http: { tokens: ['route-secret'] } })
    expect((await run.post([{ id: 1, kind: 'click' }])).status).toBe(401)
    expect((await run.post([{ id: 1, kind: 'click' }], { Authorization: 'Bearer wrong' })).status).toBe(401)
    expect((await run.post([{ id: 1, kind: 'click' }], { Authorization: 'Bearer route-secret' })).body.accepted).toBe(1)
    await run.stop()
    run.close()
    const app = createIngestApp(fakeDeps())
    const response = await app.request('/v1/records', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[{"kind":"click"}]' })
    expect(response.status).toBe(404)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NO_ROUTE')
  })

  test('maxTables: records for one table more than allowed are dead letters; the tables already open keep landing', async () => {
    const run = await start(tempDir(), { maxTables: 2 })
    const answer = await run.post(BODY)
    expect(answer.body.tables).toEqual({ 'events.click': 2, 'events.view': 1 })
    expect(answer.body.rejected[0]).toEqual({ index: 2, reason: 'route field kind → events.$1: table events.order (from kind "order") would be its table number 3, over its maxTables of 2' })
    await run.stop()
    run.close()
  })
})
