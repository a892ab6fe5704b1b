/**
 * Issue 5 acceptance 1 and 2 against the real stack: Kafka → worker → Iceberg (REST catalog on
 * SigV4 S3), read back by PyIceberg. The worker runs in this process; crash tests use processes.
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from 'bun:test'
import { rmSync } from 'node:fs'
import { parseConfig } from '../../src/config/config.ts'
import { startWorker, type RunningWorker } from '../../src/worker/ingest-worker.ts'
import { consumeAll, createTopic, endOffsets, produce } from './kafka-topics.ts'
import { runPython } from './pyiceberg.ts'
import { stackEnv } from './stack-env.ts'
import { stackWorkerConfig } from './worker-config.ts'
import { freePort } from './worker-process.ts'

// Real services on a 2-core machine: far beyond bun's 5 s default (set per file: bun applies it to the calling file only).
setDefaultTimeout(120_000)

interface Report {
  count: number
  rows?: Record<string, unknown>[]
  group_count?: Record<string, number>
  snapshots: { summary: Record<string, string> }[]
}

const env = stackEnv()
const brokers = [env.kafkaBootstrap]
const dirs: string[] = []
const workers: RunningWorker[] = []
afterAll(async () => {
  for (const worker of workers) await worker.stop()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function workerConfig(tables: unknown[]) {
  const raw = stackWorkerConfig({ tables })
  dirs.push(raw.dataDir as string)
  return parseConfig(raw, {})
}

async function report(table: string, extra: Record<string, unknown> = {}): Promise<Report> {
  return (await runPython('table_report.py', [JSON.stringify({ table, catalog: { type: 'rest' }, ...extra })])) as Report
}

/** Polls PyIceberg until `table` holds `count` rows or `timeoutMs` passes; returns the last report. */
async function waitForRows(table: string, count: number, timeoutMs: number, extra: Record<string, unknown> = {}): Promise<Report> {
  const deadline = Date.now() + timeoutMs
  let last: Report | undefined
  while (Date.now() < deadline) {
    try {
      last = await report(table, extra)
      if (last.count >= count) return last
    } catch {
      // table not created yet
    }
    await Bun.sleep(500)
  }
  return last ?? report(table, extra)
}

describe('Kafka → Iceberg', () => {
  test("the seed's Flink pipeline: 50,000 messages (id INT, data STRING) become exactly 50,000 rows", async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `my_data_topic_${suffix}`
    await createTopic(brokers, topic, 3)
    await produce(brokers, topic, Array.from({ length: 50_000 }, (_, id) => JSON.stringify({ id, data: `row-${id}` })))
    const rollMs = 2_000
    const started = Date.now()
    const worker = await startWorker(
      workerConfig([
        { name: `seed_${suffix}.my_iceberg_table`, schema: 'id int, data string', roll: { intervalMs: rollMs }, http: false, kafka: { topics: [topic], groupId: `g-${suffix}` } },
      ]),
      () => {},
    )
    workers.push(worker)
    const result = await waitForRows(`seed_${suffix}.my_iceberg_table`, 50_000, rollMs + 25_000, { rows: true })
    const elapsedMs = Date.now() - started
    expect(result.count).toBe(50_000)
    const ids = new Set(result.rows!.map((row) => row.id as number))
    expect(ids.size).toBe(50_000)
    expect(Math.min(...ids)).toBe(0)
    expect(Math.max(...ids)).toBe(49_999)
    console.log(`seed pipeline: 50,000 rows queryable ${elapsedMs} ms after the worker started (roll interval ${rollMs} ms)`)
    // The newest snapshot carries the complete offsets: every partition at its end.
    const offsets = JSON.parse(result.snapshots.at(-1)!.summary[`ingest.kafka.${topic}`]!) as Record<string, number>
    expect(Object.values(offsets).reduce((a, b) => a + b, 0)).toBe(50_000)
  })

  test('sensor_data with 5% malformed messages: good rows land once, every bad one is a dead letter with its reason', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `sensor_data_${suffix}`
    await createTopic(brokers, topic, 2)
    const values: string[] = []
    let good = 0
    const perSensor: Record<string, number> = {}
    for (let i = 0; i < 10_000; i++) {
      if (i % 20 === 7) {
        // 5%: alternate the three kinds of bad input
        values.push(i % 3 === 0 ? `{not json ${i}` : i % 3 === 1 ? JSON.stringify({ sensor_id: `s${i % 4}`, timestamp: '2026-01-01T00:00:00', reading: 'hot' }) : JSON.stringify({ timestamp: 1767225600000, reading: 1 }))
        continue
      }
      const sensor = `s${i % 4}`
      perSensor[sensor] = (perSensor[sensor] ?? 0) + 1
      good++
      values.push(JSON.stringify({ sensor_id: sensor, timestamp: 1767225600000 + i, reading: i / 4 }))
    }
    await produce(brokers, topic, values)
    const worker = await startWorker(
      workerConfig([
        {
          name: `learning_${suffix}.sensor_readings`,
          schema: 'sensor_id string not null, timestamp timestamp, reading double',
          partitionBy: 'sensor_id',
          roll: { intervalMs: 1_000 },
          http: false,
          kafka: { topics: [topic], groupId: `g-${suffix}` },
        },
      ]),
      () => {},
    )
    workers.push(worker)
    const main = await waitForRows(`learning_${suffix}.sensor_readings`, good, 30_000, { group_count: 'sensor_id' })
    expect(main.count).toBe(good)
    expect(main.group_count).toEqual(perSensor)
    const dead = await waitForRows(`learning_${suffix}.sensor_readings_dead_letters`, 500, 10_000, { rows: true })
    expect(dead.count).toBe(500)
    const reasons = dead.rows!.map((row) => row.error as string)
    expect(reasons.filter((r) => r.startsWith('value is not JSON')).length).toBeGreaterThan(100)
    expect(reasons.filter((r) => r.includes('"reading"')).length).toBeGreaterThan(100)
    expect(reasons.filter((r) => r.includes('sensor_id')).length).toBeGreaterThan(100)
    for (const row of dead.rows!) {
      expect(row.source).toBe('kafka')
      expect(row.topic).toBe(topic)
      expect(typeof row.raw).toBe('string')
      expect(row.offset).not.toBeNull()
    }
  })
})

describe('Kafka lag in /metrics', () => {
  test('ingest_kafka_lag is reported per partition and falls to 0 once the table holds the topic', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `lag_${suffix}`
    await createTopic(brokers, topic, 3)
    await produce(brokers, topic, Array.from({ length: 3_000 }, (_, id) => JSON.stringify({ id, data: 'x' })))
    const port = freePort()
    const raw = stackWorkerConfig({
      http: { enabled: true, host: '127.0.0.1', port },
      tables: [{ name: `lag_${suffix}.events`, schema: 'id int, data string', roll: { intervalMs: 500 }, http: false, kafka: { topics: [topic], groupId: `g-${suffix}` } }],
    })
    dirs.push(raw.dataDir as string)
    workers.push(await startWorker(parseConfig(raw, {}), () => {}))
    expect((await waitForRows(`lag_${suffix}.events`, 3_000, 30_000)).count).toBe(3_000)
    const lagLines = async () => (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).split('\n').filter((line) => line.startsWith(`ingest_kafka_lag{topic="${topic}"`))
    expect((await lagLines()).sort()).toEqual([0, 1, 2].map((p) => `ingest_kafka_lag{topic="${topic}",partition="${p}"} 0`))
  })
})

describe('Kafka → Iceberg with a dead-letter topic', () => {
  test('bad messages are forwarded as they arrived with dlq.* context; one the topic refuses lands in the dead-letter table; good rows land once', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `dlq_src_${suffix}`
    const dlqTopic = `dlq_${suffix}`
    const table = `dlq_${suffix}.events`
    await createTopic(brokers, topic, 2)
    // Small enough that one oversized message is refused (MESSAGE_TOO_LARGE), large enough for batches of small ones.
    await createTopic(brokers, dlqTopic, 1, { 'max.message.bytes': String(64 * 1024) })
    const values = Array.from({ length: 2_000 }, (_, id) => (id % 20 === 3 ? `{broken ${id}` : JSON.stringify({ id, data: `row-${id}` })))
    await produce(brokers, topic, values)
    const worker = await startWorker(
      workerConfig([{ name: table, schema: 'id int not null, data string', roll: { intervalMs: 500 }, http: false, kafka: { topics: [topic], groupId: `g-${suffix}`, deadLetterTopic: dlqTopic } }]),
      () => {},
    )
    workers.push(worker)
    const forwarded = await consumeAll(brokers, dlqTopic, 100)
    const byKey = new Map(forwarded.map((m) => [m.key.toString(), m]))
    expect(byKey.size).toBe(100)
    for (const [key, message] of byKey) {
      expect(Number(key) % 20).toBe(3)
      expect(message.value.toString()).toBe(values[Number(key)]!)
      const header = (name: string) => [...message.headers].find(([k]) => k.toString() === name)?.[1].toString()
      expect(header('dlq.error')).toStartWith('value is not JSON')
      expect(header('dlq.topic')).toBe(topic)
      expect(header('dlq.table')).toBe(table)
      expect(header('dlq.offset')).toMatch(/^\d+$/)
    }

    // Now one the dead-letter topic cannot take: it must still be kept, in the dead-letter table.
    const huge = `not json ${'x'.repeat(200 * 1024)}`
    await produce(brokers, topic, [huge])
    const dead = await waitForRows(`dlq_${suffix}.events_dead_letters`, 1, 30_000, { rows: true })
    expect(dead.count).toBe(1)
    expect(dead.rows![0]!.raw).toBe(huge)
    expect(dead.rows![0]!.error as string).toContain(`dead-letter topic ${dlqTopic} refused it`)
    const main = await waitForRows(table, 1_900, 30_000, { rows: true })
    expect(main.count).toBe(1_900)
    expect(new Set(main.rows!.map((row) => row.id)).size).toBe(1_900)
    // The table's offsets move past every bad message: all 2,001 are accounted for.
    const deadline = Date.now() + 20_000
    let offsets: Record<string, number> = {}
    while (Date.now() < deadline) {
      const latest = await report(table)
      offsets = JSON.parse(latest.snapshots.at(-1)!.summary[`ingest.kafka.${topic}`] ?? '{}') as Record<string, number>
      if (Object.values(offsets).reduce((a, b) => a + b, 0) === 2_001) break
      await Bun.sleep(500)
    }
    expect(offsets).toEqual(await endOffsets(brokers, topic, 2))
  })

  test('a dead-letter topic that does not exist stops start-up with what to type', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `dlq_src_${suffix}`
    await createTopic(brokers, topic, 1)
    const starting = startWorker(
      workerConfig([{ name: `dlq_${suffix}.events`, schema: 'id int', http: false, kafka: { topics: [topic], groupId: `g-${suffix}`, deadLetterTopic: `missing_${suffix}` } }]),
      () => {},
    )
    await expect(starting).rejects.toThrow(`dead-letter topic missing_${suffix} is not available`)
    await expect(starting).rejects.toThrow(`bun run topics create missing_${suffix}`)
  })
})
