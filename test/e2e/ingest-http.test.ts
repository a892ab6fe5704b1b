/**
 * Issue 5 acceptance 3: 10,000 records in 100 HTTP requests, mixed valid and invalid. Every
 * acknowledged valid record lands exactly once (PyIceberg reads them back by id); every invalid
 * one is reported in its response and stored as a dead letter with its reason.
 */
import { afterAll, expect, test, setDefaultTimeout } from 'bun:test'
import { rmSync } from 'node:fs'
import { parseConfig } from '../../src/config/config.ts'
import { startWorker, type RunningWorker } from '../../src/worker/ingest-worker.ts'
import { runPython } from './pyiceberg.ts'
import { stackWorkerConfig } from './worker-config.ts'

// Real services on a 2-core machine: far beyond bun's 5 s default (set per file: bun applies it to the calling file only).
setDefaultTimeout(120_000)

interface Report {
  count: number
  rows: Record<string, unknown>[]
}

let worker: RunningWorker | undefined
let dataDir: string | undefined
afterAll(async () => {
  await worker?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

test('HTTP: 100 requests, 10,000 records, valid ones land exactly once, invalid ones are dead letters', async () => {
  const suffix = crypto.randomUUID().slice(0, 8)
  const table = `http_${suffix}.events`
  const raw = stackWorkerConfig({
    http: { enabled: true, host: '127.0.0.1', port: 0 },
    tables: [{ name: table, schema: 'id long not null, kind string, value double, at timestamptz', partitionBy: 'kind', roll: { intervalMs: 1_000 } }],
  })
  dataDir = raw.dataDir as string
  worker = await startWorker(parseConfig(raw, {}), () => {})
  const url = `${worker.url}/v1/tables/${table}/records`

  const acknowledged = new Set<number>()
  let rejectedReported = 0
  const invalidIds: number[] = []
  const send = async (request: number) => {
    const records: unknown[] = []
    for (let i = 0; i < 100; i++) {
      const id = request * 100 + i
      if (i % 10 === 3) {
        invalidIds.push(id)
        records.push(i % 20 === 3 ? { id, kind: 'k', value: 'not a number', at: '2026-01-01T00:00:00Z' } : { id, kind: 'k', value: 1, at: 'yesterday' })
      } else records.push({ id, kind: `k${id % 5}`, value: id / 8, at: 1767225600000 + id })
    }
    // Half the requests as NDJSON, half as a JSON array.
    const ndjson = request % 2 === 0
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' },
      body: ndjson ? records.map((r) => JSON.stringify(r)).join('\n') : JSON.stringify(records),
    })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { accepted: number; rejected: { index: number; reason: string }[] }
    expect(body.accepted).toBe(90)
    expect(body.rejected.map((r) => r.index)).toEqual(Array.from({ length: 10 }, (_, k) => k * 10 + 3))
    for (const rejected of body.rejected) expect(rejected.reason).toMatch(/field "(value|at)"/)
    rejectedReported += body.rejected.length
    for (let i = 0; i < 100; i++) if (i % 10 !== 3) acknowledged.add(request * 100 + i)
  }
  for (let wave = 0; wave < 10; wave++) await Promise.all(Array.from({ length: 10 }, (_, k) => send(wave * 10 + k)))
  expect(acknowledged.size).toBe(9_000)
  expect(rejectedReported).toBe(1_000)

  const deadline = Date.now() + 20_000
  let report: Report | undefined
  while (Date.now() < deadline) {
    report = (await runPython('table_report.py', [JSON.stringify({ table, catalog: { type: 'rest' }, rows: true })])) as Report
    if (report.count >= 9_000) break
    await Bun.sleep(500)
  }
  expect(report!.count).toBe(9_000)
  const ids = report!.rows.map((row) => row.id as number)
  expect(new Set(ids).size).toBe(9_000)
  expect(ids.every((id) => acknowledged.has(id))).toBe(true)

  const dead = (await runPython('table_report.py', [JSON.stringify({ table: `${table}_dead_letters`, catalog: { type: 'rest' }, rows: true })])) as Report
  expect(dead.count).toBe(1_000)
  const deadIds = dead.rows.map((row) => (JSON.parse(row.raw as string) as { id: number }).id).sort((a, b) => a - b)
  expect(deadIds).toEqual(invalidIds.sort((a, b) => a - b))
  for (const row of dead.rows) {
    expect(row.source).toBe('http')
    expect(row.error).toMatch(/field "(value|at)"/)
  }
})
