/**
 * Issue 18 acceptance: acknowledged data is never lost or moved. A second worker on a data dir is
 * refused and the first loses nothing across kill -9; a WAL acknowledged for the embedded catalog is
 * refused by a REST config and drained by its own; one SIGINT to `bun run ingest`'s process group is a
 * graceful stop, 20 times of 20; with S3 failing, SIGTERM exits within the deadline and the WAL keeps
 * the records for the next start. Rows are counted by PyIceberg.
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { embeddedTableReport, runPython } from './pyiceberg.ts'
import { freePort, spawnWorker, type WorkerProcess } from './worker-process.ts'
import { stackWorkerConfig } from './worker-config.ts'

// Real processes on a 2-core machine: far beyond bun's 5 s default (set per file: bun applies it to the calling file only).
setDefaultTimeout(180_000)

const ROOT = join(import.meta.dir, '..', '..')
const dirs: string[] = []
const started: Subprocess[] = []
afterAll(async () => {
  // Gone before the dirs are: a process still exiting could write into a dir being removed.
  for (const child of started) child.kill(9)
  await Promise.all(started.map((child) => child.exited))
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}

interface Report {
  count: number
  rows?: { id: number }[]
}

const embeddedReport = async (dataDir: string, table: string) => (await embeddedTableReport(dataDir, table)) as Report

const restReport = async (table: string) => (await runPython('table_report.py', [JSON.stringify({ table, catalog: { type: 'rest' }, rows: true })])) as Report

function embeddedConfig(dataDir: string, port: number, table: string): Record<string, unknown> {
  return {
    dataDir,
    http: { port },
    // Nothing commits before the test says so: what is acknowledged lives in the WAL only.
    tables: [{ name: table, schema: 'id long not null, src string', roll: { intervalMs: 3_600_000 } }],
  }
}

async function post(url: string, table: string, ids: number[]): Promise<void> {
  const response = await fetch(`${url}/v1/tables/${table}/records`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ids.map((id) => ({ id, src: 'http' }))),
  })
  expect(response.status).toBe(200)
  expect(((await response.json()) as { accepted: number }).accepted).toBe(ids.length)
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)

/** Runs the worker to its end (a refused start-up), returning its exit code and stderr. */
async function runToExit(config: Record<string, unknown>, name: string): Promise<{ code: number; stderr: string }> {
  const file = join(config.dataDir as string, `${name}.json`)
  writeFileSync(file, JSON.stringify(config))
  const child = Bun.spawn(['bun', 'run', join(ROOT, 'workers/ingest.ts'), '--config', file], { stdout: 'ignore', stderr: 'pipe', stdin: 'ignore' })
  started.push(child)
  const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited])
  return { code, stderr }
}

async function stopGracefully(worker: WorkerProcess, logFile: string): Promise<string> {
  worker.process.kill('SIGTERM')
  expect(await worker.exited).toBe(0)
  return readFileSync(logFile, 'utf8')
}

describe('acknowledged data is never lost or moved', () => {
  test('a second worker on the same data dir exits 2 naming the first; the first loses nothing across kill -9 (6,000 acked → 6,000 rows)', async () => {
    const dataDir = tempDir('lifecycle-lock-')
    const table = 'lifecycle.locked'
    const first = await spawnWorker(embeddedConfig(dataDir, freePort(), table), join(dataDir, 'a.log'))
    started.push(first.process)
    for (let from = 0; from < 3_000; from += 500) await post(first.url, table, range(from, 500))

    const second = await runToExit(embeddedConfig(dataDir, freePort(), table), 'second')
    expect(second.code).toBe(2)
    expect(second.stderr).toContain(`WAL directory ${join(dataDir, 'wal')} is in use by another worker (pid ${first.process.pid} since `)

    for (let from = 3_000; from < 6_000; from += 500) await post(first.url, table, range(from, 500))
    first.process.kill(9)
    await first.exited
    const restarted = await spawnWorker(embeddedConfig(dataDir, freePort(), table), join(dataDir, 'b.log'))
    started.push(restarted.process)
    const log = await stopGracefully(restarted, join(dataDir, 'b.log'))
    expect(log).toContain('replayed 12 WAL records')
    const report = await embeddedReport(dataDir, table)
    expect(report.count).toBe(6_000)
    expect(new Set(report.rows!.map((row) => row.id)).size).toBe(6_000)
  })

  test('records acknowledged for the embedded catalog are refused by a REST config on the same dir, and land in the embedded table with the old config', async () => {
    const dataDir = tempDir('lifecycle-bound-')
    const table = `lifecycle_${crypto.randomUUID().slice(0, 8)}.bound`
    const embedded = embeddedConfig(dataDir, freePort(), table)
    const worker = await spawnWorker(embedded, join(dataDir, 'a.log'))
    started.push(worker.process)
    await post(worker.url, table, range(0, 400))
    worker.process.kill(9)
    await worker.exited

    const restConfig = stackWorkerConfig({ dataDir, http: { port: freePort() }, tables: [{ name: table, schema: 'id long not null, src string' }] })
    const refused = await runToExit(restConfig, 'rest')
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`WAL ${join(dataDir, 'wal')} holds 1 entries (seqs 1–1) acknowledged for embedded ${join(dataDir, 'catalog.db')}`)
    expect(refused.stderr).toContain('--discard-wal')

    const drained = await spawnWorker(embedded, join(dataDir, 'b.log'))
    started.push(drained.process)
    await stopGracefully(drained, join(dataDir, 'b.log'))
    const report = await embeddedReport(dataDir, table)
    expect(report.count).toBe(400)
    expect(report.rows!.map((row) => row.id).sort((a, b) => a - b)).toEqual(range(0, 400))
  })

  test('one SIGINT to the process group of `bun run ingest` (as a terminal sends it): final commit logged and exit 0, 20 times of 20', async () => {
    const dataDir = tempDir('lifecycle-sigint-')
    const outcomes: { code: number; committed: boolean }[] = []
    for (let run = 0; run < 20; run++) {
      const port = freePort()
      const logFile = join(dataDir, `run-${run}.log`)
      // detached: its own process group, so the group signal below reaches `bun run` and the worker alike.
      const child = Bun.spawn(['bun', 'run', 'ingest'], {
        cwd: ROOT,
        env: { ...process.env, INGEST_CONFIG: '', INGEST_DATA_DIR: dataDir, INGEST_HTTP_PORT: String(port) },
        stdout: Bun.file(logFile),
        stderr: Bun.file(`${logFile}.err`),
        stdin: 'ignore',
        detached: true,
      })
      started.push(child)
      const url = `http://127.0.0.1:${port}`
      for (let waited = 0; waited < 30_000; waited += 100) {
        if (await fetch(`${url}/health`).then((r) => r.status === 200, () => false)) break
        await Bun.sleep(100)
      }
      const response = await fetch(`${url}/v1/tables/learning.sensor_readings/records`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sensor_id: `s${run}`, timestamp: '2026-01-01T00:00:00', reading: run }),
      })
      expect(response.status).toBe(200)
      process.kill(-child.pid, 'SIGINT')
      const code = await child.exited
      outcomes.push({ code, committed: readFileSync(logFile, 'utf8').includes('committed table learning.sensor_readings snapshot') })
    }
    expect(outcomes).toEqual(Array.from({ length: 20 }, () => ({ code: 0, committed: true })))
    expect((await embeddedReport(dataDir, 'learning.sensor_readings')).count).toBe(20)
  })

  test('with S3 refusing every write, SIGTERM exits 143 within the deadline, the WAL keeps the records, and the next start lands them', async () => {
    const table = `lifecycle_${crypto.randomUUID().slice(0, 8)}.s3_down`
    const port = freePort()
    const good = stackWorkerConfig({ http: { port }, shutdownTimeoutMs: 3_000, tables: [{ name: table, schema: 'id long not null, src string' }] })
    const dataDir = good.dataDir as string
    dirs.push(dataDir)
    const bad = { ...good, storage: { ...(good.storage as Record<string, unknown>), secretAccessKey: 'not-the-secret' } }
    const worker = await spawnWorker(bad, join(dataDir, 'a.log'))
    started.push(worker.process)
    await post(worker.url, table, range(0, 150))
    const signalled = Date.now()
    worker.process.kill('SIGTERM')
    expect(await worker.exited).toBe(143)
    const took = Date.now() - signalled
    expect(took).toBeGreaterThanOrEqual(3_000)
    expect(took).toBeLessThan(3_000 + 5_000)
    const log = readFileSync(join(dataDir, 'a.log'), 'utf8')
    expect(log).toContain('commit failed for table')
    expect(log).toContain('shutdown deadline of 3000 ms passed: exiting with 150 rows uncommitted')

    const fixed = await spawnWorker(good, join(dataDir, 'b.log'))
    started.push(fixed.process)
    expect(await stopGracefully(fixed, join(dataDir, 'b.log'))).toContain('replayed 1 WAL records')
    const report = await restReport(table)
    expect(report.count).toBe(150)
  })
})
