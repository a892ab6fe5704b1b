/**
 * Ingest worker benchmark (needs `bun run stack up` for Kafka). One worker process on the embedded
 * catalog + local disk, so the figures are the worker's own, not the catalog's:
 *   1. Kafka → committed Iceberg rows/s, vs. a bare @platformatic/kafka consumer in this process;
 *   2. HTTP rows/s in batched POSTs, vs. a bare Bun.serve that only parses the JSON;
 *   3. HTTP ack latency p50/p99 at half the measured throughput;
 *   4. the worker's peak RSS (VmHWM).
 * Usage: bun run bench/ingest.bench.ts [--messages N] [--runs N] [--kafka-only | --http-only] [--max-pending-bytes N] [--fetch-max-bytes N] [--worker-env NAME=VALUE ...]
 *   --max-pending-bytes  the worker's maxPendingBytes (default: the config default)
 *   --fetch-max-bytes    the worker's kafka.fetchMaxBytes (default: the config default)
 *   --worker-env         extra environment for the worker, e.g. a JavaScriptCore setting such as
 *                        BUN_JSC_forceRAMSize=268435456 (overrides the ingest script's), to try a memory trade-off
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

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    'kafka-only': { type: 'boolean', default: false },
    'http-only': { type: 'boolean', default: false },
    'max-pending-bytes': { type: 'string' },
    'fetch-max-bytes': { type: 'string' },
    'worker-env': { type: 'string', multiple: true, default: [] },
  },
})
/** `--kafka-only`: the Kafka runs and their figures, without the fixed-schema runs, the stage limits and HTTP (a quicker before/after). */
const KAFKA_ONLY = values['kafka-only']
/** `--http-only`: the HTTP runs and their figures alone. */
const HTTP_ONLY = values['http-only']
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
const WORKER_ENV: Record<string, string> = {
  ...Object.fromEntries([...INGEST_SCRIPT.matchAll(/\b(BUN_JSC_\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
  ...Object.fromEntries(
    values['worker-env'].map((pair) => {
      const at = pair.indexOf('=')
      if (at < 1) throw new Error(`--worker-env wants NAME=VALUE, got ${JSON.stringify(pair)}`)
      return [pair.slice(0, at), pair.slice(at + 1)]
    }),
  ),
}
const MAX_PENDING_BYTES = values['max-pending-bytes'] === undefined ? DEFAULT_MAX_PENDING_BYTES : Number(values['max-pending-bytes'])

async function startWorker(tables: unknown[]): Promise<Worker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ingest-bench-'))
  const port = freePort()
  const fetchMaxBytes = values['fetch-max-bytes'] === undefined ? {} : { fetchMaxBytes: Number(values['fetch-max-bytes']) }
  const config = { dataDir, maxPendingBytes: MAX_PENDING_BYTES, http: { port }, kafka: { brokers, sessionTimeoutMs: 2000, heartbeatIntervalMs: 300, ...fetchMaxBytes }, tables }
  writeFileSync(join(dataDir, 'bench.json'), JSON.stringify(config))
  const child = Bun.spawn(['bun', 'run', join(import.meta.dir, '..', 'workers/ingest.ts'), '--config', join(dataDir, 'bench.json')], {
    stdout: Bun.file(join(dataDir, 'worker.log')),
    stderr: 'inherit',
    env: { ...process.env, ...WORKER_ENV },
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

/** From its first message to its last, as the worker's figure is: the group join is start-up, not throughput. */
async function bareConsumerRate(topic: string): Promise<number> {
  const consumer = new Consumer({ clientId: 'bench-bare', groupId: `bare-${crypto.randomUUID()}`, bootstrapBrokers: brokers, autocommit: false })
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST })
  let started = 0
  let seen = 0
  for await (const message of stream) {
    if (seen === 0) started = performance.now()
    JSON.parse(message.value.toString())
    if (++seen >= MESSAGES) break
  }
  const seconds = (performance.now() - started) / 1000
  await stream.close()
  await consumer.close(true)
  return MESSAGES / seconds
}

interface KafkaRun {
  /** From the worker's start (process start-up and the consumer group join included). */
  rate: number
  /** From its first commit to its last (the issue's figure): the higher, the later the first commit comes. */
  steadyRate: number
  /** From the first message the worker took in to its last commit: all of the work, none of the start-up. */
  intakeRate: number
  rssMb: number
  sampledRssMb: number
  estimateMb: number
  /** At the sample where RSS peaked (/metrics): the main thread's heap (live and not yet collected) and what its objects held outside it. */
  heapAtPeak: { heapMb: number; externalMb: number }
  /** Worker CPU (all threads) per row, first to last commit. */
  cpuUsPerRow: number
  /** Worker CPU (all threads) per row, first message to last commit. */
  intakeCpuUsPerRow: number
  /** Seconds from the first message to the first commit, and the messages taken in by then. */
  firstCommit: { seconds: number; consumed: number }
}

/** One worker consuming the whole topic (the figures: KafkaRun). */
async function kafkaRun(topic: string, schemaEvolution: 'add-columns' | 'off' = 'add-columns'): Promise<KafkaRun> {
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
  // RSS, the pipeline's own estimate of what it buffers (what maxPendingBytes caps) and the messages it
  // took in, sampled over the whole run; the first sample with a message marks the start of the work.
  const peaks = { rssMb: 0, estimateMb: 0, heap: { heapMb: 0, externalMb: 0 } }
  const gaugeMb = (scraped: string, name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(scraped)?.[1] ?? 0) / 2 ** 20
  let consumed = 0
  let intakeStart: { at: number; cpu: number } | undefined
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      const rssMb = worker.rssMb()
      const scraped = await fetch(`${worker.url}/metrics`).then((r) => r.text()).catch(() => '')
      if (rssMb > peaks.rssMb && scraped) (peaks.rssMb = rssMb), (peaks.heap = { heapMb: gaugeMb(scraped, 'ingest_heap_bytes'), externalMb: gaugeMb(scraped, 'ingest_heap_external_bytes') })
      peaks.estimateMb = Math.max(peaks.estimateMb, Number(/^ingest_pending_bytes (\d+)/m.exec(scraped)?.[1] ?? 0) / 2 ** 20)
      consumed = Math.max(consumed, Number(/^ingest_records_accepted_total\{source="kafka"\} (\d+)/m.exec(scraped)?.[1] ?? 0))
      if (consumed > 0 && !intakeStart) intakeStart = { at: performance.now(), cpu: worker.cpuSeconds() }
      await Bun.sleep(25)
    }
  })()
  let consumedAtFirstCommit = 0
  for (;;) {
    const offsets = await committedOffsets(worker.dataDir, table, topic)
    if (offsets > 0 && !first) (first = { at: performance.now(), offsets, cpu: worker.cpuSeconds() }), (consumedAtFirstCommit = consumed)
    if (offsets >= MESSAGES) break
    await Bun.sleep(25)
  }
  const done = performance.now()
  const cpuDone = worker.cpuSeconds()
  sampling = false
  await sampler
  const rssMb = worker.peakRssMb()
  await worker.stop()
  const begun = intakeStart ?? { at: started, cpu: 0 }
  return {
    rate: MESSAGES / ((done - started) / 1000),
    steadyRate: done > first!.at ? (MESSAGES - first!.offsets) / ((done - first!.at) / 1000) : Number.NaN,
    intakeRate: MESSAGES / ((done - begun.at) / 1000),
    rssMb,
    sampledRssMb: peaks.rssMb,
    estimateMb: peaks.estimateMb,
    heapAtPeak: peaks.heap,
    cpuUsPerRow: ((cpuDone - first!.cpu) / (MESSAGES - first!.offsets)) * 1e6,
    intakeCpuUsPerRow: ((cpuDone - begun.cpu) / MESSAGES) * 1e6,
    firstCommit: { seconds: (first!.at - begun.at) / 1000, consumed: consumedAtFirstCommit },
  }
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
  `ingest bench: ${MESSAGES.toLocaleString('en-US')} Kafka messages, ${RUNS} runs, medians; ${navigator.hardwareConcurrency} cores; worker ${Object.entries(WORKER_ENV).map(([k, v]) => `${k}=${v}`).join(' ') || 'without BUN_JSC_ settings'} (${values['worker-env'].length ? 'with --worker-env' : 'as `bun run ingest`'}), maxPendingBytes ${MAX_PENDING_BYTES / 2 ** 20} MB${values['fetch-max-bytes'] === undefined ? '' : `, kafka.fetchMaxBytes ${values['fetch-max-bytes']}`}`,
)
/** The Kafka runs and their figures (and, unless --kafka-only, the fixed-schema runs and the stage limits). */
async function kafkaSection(): Promise<void> {
  const topic = `bench_${crypto.randomUUID().slice(0, 8)}`
  await createTopic(brokers, topic, 6)
  const payloads = Array.from({ length: MESSAGES }, (_, i) => sensorMessage(i))
  await produce(brokers, topic, payloads, 10_000)

  const bare: number[] = []
  const runs: KafkaRun[] = []
  // The same messages into a table with a fixed schema (schemaEvolution "off"), alternating with the default
  // (add-columns, what every run above uses): what evolution costs when no new field appears.
  const fixed: number[] = []
  for (let run = 0; run < RUNS; run++) {
    bare.push(await bareConsumerRate(topic))
    runs.push(await kafkaRun(topic))
    if (!KAFKA_ONLY) fixed.push((await kafkaRun(topic, 'off')).intakeRate)
  }
  /** The median over the runs of one figure. */
  const of = (figure: (run: KafkaRun) => number) => median(runs.map(figure))
  const intake = of((r) => r.intakeRate)
  console.log(
    `kafka → committed iceberg: ${fmt(intake)} rows/s first message to last commit (bare consumer in this process: ${fmt(median(bare))} msg/s, ratio ${(intake / median(bare)).toFixed(2)}); ` +
      `${fmt(of((r) => r.steadyRate))} rows/s first to last commit, ${fmt(of((r) => r.rate))} rows/s from process start; worker peak RSS ${of((r) => r.rssMb).toFixed(0)} MB`,
  )
  console.log(
    `kafka first commit ${of((r) => r.firstCommit.seconds).toFixed(1)} s after the first message, with ${fmt(of((r) => r.firstCommit.consumed))} messages taken in by then: ` +
      `the first-to-last figure leaves out the work done before the first commit, so a later first commit raises it; first message to last commit counts all of it`,
  )
  console.log(
    `kafka worker CPU, all threads: ${of((r) => r.intakeCpuUsPerRow).toFixed(2)} µs per row first message to last commit, ${of((r) => r.cpuUsPerRow).toFixed(2)} first to last commit (what a busy box disturbs least)`,
  )
  console.log(
    `kafka memory: buffered estimate peaks at ${of((r) => r.estimateMb).toFixed(0)} MB (maxPendingBytes ${MAX_PENDING_BYTES / 2 ** 20} MB) while sampled RSS peaks at ${of((r) => r.sampledRssMb).toFixed(0)} MB (VmHWM ${of((r) => r.rssMb).toFixed(0)} MB); sampled every 25 ms over the whole run; at the RSS peak the main thread's heap held ${of((r) => r.heapAtPeak.heapMb).toFixed(0)} MB (live and not yet collected) and its objects ${of((r) => r.heapAtPeak.externalMb).toFixed(0)} MB outside it (buffers); the rest is code, the encoder thread and the allocator`,
  )
  if (KAFKA_ONLY) return
  // The same messages through each necessary stage alone (bench/stages.ts; bench/limit.bench.ts prints them all).
  const encoder = new TextEncoder()
  const stages = await stageRates(payloads.map((payload) => encoder.encode(payload)))
  console.log(
    `schema evolution on (add-columns, no new field) ${fmt(intake)} rows/s vs fixed schema (off) ${fmt(median(fixed))} rows/s, first message to last commit: evolution costs ${(((median(fixed) - intake) / median(fixed)) * 100).toFixed(1)}%`,
  )
  const slowest = slowestStage({ consumer: median(bare), ...stages })
  console.log(
    `kafka limit: consumer ${fmt(median(bare))}, parse ${fmt(stages.parse)}, coerce ${fmt(stages.coerce)}, encode ${fmt(stages.encode)} msg/s; slowest necessary stage ${slowest.name}: the worker reaches ${((intake / slowest.rate) * 100).toFixed(0)}% of it (first message to last commit)`,
  )
}

if (!HTTP_ONLY) await kafkaSection()
if (KAFKA_ONLY) process.exit(0)

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
