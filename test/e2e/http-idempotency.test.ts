/**
 * Issue 17 acceptance, on the real worker process (embedded default catalog, PyIceberg reads): a request acked,
 * committed, then resent with its Idempotency-Key after a clean restart and after kill -9 gets the same answer and
 * adds no row; after the configured window the same request is new.
 */
import { afterAll, expect, test, setDefaultTimeout } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { embeddedTableReport } from './pyiceberg.ts'
import { freePort, spawnWorker, type WorkerProcess } from './worker-process.ts'

// Real processes on a 2-core machine: far beyond bun's 5 s default (set per file: bun applies it to the calling file only).
setDefaultTimeout(120_000)

const dataDir = mkdtempSync(join(tmpdir(), 'http-idempotency-'))
const running: WorkerProcess[] = []
afterAll(async () => {
  // Gone before the dir is: a worker still exiting could write into a dir being removed.
  for (const worker of running) worker.process.kill(9)
  await Promise.all(running.map((worker) => worker.exited))
  rmSync(dataDir, { recursive: true, force: true })
})

const WINDOW_S = 10
const table = 'keys.events'
const config = () => ({
  dataDir,
  http: { port: freePort(), idempotency: { windowS: WINDOW_S } },
  tables: [{ name: table, schema: 'id long not null, src string', roll: { intervalMs: 3_600_000 } }],
})
const body = JSON.stringify([...Array.from({ length: 50 }, (_, id) => ({ id, src: 'http' })), { id: 'fifty', src: 'http' }])

async function start(name: string): Promise<WorkerProcess> {
  const worker = await spawnWorker(config(), join(dataDir, `${name}.log`))
  running.push(worker)
  return worker
}

async function send(worker: WorkerProcess): Promise<{ text: string; replayed: boolean }> {
  const response = await fetch(`${worker.url}/v1/tables/${table}/records`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'batch-0001' },
    body,
  })
  expect(response.status).toBe(200)
  return { text: await response.text(), replayed: response.headers.get('idempotent-replayed') === 'true' }
}

async function stop(worker: WorkerProcess): Promise<void> {
  worker.process.kill('SIGTERM')
  expect(await worker.exited).toBe(0)
}

test('ack → commit → restart (clean, then kill -9) → resend: the same answer and no new rows; after the window: a new request', async () => {
  let worker = await start('first')
  const first = await send(worker)
  const answeredAt = Date.now()
  expect(first.replayed).toBe(false)
  expect(JSON.parse(first.text)).toEqual({ accepted: 50, rejected: [{ index: 50, reason: expect.stringContaining('field "id"') }] })
  await stop(worker) // commits the 50 rows and truncates the WAL

  worker = await start('clean-restart')
  expect(await send(worker)).toEqual({ text: first.text, replayed: true })
  worker.process.kill(9)
  await worker.exited

  worker = await start('after-kill')
  expect(await send(worker)).toEqual({ text: first.text, replayed: true })
  await stop(worker)
  expect((await embeddedTableReport(dataDir, table)).count).toBe(50)
  expect((await embeddedTableReport(dataDir, `${table}_dead_letters`)).count).toBe(1)

  await Bun.sleep(Math.max(0, answeredAt + WINDOW_S * 1000 + 200 - Date.now()))
  worker = await start('after-window')
  const late = await send(worker)
  expect(late.replayed).toBe(false)
  expect(late.text).toBe(first.text)
  await stop(worker)
  expect((await embeddedTableReport(dataDir, table)).count).toBe(100)
})
