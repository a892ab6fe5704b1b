/**
 * The limit of the Kafka → Iceberg path on this box, stage by stage (needs `bun run stack up` for Kafka):
 * (a) the bare consumer, (b) decode + JSON.parse, (c) coercion, (d) the Parquet encode of the coerced
 * columns, (e) the WAL append that HTTP records need (Kafka records skip it) — each alone, on the same
 * sensor messages. Prints figures only; `bun run bench:ingest` prints the worker's rate as a fraction of
 * the slowest necessary stage.
 * Usage: bun run bench/limit.bench.ts [--messages N]
 */
import { Consumer, MessagesStreamModes } from '@platformatic/kafka'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Wal } from '../src/wal/wal.ts'
import { createTopic, produce } from '../test/e2e/kafka-topics.ts'
import { stackEnv } from '../test/e2e/stack-env.ts'
import { sensorMessage, slowestStage, stageRates } from './stages.ts'

const { values: args } = parseArgs({ options: { messages: { type: 'string', default: '1000000' } } })
const MESSAGES = Number(args.messages)
const brokers = [stackEnv().kafkaBootstrap]
const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US').padStart(12)} msg/s`

/**
 * Reads the whole topic with a bare consumer, keeping each value's bytes (what the worker's stages then
 * take); timed from the first message, as the worker is: the group join is start-up, not throughput.
 */
async function consume(topic: string): Promise<{ rate: number; values: Uint8Array[] }> {
  const consumer = new Consumer({ clientId: 'bench-limit', groupId: `limit-${crypto.randomUUID()}`, bootstrapBrokers: brokers, autocommit: false })
  const values: Uint8Array[] = []
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST })
  let started = 0
  for await (const message of stream) {
    if (values.length === 0) started = performance.now()
    values.push(message.value as Uint8Array)
    if (values.length >= MESSAGES) break
  }
  const rate = MESSAGES / ((performance.now() - started) / 1000)
  await stream.close()
  await consumer.close(true)
  return { rate, values }
}

/** WAL appends as HTTP makes them: one entry of 1,000 records per request, 16 requests in flight, fsync on. */
async function walRate(values: Uint8Array[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'limit-wal-'))
  try {
    const wal = await Wal.open(dir, { fsync: true })
    const entries: Uint8Array[] = []
    const encoder = new TextEncoder()
    for (let i = 0; i < values.length; i += 1_000) entries.push(encoder.encode(`[${values.slice(i, i + 1_000).map((v) => new TextDecoder().decode(v)).join(',')}]`))
    let next = 0
    const started = performance.now()
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < entries.length) await wal.append([entries[next++]!])
      }),
    )
    const rate = values.length / ((performance.now() - started) / 1000)
    await wal.close()
    return rate
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const topic = `limit_${crypto.randomUUID().slice(0, 8)}`
await createTopic(brokers, topic, 3)
await produce(brokers, topic, Array.from({ length: MESSAGES }, (_, i) => sensorMessage(i)), 10_000)
const consumed = await consume(topic)
const stages = await stageRates(consumed.values)
const wal = await walRate(consumed.values)
console.log(`limit of the Kafka path on ${MESSAGES.toLocaleString('en-US')} sensor messages, each stage alone on one core (medians of 3):`)
console.log(`  (a) bare consumer             ${fmt(consumed.rate)}`)
console.log(`  (b) decode + JSON.parse       ${fmt(stages.parse)}`)
console.log(`  (c) coercion                  ${fmt(stages.coerce)}`)
console.log(`  (d) Parquet encode (zstd)     ${fmt(stages.encode)}`)
console.log(`  (e) WAL append (HTTP only)    ${fmt(wal)}  (1,000 records per entry, 16 in flight, fsync)`)
const serial = 1 / (1 / consumed.rate + 1 / stages.parse + 1 / stages.coerce + 1 / stages.encode)
const slowest = slowestStage({ consumer: consumed.rate, ...stages })
console.log(`  all of (a)-(d) on one core, one after another: ${fmt(serial)}`)
console.log(`  slowest necessary stage: ${slowest.name} at ${fmt(slowest.rate)} (the ceiling with the stages spread over both cores)`)
