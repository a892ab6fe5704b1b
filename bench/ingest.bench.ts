/**
 * Ingest worker benchmark (needs `bun run stack up` for Kafka). One worker process on the embedded
 * catalog + local disk, so the figures are the worker's own, not the catalog's:
 *   1. Kafka → committed Iceberg rows/s, vs. a bare @platformatic/kafka consumer in this process;
 *   2. HTTP rows/s in batched POSTs, vs. a bare Bun.serve that only parses the JSON;
 *   3. HTTP ack latency p50/p99 at half the measured throughput;
 *   4. the worker's peak RSS (VmHWM).
 * Usage: bun run bench/ingest.bench.ts [--messages N] [--runs N] [--kafka-only]
 */
import { Consumer, MessagesStreamModes } from '@platformatic/kafka'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createSqliteCatalog } from '../src/catalog/embedded/sqlite-catalog.ts'
import { DEFAULT_MAX_PENDING_BYTES } from '../src/pipeline/pipeline.ts'
import { committedKafkaOffsets } from '../src/batcher/markers.ts'
import { tableMarkers } from '../src/batcher/table-markers.ts'
import { createFileIO } from '../src/storage/file-io.ts'
import { createFsStore } from '../src/storage/fs.ts'
import { createTopic, produce } from '../test/e2e/kafka-topics.ts'
import { stackEnv } from '../test/e2e/stack-env.ts'
import { freePort } from '../test/e2e/worker-process.ts'
import { sensorMessage, slowestStage, stageRates } from './stages.ts'

const { values } = parseArgs({ options: { messages: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' }, 'kafka-only': { type: 'boolean', default: false } } })
/** `--kafka-only`: the Kafka runs and their figures, without the fixed-schema runs, the stage limits and HTTP (a quicker before/after). */
const KAFKA_ONLY = values['kafka-only']
const MESSAGES = Number(values.messages)
const RUNS = Number(values.runs)
const env = stackEnv()
const brokers = [env.kafkaBootstrap]
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

interface Worker {
  pid: number
  url: string
  dataDir: string
  stop(): Promise<void>
  peakRssMb(): number
  rssMb(): number
  /** CPU seconds the worker process has used so far, all threads (utime + stime): unlike wall time, barely moved by other load on the box. */
  cpuSeconds(): number
}

/** The heap sizing `bun run ingest` gives the worker (package.json), so the figures are those of the documented command. */
const INGEST_SCRIPT = (JSON.parse(readFileSync(join(import.meta.dir, '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.ingest ?? ''
/** The JavaScriptCore settings `bun run ingest` starts the worker with (package.json), e.g. BUN_JSC_forceRAMSize. */
const WORKER_JSC_ENV = Object.fromEntries([...INGEST_SCRIPT.matchAll(/\b(BUN_JSC_\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]))

async function startWorker(tables: unknown[]): Promise<Worker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ingest-bench-'))
  const port = freePort()
  const config = { dataDir, http: { port }, kafka: { brokers, sessionTimeoutMs: 2000, heartbeatIntervalMs: 300 }, tables }
  writeFileSync(join(dataDir, 'bench.json'), JSON.stringify(config))
  const child = Bun.spawn(['bun', 'run', join(import.meta.dir, '..', 'workers/ingest.ts'), '--config', join(dataDir, 'bench.json')], {
    stdout: Bun.file(join(dataDir, 'worker.log')),
    stderr: 'inherit',
    env: { ...process.env, ...WORKER_JSC_ENV },
  })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break
    } catch {}
    await Bun.sleep(100)
  }
  return {
    pid: child.pid,
    url,
    dataDir,
    peakRssMb: () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024,
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024,
    cpuSeconds: () => {
      // Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name, in clock ticks (100 per second).
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      return (Number(fields[11]) + Number(fields[12])) / 100
    },
    async stop() {
      child.kill('SIGTERM')
      await child.exited
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Sum of committed offsets of `topic` in `table`'s newest snapshot, read from the worker's embedded catalog. */
function committedOffsets(dataDir: string, table: string, topic: string): Promise<number> {
  const io = createFileIO([createFsStore(join(dataDir, 'warehouse'))])
  const catalog = createSqliteCatalog({ path: join(dataDir, 'catalog.db'), warehouse: `file://${dataDir}/warehouse`, io })
  const [ns, name] = table.split('.') as [string, string]
  return catalog
    .loadTable({ namespace: [ns], name })
    .then((t) => [...committedKafkaOffsets(tableMarkers(t.metadata).markers, topic).values()].reduce((a, b) => a + Number(b), 0))
    .catch(() => 0)
    .finally(() => catalog.close())
}

async function bareConsumerRate(topic: string): Promise<number> {
  const consumer = new Consumer({ clientId: 'bench-bare', groupId: `bare-${crypto.randomUUID()}`, bootstrapBrokers: brokers, autocommit: false })
  const started = performance.now()
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST })
  let seen = 0
  for await (const message of stream) {
    JSON.parse(message.value.toString())
    if (++seen >= MESSAGES) break
  }
  const seconds = (performance.now() - started) / 1000
  await stream.close()
  await consumer.close(true)
  return MESSAGES / seconds
}

/**
 * One worker consuming the whole topic. `rate` counts from the worker's start (process start-up and
 * the consumer group join included); `steadyRate` from its first commit to its last, which is what
 * a long-running worker sustains.
 */
async function kafkaRun(topic: string, schemaEvolution: 'add-columns' | 'off' = 'add-columns'): Promise<{ rate: number; steadyRate: number; rssMb: number; sampledRssMb: number; estimateMb: number; cpuUsPerRow: number }> {
  const table = `bench.kafka_${crypto.randomUUID().slice(0, 8)}`
  const started = performance.now()
  const worker = await startWorker([
    {
      name: table,
      schema: 'sensor_id string, timestamp timestamp, reading double',
      partitionBy: 'sensor_id',
      roll: { intervalMs: 1_000, maxRows: 100_000 },
      schemaEvolution,
      http: false,
      kafka: { topics: [topic], groupId: `bench-${crypto.randomUUID()}` },
    },
  ])
  let first: { at: number; offsets: number; cpu: number } | undefined
  // RSS and the pipeline's own estimate of what it buffers (what maxPendingBytes caps), sampled over the whole run.
  const peaks = { rssMb: 0, estimateMb: 0 }
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      peaks.rssMb = Math.max(peaks.rssMb, worker.rssMb())
      const scraped = await fetch(`${worker.url}/metrics`).then((r) => r.text()).catch(() => '')
      peaks.estimateMb = Math.max(peaks.estimateMb, Number(/^ingest_pending_bytes (\d+)/m.exec(scraped)?.[1] ?? 0) / 2 ** 20)
      await Bun.sleep(100)
    }
  })()
  for (;;) {
    const offsets = await committedOffsets(worker.dataDir, table, topic)
    if (offsets > 0 && !first) first = { at: performance.now(), offsets, cpu: worker.cpuSeconds() }
    if (offsets >= MESSAGES) break
    await Bun.sleep(50)
  }
  const done = performance.now()
  const cpuUsPerRow = ((worker.cpuSeconds() - first!.cpu) / (MESSAGES - first!.offsets)) * 1e6
  sampling = false
  await sampler
  const rssMb = worker.peakRssMb()
  await worker.stop()
  const steadyRate = done > first!.at ? (MESSAGES - first!.offsets) / ((done - first!.at) / 1000) : Number.NaN
  return { rate: MESSAGES / ((done - started) / 1000), steadyRate, rssMb, sampledRssMb: peaks.rssMb, estimateMb: peaks.estimateMb, cpuUsPerRow }
}

function sensorBatch(start: number, size: number): string {
  const rows = []
  for (let i = start; i < start + size; i++) rows.push({ sensor_id: `sensor-${i % 10}`, timestamp: 1767225600000 + i, reading: (i % 4000) / 4 })
  return JSON.stringify(rows)
}

/** POSTs `requests` batches with `concurrency` in flight, optionally paced to `rowsPerSecond`; returns rows/s and latencies. */
async function postLoad(url: string, requests: number, batch: number, concurrency: number, rowsPerSecond?: number) {
  const bodies = Array.from({ length: 8 }, (_, i) => sensorBatch(i * batch, batch))
  const latencies: number[] = []
  let retries = 0
  let next = 0
  const started = performance.now()
  const loop = async () => {
    while (next < requests) {
      const n = next++
      if (rowsPerSecond) {
        const due = started + ((n * batch) / rowsPerSecond) * 1000
        const wait = due - performance.now()
        if (wait > 0) await Bun.sleep(wait)
      }
      const t0 = performance.now()
      // A 503 is the worker shedding load (buffers or WAL full): wait as told and send again, as a client would.
      for (;;) {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[n % bodies.length] })
        await response.arrayBuffer()
        if (response.ok) break
        if (response.status !== 503) throw new Error(`HTTP ${response.status}`)
        retries++
        await Bun.sleep(Number(response.headers.get('retry-after') ?? 1) * 1000)
      }
      latencies.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  return { rate: (requests * batch) / ((performance.now() - started) / 1000), latencies, retries }
}

async function baselineHttpRate(batch: number): Promise<number> {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: async (req) => Response.json({ accepted: (JSON.parse(await req.text()) as unknown[]).length }) })
  const { rate } = await postLoad(`http://127.0.0.1:${server.port}/`, 400, batch, 16)
  server.stop(true)
  return rate
}

console.log(
  `ingest bench: ${MESSAGES.toLocaleString('en-US')} Kafka messages, ${RUNS} runs, medians; ${navigator.hardwareConcurrency} cores; worker ${Object.entries(WORKER_JSC_ENV).map(([k, v]) => `${k}=${v}`).join(' ') || 'without BUN_JSC_ settings'} (as \`bun run ingest\`)`,
)
const topic = `bench_${crypto.randomUUID().slice(0, 8)}`
await createTopic(brokers, topic, 6)
const payloads = Array.from({ length: MESSAGES }, (_, i) => sensorMessage(i))
await produce(brokers, topic, payloads, 10_000)

const bare: number[] = []
const kafka: number[] = []
const steady: number[] = []
const rss: number[] = []
const sampledRss: number[] = []
const cpuPerRow: number[] = []
const estimates: number[] = []
// The same messages into a table with a fixed schema (schemaEvolution "off"), alternating with the default
// (add-columns, what every run above uses): what evolution costs when no new field appears.
const fixed: number[] = []
for (let run = 0; run < RUNS; run++) {
  bare.push(await bareConsumerRate(topic))
  const result = await kafkaRun(topic)
  kafka.push(result.rate)
  steady.push(result.steadyRate)
  rss.push(result.rssMb)
  sampledRss.push(result.sampledRssMb)
  cpuPerRow.push(result.cpuUsPerRow)
  estimates.push(result.estimateMb)
  if (!KAFKA_ONLY) fixed.push((await kafkaRun(topic, 'off')).steadyRate)
}
console.log(
  `kafka → committed iceberg: ${fmt(median(steady))} rows/s first to last commit, ${fmt(median(kafka))} rows/s from process start (bare consumer in this process: ${fmt(median(bare))} msg/s, ratio ${(median(steady) / median(bare)).toFixed(2)}); worker peak RSS ${median(rss).toFixed(0)} MB`,
)
console.log(`kafka worker CPU, all threads, first to last commit: ${median(cpuPerRow).toFixed(2)} µs per row (what a busy box disturbs least)`)
console.log(
  `kafka memory: buffered estimate peaks at ${median(estimates).toFixed(0)} MB (maxPendingBytes ${DEFAULT_MAX_PENDING_BYTES / 2 ** 20} MB) while sampled RSS peaks at ${median(sampledRss).toFixed(0)} MB (VmHWM ${median(rss).toFixed(0)} MB); sampled every 100 ms over the whole run`,
)
if (KAFKA_ONLY) process.exit(0)
// The same messages through each necessary stage alone (bench/stages.ts; bench/limit.bench.ts prints them all).
const encoder = new TextEncoder()
const stages = await stageRates(payloads.map((payload) => encoder.encode(payload)))
console.log(
  `schema evolution on (add-columns, no new field) ${fmt(median(steady))} rows/s vs fixed schema (off) ${fmt(median(fixed))} rows/s: evolution costs ${(((median(fixed) - median(steady)) / median(fixed)) * 100).toFixed(1)}%`,
)
const slowest = slowestStage({ consumer: median(bare), ...stages })
console.log(
  `kafka limit: consumer ${fmt(median(bare))}, parse ${fmt(stages.parse)}, coerce ${fmt(stages.coerce)}, encode ${fmt(stages.encode)} msg/s; slowest necessary stage ${slowest.name}: the worker reaches ${((median(steady) / slowest.rate) * 100).toFixed(0)}% of it`,
)

const BATCH = 1_000
const httpRates: number[] = []
const baseRates: number[] = []
const p50: number[] = []
const p99: number[] = []
const httpRss: number[] = []
const shed: number[] = []
const targetP50: number[] = []
const targetP99: number[] = []
for (let run = 0; run < RUNS; run++) {
  baseRates.push(await baselineHttpRate(BATCH))
  const worker = await startWorker([{ name: 'bench.http', schema: 'sensor_id string, timestamp timestamp, reading double', partitionBy: 'sensor_id', roll: { intervalMs: 2_000 } }])
  const url = `${worker.url}/v1/tables/bench.http/records`
  const full = await postLoad(url, 400, BATCH, 16)
  httpRates.push(full.rate)
  shed.push(full.retries)
  const half = await postLoad(url, 300, BATCH, 16, full.rate / 2)
  p50.push(percentile(half.latencies, 0.5))
  p99.push(percentile(half.latencies, 0.99))
  // Also at half the issue's 150k rows/s target, the load the p99 ≤ 10 ms target is stated for.
  const target = await postLoad(url, 600, BATCH, 16, 75_000)
  targetP50.push(percentile(target.latencies, 0.5))
  targetP99.push(percentile(target.latencies, 0.99))
  httpRss.push(worker.peakRssMb())
  await worker.stop()
}
console.log(`http (${BATCH} rows per POST, 16 in flight, ${median(shed)} requests shed with 503 and retried): ${fmt(median(httpRates))} rows/s (bare Bun.serve + JSON.parse: ${fmt(median(baseRates))} rows/s, ratio ${(median(httpRates) / median(baseRates)).toFixed(2)}); worker peak RSS ${median(httpRss).toFixed(0)} MB`)
console.log(`http ack latency at half load (${fmt(median(httpRates) / 2)} rows/s): p50 ${median(p50).toFixed(1)} ms, p99 ${median(p99).toFixed(1)} ms`)
console.log(`http ack latency at 75,000 rows/s (half the 150k target): p50 ${median(targetP50).toFixed(1)} ms, p99 ${median(targetP99).toFixed(1)} ms`)
