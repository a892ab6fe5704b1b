/**
 * Issue 5 acceptance 4 and 5: kill -9 the worker at 20 random moments during a 200,000-message Kafka
 * run with HTTP posts in flight; then two workers in one group on a 6-partition topic, one killed
 * and restarted midway. The table must hold every Kafka message and every acknowledged HTTP record
 * exactly once (checked by id with PyIceberg).
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { seededRandom } from '../../scripts/cli/sensor-data.ts'
import { consumeAll, createTopic, endOffsets, produce } from './kafka-topics.ts'
import { idReport, type IdReport } from './id-report.ts'
import { freePort, spawnWorker, startPoster, type WorkerProcess } from './worker-process.ts'
import { stackEnv } from './stack-env.ts'
import { stackWorkerConfig } from './worker-config.ts'

// Real services on a 2-core machine: far beyond bun's 5 s default (set per file: bun applies it to the calling file only).
setDefaultTimeout(120_000)

/**
 * The kill moments come from one seed, printed at the start; `CRASH_SEED=<seed>` repeats a run's moments (each test
 * draws its own sequence from it, so a test run alone with -t gets the same moments too).
 */
const SEED = (() => {
  const given = process.env.CRASH_SEED
  if (given === undefined || given === '') return crypto.getRandomValues(new Uint32Array(1))[0]!
  if (!/^\d+$/.test(given) || Number(given) > 0xffffffff) throw new Error(`CRASH_SEED must be an integer 0..4294967295, got ${JSON.stringify(given)}`)
  return Number(given)
})()
console.log(`crash-safety: kill moments from seed ${SEED} (CRASH_SEED=${SEED} repeats them)`)

const brokers = [stackEnv().kafkaBootstrap]
const dirs: string[] = []
const running: WorkerProcess[] = []
afterAll(() => {
  for (const worker of running) worker.process.kill(9)
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function config(table: string, topic: string, group: string, port: number, dataDir?: string) {
  const raw = stackWorkerConfig({
    http: { enabled: true, host: '127.0.0.1', port },
    kafka: { brokers, sessionTimeoutMs: 2_000, heartbeatIntervalMs: 300 },
    tables: [{ name: table, schema: 'id long not null, src string', roll: { intervalMs: 500, maxRows: 25_000 }, kafka: { topics: [topic], groupId: group } }],
  })
  if (dataDir) raw.dataDir = dataDir
  dirs.push(raw.dataDir as string)
  return raw
}

/** Waits until the table's newest snapshot says every message of the topic is committed. */
async function waitForOffsets(table: string, topic: string, total: number, timeoutMs: number): Promise<IdReport> {
  const deadline = Date.now() + timeoutMs
  let report = await idReport(table, topic, [])
  while (Date.now() < deadline) {
    if (Object.values(report.offsets).reduce((a, b) => a + b, 0) >= total) return report
    await Bun.sleep(1_000)
    report = await idReport(table, topic, [])
  }
  return report
}

describe('crash safety', () => {
  test('kill -9 at 20 random moments: every Kafka message and every acknowledged HTTP record exactly once', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `crash_${suffix}`
    const table = `crash_${suffix}.events`
    const total = 200_000
    await createTopic(brokers, topic, 3)
    await produce(brokers, topic, Array.from({ length: total }, (_, id) => JSON.stringify({ id, src: 'kafka' })), 5_000)
    const port = freePort()
    const raw = config(table, topic, `g-${suffix}`, port)
    const dataDir = raw.dataDir as string
    let current: WorkerProcess | undefined
    const poster = startPoster(() => `http://127.0.0.1:${port}`, table, 10_000_000)
    const random = seededRandom(SEED)
    for (let kill = 0; kill < 20; kill++) {
      current = await spawnWorker(raw, join(dataDir, `worker-${kill}.log`))
      running.push(current)
      await Bun.sleep(300 + random() * 2_500)
      current.process.kill(9)
      await current.exited
    }
    await poster.stop()
    current = await spawnWorker(raw, join(dataDir, 'worker-final.log'))
    running.push(current)
    const drained = await waitForOffsets(table, topic, total, 120_000)
    current.process.kill('SIGTERM')
    expect(await current.exited).toBe(0)

    const report = await idReport(table, topic, poster.acknowledged)
    console.log(`crash test: ${report.count} rows (${report.kafka_ids} from Kafka, ${poster.acknowledged.length} acknowledged over HTTP) after 20 kills`)
    expect(Object.values(drained.offsets).reduce((a, b) => a + b, 0)).toBe(total)
    expect(report.distinct).toBe(report.count) // no id twice
    expect(report.kafka_ids).toBe(total)
    expect([report.kafka_min, report.kafka_max]).toEqual([0, total - 1])
    expect(report.missing_acknowledged).toBe(0)
    expect(poster.acknowledged.length).toBeGreaterThan(0)
  }, 400_000)

  test('two workers in one group on 6 partitions, one killed and restarted midway: exactly once', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `scale_${suffix}`
    const table = `scale_${suffix}.events`
    const total = 60_000
    await createTopic(brokers, topic, 6)
    const producing = produce(brokers, topic, Array.from({ length: total }, (_, id) => JSON.stringify({ id, src: 'kafka' })), 1_000)
    const a = config(table, topic, `g-${suffix}`, freePort())
    const b = config(table, topic, `g-${suffix}`, freePort())
    const workerA = await spawnWorker(a, join(a.dataDir as string, 'a.log'))
    let workerB = await spawnWorker(b, join(b.dataDir as string, 'b-0.log'))
    running.push(workerA, workerB)
    await Bun.sleep(2_000)
    workerB.process.kill(9)
    await workerB.exited
    await Bun.sleep(1_500)
    workerB = await spawnWorker(b, join(b.dataDir as string, 'b-1.log'))
    running.push(workerB)
    await producing
    const drained = await waitForOffsets(table, topic, total, 120_000)
    for (const worker of [workerA, workerB]) worker.process.kill('SIGTERM')
    expect(await workerA.exited).toBe(0)
    expect(await workerB.exited).toBe(0)
    const report = await idReport(table, topic, [])
    const topicEnds = await endOffsets(brokers, topic, 6)
    expect(drained.offsets).toEqual(topicEnds)
    expect(Object.values(drained.offsets).reduce((x, y) => x + y, 0)).toBe(total)
    expect(report.distinct).toBe(report.count)
    expect(report.kafka_ids).toBe(total)
  }, 300_000)

  test('kill -9 while bad messages go to a dead-letter topic: every good row once, every bad message forwarded at least once', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `dlqcrash_${suffix}`
    const dlqTopic = `dlqcrash_dlq_${suffix}`
    const table = `dlqcrash_${suffix}.events`
    const total = 60_000
    await createTopic(brokers, topic, 3)
    await createTopic(brokers, dlqTopic, 1)
    const bad = (id: number) => id % 50 === 7
    await produce(brokers, topic, Array.from({ length: total }, (_, id) => (bad(id) ? `{broken ${id}` : JSON.stringify({ id, src: 'kafka' }))), 5_000)
    const raw = config(table, topic, `g-${suffix}`, freePort())
    const tables = raw.tables as { kafka: Record<string, unknown> }[]
    tables[0]!.kafka.deadLetterTopic = dlqTopic
    const dataDir = raw.dataDir as string
    const random = seededRandom(SEED)
    for (let kill = 0; kill < 6; kill++) {
      const worker = await spawnWorker(raw, join(dataDir, `worker-${kill}.log`))
      running.push(worker)
      await Bun.sleep(300 + random() * 1_500)
      worker.process.kill(9)
      await worker.exited
    }
    const last = await spawnWorker(raw, join(dataDir, 'worker-final.log'))
    running.push(last)
    const drained = await waitForOffsets(table, topic, total, 120_000)
    last.process.kill('SIGTERM')
    expect(await last.exited).toBe(0)

    const badIds = Array.from({ length: total }, (_, id) => id).filter(bad)
    const report = await idReport(table, topic, [])
    expect(drained.offsets).toEqual(await endOffsets(brokers, topic, 3))
    expect(report.count).toBe(total - badIds.length)
    expect(report.distinct).toBe(report.count)
    // At least once: a crash between a forward and the table commit forwards again; none may be missing.
    const dlqEnd = Object.values(await endOffsets(brokers, dlqTopic, 1)).reduce((a, b) => a + b, 0)
    const forwarded = await consumeAll(brokers, dlqTopic, dlqEnd, 30_000)
    const header = (message: (typeof forwarded)[number], name: string) => [...message.headers].find(([k]) => k.toString() === name)?.[1].toString()
    const seen = new Set(forwarded.map((m) => Number(/^\{broken (\d+)$/.exec(m.value.toString())![1])))
    expect([...seen].sort((a, b) => a - b)).toEqual(badIds)
    const coordinates = new Set(forwarded.map((m) => `${header(m, 'dlq.partition')}:${header(m, 'dlq.offset')}`))
    expect(coordinates.size).toBe(badIds.length)
    console.log(`dead-letter crash test: ${forwarded.length} forwards for ${badIds.length} bad messages after 6 kills`)
  }, 300_000)
})
