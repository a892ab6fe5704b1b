/**
 * The HTTP side of an upsert table in-process: the real HTTP app over the real pipeline, WAL on disk, embedded catalog.
 * `{"op", "data"}` records change keys, malformed envelopes are refused with their reason, and changes acknowledged
 * but not committed before a crash are replayed from the WAL into the same final state.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RecordBatch } from 'apache-arrow'
import { hostDecompressors } from '../../src/adapter/bun/decompress.ts'
import { tryLockFile } from '../../src/adapter/bun/dir-lock.ts'
import { parseConfig } from '../../src/config/config.ts'
import { Pipeline } from '../../src/pipeline/pipeline.ts'
import { scanTable } from '../../src/query/scan-table.ts'
import { createIngestApp } from '../../src/sources/http/app.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { upsertServices } from '../../src/upsert/upsert-services.ts'
import { pipelineAppDeps, pipelineTables } from '../../src/worker/pipeline-app.ts'
import { openCatalog } from '../../src/worker/resources.ts'
import { openWalLog } from '../../src/worker/wal-log.ts'
import { createWorkerMetrics } from '../../src/worker/metrics.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

async function start(dataDir: string) {
  const config = parseConfig({
    dataDir,
    tables: [{ name: 'app.users', schema: 'id long not null, email string, plan string not null', upsert: { key: ['id'] }, http: { envelope: 'op' }, roll: { intervalMs: 3_600_000 } }],
  })
  const access = openCatalog(config)
  const wal = await openWalLog(config, dataDir, () => {}, { tryLock: tryLockFile, pid: process.pid })
  const pipeline = await Pipeline.start({
    catalog: access.catalog,
    io: access.io,
    log: wal,
    keyLog: wal.keys,
    tables: pipelineTables(config),
    upserts: upsertServices(access.io, { decompressors: hostDecompressors, indexStore: createFsStore(join(dataDir, 'upsert-index')) }),
  })
  const app = createIngestApp(pipelineAppDeps(config, pipeline, () => '', () => {}))
  return {
    pipeline,
    metrics: createWorkerMetrics(pipeline, wal, () => []),
    post: async (body: unknown) => {
      const response = await app.request('/v1/tables/app/users/records', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return { status: response.status, body: (await response.json()) as { accepted: number; rejected: { index: number; reason: string }[] } }
    },
    async rows() {
      const table = await access.catalog.loadTable({ namespace: ['app'], name: 'users' })
      const out: { id: number; email: string | null; plan: string }[] = []
      for await (const batch of scanTable(table, { io: access.io, compressors: hostDecompressors }) as AsyncIterable<RecordBatch>) {
        for (const row of batch.toArray()) out.push({ id: Number(row.id), email: row.email ?? null, plan: row.plan })
      }
      return out.sort((a, b) => a.id - b.id)
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

describe('upserts over HTTP', () => {
  test('{"op", "data"} records change keys; malformed envelopes are refused by index with their reason; a crash replays what was acknowledged', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'upsert-http-'))
    dirs.push(dataDir)
    let run = await start(dataDir)
    const first = await run.post([
      { op: 'c', data: { id: 1, email: 'a@example.com', plan: 'free' } },
      { op: 'c', data: { id: 2, email: 'b@example.com', plan: 'free' } },
      { op: 'c', data: { id: 3, plan: 'pro' } },
      { op: 'upsert', data: { id: 4, plan: 'free' } },
      { id: 5, plan: 'free' },
      { op: 'd', data: { email: 'x' } },
    ])
    expect(first.status).toBe(200)
    expect(first.body.accepted).toBe(3)
    expect(first.body.rejected).toEqual([
      { index: 3, reason: 'change envelope: "op" must be "c", "u", "r" or "d", got string "upsert"' },
      { index: 4, reason: 'change envelope: "op" must be "c", "u", "r" or "d", got undefined' },
      { index: 5, reason: expect.stringMatching(/^delete: .*id/) },
    ])
    await run.pipeline.table(['app'], 'users')!.batcher.flush('interval')
    expect(run.metrics()).toContain('ingest_upsert_index_keys{table="app.users"} 3')

    // Acknowledged (in the WAL), then the process dies before the commit.
    const second = await run.post([
      { op: 'u', data: { id: 1, email: 'a@example.org', plan: 'pro' } },
      { op: 'd', data: { id: 2 } },
      { op: 'r', data: { id: 6, plan: 'free' } },
      { op: 'd', data: { id: 6 } },
    ])
    expect(second.body.accepted).toBe(4)
    await run.crash()

    run = await start(dataDir)
    await run.pipeline.table(['app'], 'users')!.batcher.flush('interval')
    expect(await run.rows()).toEqual([
      { id: 1, email: 'a@example.org', plan: 'pro' },
      { id: 3, email: null, plan: 'pro' },
    ])
    await run.stop()
  })
})
