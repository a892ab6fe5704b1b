/**
 * Issue 13 item 2: catalog commits whose answers get lost, both ways the worker resolves them.
 *
 * The stack's catalog (Iceberg 1.10.1 RESTCatalogServer) does not advertise `idempotency-key-lifetime`
 * in /v1/config (checked by the first test), so:
 * - the header path runs against the fault proxy playing a catalog that honours Idempotency-Key in front of
 *   the real one: every commit carries a UUIDv7 key, resends of one commit carry the same key and get the kept
 *   answer, different commits never share a key, and no commit outcome is ever "unknown" to the worker;
 * - the reload-and-look path runs against the real catalog through a plain fault proxy: no key is sent, and a
 *   lost answer is resolved by reloading the table and finding the snapshot.
 * Both: every acknowledged HTTP row is in the table exactly once (read with PyIceberg).
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { stackEnv } from '../e2e/stack-env.ts'
import { stackWorkerConfig } from '../e2e/worker-config.ts'
import { freePort, spawnWorker, type WorkerProcess } from '../e2e/worker-process.ts'
import { catalogErrorBody, isCatalogCommit, startFaultProxy, type FaultProxy, type FaultProxyOptions } from './fault-proxy.ts'
import { startHttpLoad } from './http-load.ts'
import { idReport } from '../e2e/id-report.ts'

setDefaultTimeout(120_000)

const env = stackEnv()
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const dirs: string[] = []
const workers: WorkerProcess[] = []
const proxies: FaultProxy[] = []
afterAll(async () => {
  for (const worker of workers) worker.process.kill(9)
  await Promise.all(proxies.map((p) => p.close()))
  if (!process.env.KEEP_FAULT_DIRS) for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** Faults on commits only: the point here is the commit's answer, not the reads around it. */
const commitFaults: FaultProxyOptions['rules'] = [
  { kind: 'drop', rate: 0.3, when: isCatalogCommit },
  { kind: '5xx-after', rate: 0.1, when: isCatalogCommit },
  { kind: '5xx', rate: 0.1, when: isCatalogCommit },
]

/** Runs a worker with its catalog behind `proxy`, posts `rows` acknowledged rows, stops it cleanly; returns its log. */
async function ingestThrough(proxy: FaultProxy, table: string, rows: number) {
  const port = freePort()
  const config = stackWorkerConfig({
    http: { enabled: true, host: '127.0.0.1', port },
    catalog: { type: 'rest', uri: proxy.url, requestTimeoutMs: 5_000 },
    tables: [{ name: table, schema: 'id long not null, src string', roll: { intervalMs: 200, maxRows: 400 } }],
  })
  delete config.kafka
  const dataDir = config.dataDir as string
  dirs.push(dataDir)
  const logFile = join(dataDir, 'worker.log')
  const worker = await spawnWorker(config, logFile, 60_000, true)
  workers.push(worker)
  const load = startHttpLoad(() => worker.url, table, { firstId: 1, batch: 250, concurrency: 2, maxRows: rows, pauseMs: 20 })
  await load.done()
  worker.process.kill('SIGTERM') // a clean stop commits what is buffered
  expect(await worker.exited).toBe(0)
  return { load, log: readFileSync(logFile, 'utf8') }
}

describe('catalog commits with lost answers', () => {
  test('the stack catalog (Iceberg 1.10.1) does not advertise idempotency-key-lifetime', async () => {
    const config = (await (await fetch(`${env.restUri}/v1/config`)).json()) as Record<string, unknown>
    expect(config['idempotency-key-lifetime']).toBeUndefined()
    expect(config.endpoints).toContain('POST /v1/{prefix}/namespaces/{namespace}/tables/{table}')
  })

  test('advertised: one UUIDv7 key per commit, the same on every resend, answered from the kept answer; exactly once', async () => {
    const proxy = await startFaultProxy({ upstream: env.restUri, seed: 1301, rules: commitFaults, stallMs: 0, errorBody: catalogErrorBody, idempotency: { lifetime: 'PT30M' } })
    proxies.push(proxy)
    const table = `idem_${crypto.randomUUID().slice(0, 8)}.events`
    const { load, log } = await ingestThrough(proxy, table, 12_000)

    const commits = proxy.keyed.filter((k) => isCatalogCommit(k))
    const byKey = new Map<string, typeof commits>()
    for (const c of commits) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c])
    expect(commits.every((c) => UUID_V7.test(c.key))).toBe(true)
    // One key, one body: a resend is the same request; a different body never reuses a key.
    for (const sent of byKey.values()) expect(new Set(sent.map((c) => c.bodySha256)).size).toBe(1)
    expect(new Set(commits.map((c) => c.bodySha256)).size).toBe(byKey.size)
    const resent = [...byKey.values()].filter((sent) => sent.length > 1)
    expect(resent.length).toBeGreaterThan(0)
    expect(commits.filter((c) => c.outcome === 'replayed').length).toBeGreaterThan(0)
    expect(proxy.injected.drop + proxy.injected['5xx-after']).toBeGreaterThan(0)
    // Resends absorbed every lost answer: the commit loop never had to reload and look.
    expect(log).not.toContain('outcome unknown')
    // Creates carry keys too (namespace and table, on the first start).
    expect(proxy.keyed.filter((k) => !isCatalogCommit(k)).length).toBeGreaterThan(0)

    const report = await idReport(table, 'none', load.acknowledged)
    expect(load.acknowledged.length).toBe(12_000)
    expect({ count: report.count, distinct: report.distinct, missing: report.missing_acknowledged }).toEqual({ count: 12_000, distinct: 12_000, missing: 0 })
    console.log(
      `idempotency-key path: ${byKey.size} commit keys, ${resent.length} resent (${commits.length - byKey.size} resends, ` +
        `${commits.filter((c) => c.outcome === 'replayed').length} answered from the kept answer); faults ${JSON.stringify(proxy.injected)}`,
    )
  })

  test('not advertised: no Idempotency-Key is sent; lost answers are resolved by reloading and finding the snapshot; exactly once', async () => {
    const proxy = await startFaultProxy({ upstream: env.restUri, seed: 1302, rules: commitFaults, stallMs: 0, errorBody: catalogErrorBody })
    proxies.push(proxy)
    const table = `reload_${crypto.randomUUID().slice(0, 8)}.events`
    const { load, log } = await ingestThrough(proxy, table, 12_000)

    expect(proxy.keyHeaders()).toBe(0)
    expect(proxy.injected.drop + proxy.injected['5xx-after']).toBeGreaterThan(0)
    const found = log.split('\n').filter((line) => line.includes('found committed after unknown outcome'))
    expect(found.length).toBeGreaterThan(0)

    const report = await idReport(table, 'none', load.acknowledged)
    expect(load.acknowledged.length).toBe(12_000)
    expect({ count: report.count, distinct: report.distinct, missing: report.missing_acknowledged }).toEqual({ count: 12_000, distinct: 12_000, missing: 0 })
    console.log(`reload-and-look path: ${found.length} commits found landed after a lost answer; faults ${JSON.stringify(proxy.injected)}`)
  })
})
