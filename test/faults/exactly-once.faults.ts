/**
 * Issue 13's acceptance run: HTTP and Kafka load (≥ 200,000 rows each, unique ids) into one table, with S3
 * and the REST catalog behind fault proxies (10% 5xx, 5% stalls past the client timeout, resets mid-body,
 * and on commits dropped answers and 503s after the commit landed), 10 kill -9 of the worker with
 * `bun run maintain` (compaction, expiry to 1 snapshot) between some restarts, and one broker restart in the
 * middle of consumption. PyIceberg must see every acknowledged id exactly once. The last worker's /health is
 * `degraded` while the faults last and `ok` once they stop, and its /metrics count retried calls by target.
 * Prints the figures table (faults by kind, commit retries, rows sent / acked / committed / duplicated / lost).
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { textTable } from '../../scripts/cli/text-table.ts'
import { createTopic, produce } from '../e2e/kafka-topics.ts'
import { runPython } from '../e2e/pyiceberg.ts'
import { stackEnv } from '../e2e/stack-env.ts'
import { stackWorkerConfig } from '../e2e/worker-config.ts'
import { freePort, spawnWorker, type WorkerProcess } from '../e2e/worker-process.ts'
import { catalogErrorBody, FAULT_KINDS, isCatalogCommit, s3ErrorBody, seededRandom, startFaultProxy, type FaultKind, type FaultProxy, type FaultRule } from './fault-proxy.ts'
import { startHttpLoad } from './http-load.ts'
import { ensureBrokerRunning, startBroker, stopBroker } from './kafka-broker.ts'
import { metricSamples, waitForHealth } from './worker-status.ts'

setDefaultTimeout(600_000)

const SEED = Number(process.env.FAULT_SEED ?? 1313)
const KAFKA_ROWS = 200_000
const HTTP_ROWS = 200_000
const KILLS = 10
/** After these kills (counted from 1) the table is compacted and expired to one snapshot before the restart. */
const MAINTAIN_AFTER = new Set([3, 7])
/**
 * The worker life during which the broker restarts. Not the last one: after a broker restart
 * @platformatic/kafka 2.12.1 keeps fetching with the old leader epoch — every fetch is answered
 * FENCED_LEADER_EPOCH and retried a second later, for as long as that consumer lives — so a worker that
 * saw the restart stays `degraded` (rightly: each fetch waits a second) and could never show `ok` again.
 */
const BROKER_RESTART_DURING = 5
const S3_TIMEOUT_MS = 2_000
const CATALOG_TIMEOUT_MS = 3_000
const TARGETS = ['s3', 'catalog', 'kafka'] as const

const env = stackEnv()
const brokers = [env.kafkaBootstrap]
const random = seededRandom(SEED)
const workers: WorkerProcess[] = []
const proxies: FaultProxy[] = []
const cleanups: (() => void)[] = []
afterAll(async () => {
  for (const worker of workers) worker.process.kill(9)
  // The stack must have its broker back, whatever happened above.
  await ensureBrokerRunning()
  await Promise.all(proxies.map((p) => p.close()))
  if (!process.env.KEEP_FAULT_DIRS) for (const cleanup of cleanups) cleanup()
})

interface SourceFigures {
  committed: number
  distinct: number
  duplicated: number
  lost: number
}
interface FaultReport {
  http: SourceFigures & { acknowledged_duplicated: number; unacknowledged_present: number }
  kafka: SourceFigures & { out_of_range: number }
  offsets: Record<string, number>
  snapshots: number
  data_files: number
}

/** The newest snapshot's Kafka offsets for `topic`, summed: how many messages the table says it holds. */
async function committedOffsets(table: string, topic: string): Promise<number> {
  const { offsets } = (await runPython(join(import.meta.dir, 'py', 'fault_report.py'), [table, topic])) as { offsets: Record<string, number> }
  return Object.values(offsets).reduce((a, b) => a + b, 0)
}

async function faultReport(table: string, topic: string, acknowledged: number[]): Promise<FaultReport> {
  const file = join(tmpdir(), `fault-report-${crypto.randomUUID()}.json`)
  writeFileSync(file, JSON.stringify({ http: acknowledged, kafka_total: KAFKA_ROWS }))
  try {
    return (await runPython(join(import.meta.dir, 'py', 'fault_report.py'), [table, topic, file])) as FaultReport
  } finally {
    rmSync(file, { force: true })
  }
}

/** `bun run maintain` straight at the stack (no proxy): the operator's tool, between two worker lives. */
async function maintain(configFile: string, table: string, ...args: string[]): Promise<void> {
  const proc = Bun.spawn(['bun', join(import.meta.dir, '../../scripts/maintain.ts'), table, ...args, '--config', configFile], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { PATH: process.env.PATH ?? '' },
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  if (code !== 0) throw new Error(`maintain ${table} ${args.join(' ')} exited ${code}:\n${stderr}\n${stdout}`)
}

/** Retried and failed calls by target on a running worker's /metrics (0 when it has none yet). */
async function remoteCalls(url: string): Promise<Record<string, { retried: number; failed: number }>> {
  const [retried, failed] = await Promise.all([metricSamples(url, 'ingest_remote_calls_retried_total'), metricSamples(url, 'ingest_remote_calls_failed_total')])
  return Object.fromEntries(TARGETS.map((t) => [t, { retried: retried.get(`target="${t}"`) ?? 0, failed: failed.get(`target="${t}"`) ?? 0 }]))
}

/** Faults of `kind` the proxy injected, or `-` when it has no rule of that kind (e.g. no dropped answers on S3). */
function injectedCell(proxy: FaultProxy, rules: FaultRule[], kind: FaultKind): string {
  return rules.some((rule) => rule.kind === kind) ? String(proxy.injected[kind]) : '-'
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await Bun.sleep(500)
  }
}

describe('exactly once under faults', () => {
  test('HTTP + Kafka through faulty S3 and catalog, 10 kill -9, maintenance, a broker restart: every acknowledged id once', async () => {
    const began = performance.now()
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `faults_${suffix}`
    const table = `faults_${suffix}.events`
    const s3Rules: FaultRule[] = [
      { kind: '5xx', rate: 0.1 },
      { kind: 'stall', rate: 0.05 },
      { kind: 'reset', rate: 0.02 },
    ]
    const catalogRules: FaultRule[] = [
      { kind: 'drop', rate: 0.15, when: isCatalogCommit },
      { kind: '5xx-after', rate: 0.05, when: isCatalogCommit },
      { kind: '5xx', rate: 0.1 },
      { kind: 'stall', rate: 0.05 },
    ]
    const s3 = await startFaultProxy({
      upstream: env.s3Endpoint,
      seed: SEED,
      rules: s3Rules,
      stallMs: S3_TIMEOUT_MS + 1_000,
      errorBody: s3ErrorBody,
    })
    const catalog = await startFaultProxy({
      upstream: env.restUri,
      seed: SEED + 1,
      rules: catalogRules,
      stallMs: CATALOG_TIMEOUT_MS + 1_000,
      errorBody: catalogErrorBody,
    })
    proxies.push(s3, catalog)

    const port = freePort()
    const url = `http://127.0.0.1:${port}`
    const raw = stackWorkerConfig({
      http: { enabled: true, host: '127.0.0.1', port },
      catalog: { type: 'rest', uri: catalog.url, requestTimeoutMs: CATALOG_TIMEOUT_MS },
      kafka: { brokers, sessionTimeoutMs: 2_000, heartbeatIntervalMs: 300 },
      // Commit pacing off (maxIntervalMs = intervalMs): slow faulty commits would stretch the interval to 10 s
      // and, with the backlog folded into one snapshot, leave too few calls per /health window to show
      // `degraded` while the faults last; one commit a second keeps every worker's life exposed to them.
      tables: [{ name: table, schema: 'id long not null, src string', roll: { intervalMs: 1_000, maxIntervalMs: 1_000, maxRows: 25_000 }, kafka: { topics: [topic], groupId: `g-${suffix}` } }],
    })
    raw.storage = { ...(raw.storage as Record<string, unknown>), endpoint: s3.url, requestTimeoutMs: S3_TIMEOUT_MS }
    const dataDir = raw.dataDir as string
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    // maintain talks to the stack directly: the same catalog and bucket, no proxy.
    const maintainConfig = join(dataDir, 'maintain.json')
    const direct = { ...raw, dataDir: join(dataDir, 'maintain'), http: { enabled: false }, catalog: { type: 'rest', uri: env.restUri }, storage: { ...(raw.storage as object), endpoint: env.s3Endpoint } }
    writeFileSync(maintainConfig, JSON.stringify(direct))

    // Most of the Kafka messages up front; the rest during the life that sees the broker restart.
    const firstKafka = 150_000
    await createTopic(brokers, topic, 3)
    await produce(brokers, topic, Array.from({ length: firstKafka }, (_, id) => JSON.stringify({ id, src: 'kafka' })), 5_000)

    // ~3,000 rows/s: 200,000 acknowledged over the kill cycles and the last worker's life, not in the first few.
    const load = startHttpLoad(() => url, table, { firstId: 10_000_000, batch: 500, concurrency: 1, pauseMs: 120 })
    const calls: Record<string, { retried: number; failed: number }>[] = []
    const logs: string[] = []
    let startFailures = 0
    /**
     * Starts a worker as a supervisor would: a start-up that fails on a fault (all of a read's retries spent)
     * is tried again, up to three times, and counted.
     */
    const spawn = async (name: string) => {
      for (let attempt = 1; ; attempt++) {
        const logFile = join(dataDir, `${name}${attempt > 1 ? `-retry-${attempt}` : ''}.log`)
        logs.push(logFile)
        try {
          const worker = await spawnWorker(raw, logFile, 120_000, true)
          workers.push(worker)
          return worker
        } catch (error) {
          const reason = readFileSync(`${logFile}.err`, 'utf8').trim()
          // Only what an injected fault explains is worth another start; anything else is a real failure.
          if (attempt >= 3 || !/REST catalog|S3 |TimeoutError|ECONNRESET|HTTP 5\d\d/.test(reason)) throw error
          startFailures++
          console.log(`${name}: start-up failed under faults, starting again (${reason})`)
        }
      }
    }
    let maintained = 0
    let brokerDown = 0
    let brokerUp = 0
    let duringRestart: Record<string, { retried: number; failed: number }> = {}
    for (let kill = 1; kill <= KILLS; kill++) {
      const worker = await spawn(`worker-${kill}`)
      if (kill === BROKER_RESTART_DURING) {
        // The rest of the messages, then the broker goes away and comes back while this worker consumes them.
        await produce(brokers, topic, Array.from({ length: KAFKA_ROWS - firstKafka }, (_, i) => JSON.stringify({ id: firstKafka + i, src: 'kafka' })), 5_000)
        brokerDown = await stopBroker()
        try {
          await Bun.sleep(2_000)
        } finally {
          brokerUp = await startBroker()
        }
        await Bun.sleep(2_000)
        duringRestart = await remoteCalls(worker.url)
      }
      await Bun.sleep(1_500 + random() * 2_500)
      calls.push(await remoteCalls(worker.url).catch(() => ({})))
      worker.process.kill(9)
      await worker.exited
      if (MAINTAIN_AFTER.has(kill)) {
        await maintain(maintainConfig, table, 'compact')
        await maintain(maintainConfig, table, 'expire', '--retain-last', '1', '--older-than', '0', '--grace', '0')
        maintained++
      }
    }

    // The last worker, faults still on: degraded while they last, ok once they stop.
    const final = await spawn('worker-final')
    const healthSeen = new Set<string>()
    const whileFaulty = await waitForHealth(final.url, 'degraded', 60_000, healthSeen)
    expect(whileFaulty.status).toBe('degraded')
    expect(whileFaulty.reasons.some((r) => /^(s3|catalog|kafka): /.test(r))).toBe(true)
    // Its own /metrics count the faults it meets, by target.
    let duringFaults: Record<string, { retried: number; failed: number }> = {}
    const counted = (target: string) => (duringFaults[target]?.retried ?? 0) + (duringFaults[target]?.failed ?? 0) > 0
    await until(
      'retried S3 and catalog calls on the last worker /metrics',
      async () => {
        duringFaults = await remoteCalls(final.url)
        return counted('s3') && counted('catalog')
      },
      120_000,
    )
    await until(`${HTTP_ROWS} acknowledged HTTP rows`, () => load.acknowledged.length >= HTTP_ROWS, 240_000)
    await load.stop()

    // Faults off: the worker says ok again, drains Kafka, and stops cleanly.
    s3.active = false
    catalog.active = false
    const healed = await waitForHealth(final.url, 'ok', 30_000)
    expect(healed).toEqual({ status: 'ok', reasons: [] })
    await until(
      'every Kafka message committed',
      async () => (await committedOffsets(table, topic)) >= KAFKA_ROWS,
      180_000,
    )
    calls.push(await remoteCalls(final.url))
    final.process.kill('SIGTERM')
    expect(await final.exited).toBe(0)

    const report = await faultReport(table, topic, load.acknowledged)
    const logText = logs.map((file) => readFileSync(file, 'utf8')).join('\n')
    const commitRetries = (logText.match(/ snapshot \d+ attempt \d+: (conflict|outcome unknown)/g) ?? []).length
    const foundLanded = (logText.match(/found committed after (conflict|unknown outcome)/g) ?? []).length
    const total = (target: string, field: 'retried' | 'failed') => calls.reduce((sum, c) => sum + (c[target]?.[field] ?? 0), 0)
    const seconds = ((performance.now() - began) / 1000).toFixed(0)

    const figures = [
      `fault run (seed ${SEED}, ${seconds} s): ${KILLS} kill -9, ${maintained} maintain runs (compact + expire to 1 snapshot), ` +
        `1 broker restart (stop ${(brokerDown / 1000).toFixed(1)} s, ready ${(brokerUp / 1000).toFixed(1)} s after start), ` +
        `${startFailures} worker start-ups failed by a fault and were started again`,
      '',
      textTable(
        ['faults injected', 's3', 'catalog'],
        [
          ...FAULT_KINDS.map((kind) => [kind, injectedCell(s3, s3Rules, kind), injectedCell(catalog, catalogRules, kind)]),
          ['requests seen', String([...s3.requests.values()].reduce((a, b) => a + b, 0)), String([...catalog.requests.values()].reduce((a, b) => a + b, 0))],
        ],
        [1, 2],
      ),
      '',
      textTable(
        ['calls (worker /metrics, all lives)', 'retried', 'failed'],
        TARGETS.map((t) => [t, String(total(t, 'retried')), String(total(t, 'failed'))]),
        [1, 2],
      ),
      '',
      `commits: ${report.snapshots} snapshots kept, ${report.data_files} data files; ${commitRetries} commit attempts retried ` +
        `(conflict or unknown outcome), ${foundLanded} found landed on reload`,
      '',
      textTable(
        ['rows', 'sent', 'acked', 'committed', 'duplicated', 'lost'],
        [
          ['http', String(load.sent()), String(load.acknowledged.length), String(report.http.committed), String(report.http.acknowledged_duplicated), String(report.http.lost)],
          ['kafka', String(KAFKA_ROWS), String(KAFKA_ROWS), String(report.kafka.committed), String(report.kafka.duplicated), String(report.kafka.lost)],
        ],
        [1, 2, 3, 4, 5],
      ),
      `http: ${report.http.unacknowledged_present} rows sent but not acknowledged are in the table too (their request was cut by a kill after the WAL had them); ` +
        `refused answers ${JSON.stringify(Object.fromEntries(load.refused))}`,
    ].join('\n')
    console.log(`\n${figures}\n`)

    // The pass condition: no acknowledged row lost or duplicated, from either source.
    expect(load.acknowledged.length).toBeGreaterThanOrEqual(HTTP_ROWS)
    expect({ lost: report.http.lost, duplicated: report.http.duplicated }).toEqual({ lost: 0, duplicated: 0 })
    expect({ lost: report.kafka.lost, duplicated: report.kafka.duplicated, outOfRange: report.kafka.out_of_range }).toEqual({ lost: 0, duplicated: 0, outOfRange: 0 })
    expect(Object.values(report.offsets).reduce((a, b) => a + b, 0)).toBe(KAFKA_ROWS)
    // The faults happened, and the worker counted them by target.
    expect(s3.injected['5xx'] + s3.injected.stall + catalog.injected.drop + catalog.injected['5xx-after']).toBeGreaterThan(0)
    expect(catalog.injected.drop + catalog.injected['5xx-after']).toBeGreaterThan(0)
    expect([counted('s3'), counted('catalog')]).toEqual([true, true])
    // The worker that lived through the broker restart counted Kafka's retries.
    expect(duringRestart.kafka!.retried + duringRestart.kafka!.failed).toBeGreaterThan(0)
    expect(healthSeen.has('degraded')).toBe(true)
  })
})
