/**
 * The worker's own share of the Kafka path, without the broker or the Kafka client: KafkaSource →
 * pipeline → encoder thread → embedded catalog, fed N sensor messages shaped as the client delivers
 * them (1 MB fetches, one event-loop turn between fetches, pause honoured). Prints the intake thread's
 * CPU time per message (its own thread's, so other processes on the box disturb it far less than wall
 * time), the wall time inside the source's listener (decode, coerce, buffer), the end-to-end rate to
 * the last commit, and peak RSS — the part of bench:ingest that is ours to make faster.
 * Usage: bun run bench/kafka-path.bench.ts [--messages N]   (add --cpu-prof-md to bun to profile it)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { zstdCompress } from '../src/adapter/bun/zstd.ts'
import { createSqliteCatalog } from '../src/catalog/embedded/sqlite-catalog.ts'
import { Pipeline } from '../src/pipeline/pipeline.ts'
import type { GroupConsumer, KafkaMessage, MessageStream } from '../src/sources/kafka/client-ports.ts'
import { KafkaSource } from '../src/sources/kafka/kafka-source.ts'
import { createFileIO } from '../src/storage/file-io.ts'
import { createFsStore } from '../src/storage/fs.ts'
import { ParquetEncoderThread } from '../src/worker/parquet-encoder.ts'
import { SENSOR_SCHEMA, SENSOR_SPEC, sensorMessage } from './stages.ts'

const { values } = parseArgs({ options: { messages: { type: 'string', default: '1000000' }, partitions: { type: 'string', default: '6' } } })
const MESSAGES = Number(values.messages)
const PARTITIONS = Number(values.partitions)
const FETCH_MESSAGES = 12_000 // ~1 MB of sensor messages, the worker's maxFetchBytes
const topic = 'bench'

// Values from a pool (the table does not mind repeats), so the bench's own heap stays small.
const pool = Array.from({ length: 4096 }, (_, i) => Buffer.from(sensorMessage(i)))
/** The client's message `i`: partitions interleave one fetch at a time, offsets rise within each. */
const message = (i: number): KafkaMessage => ({
  topic,
  partition: Math.floor(i / FETCH_MESSAGES) % PARTITIONS,
  offset: BigInt(i),
  key: undefined,
  value: pool[i % pool.length],
  headers: new Map(),
  timestamp: 1767225600000n,
})

let listenerNs = 0
let paused = false
let delivered = 0
let resumeDelivery: (() => void) | undefined
const stream: MessageStream & { deliver(listener: (message: KafkaMessage) => void): void } = {
  deliver(listener) {
    const step = () => {
      if (paused) return void (resumeDelivery = step)
      const end = Math.min(MESSAGES, delivered + FETCH_MESSAGES)
      const fetch: KafkaMessage[] = []
      for (let i = delivered; i < end; i++) fetch.push(message(i))
      const started = Bun.nanoseconds()
      for (const m of fetch) listener(m)
      listenerNs += Bun.nanoseconds() - started
      delivered = end
      if (delivered < MESSAGES) setImmediate(step)
    }
    setImmediate(step)
  },
  onMessage(listener) {
    this.deliver(listener)
  },
  onError() {},
  pause: () => void (paused = true),
  resume() {
    paused = false
    const resume = resumeDelivery
    resumeDelivery = undefined
    if (resume) setImmediate(resume)
  },
  isPaused: () => paused,
  close: async () => {},
}
const consumer: GroupConsumer = {
  consume: async () => stream,
  commit: async () => {},
  highWatermarks: async () => new Map([[topic, Array.from({ length: PARTITIONS }, () => BigInt(MESSAGES))]]),
  onGroupJoin: () => {},
  assignments: () => [],
  close: async () => {},
}

const dir = mkdtempSync(join(tmpdir(), 'kafka-path-bench-'))
const encoder = new ParquetEncoderThread()
try {
  const io = createFileIO([createFsStore(join(dir, 'warehouse'))])
  const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: `file://${dir}/warehouse`, io })
  const noLog = { id: 'bench', append: async () => 0n, truncate: async () => {}, replay: async function* () {}, bytes: 0, segmentCount: 0 }
  const pipeline = await Pipeline.start({
    catalog,
    io,
    log: noLog as never,
    tables: [{ identifier: { namespace: ['bench'], name: 'path' }, schema: SENSOR_SCHEMA, partitionSpec: SENSOR_SPEC, triggers: { intervalMs: 1_000, maxRows: 100_000, maxBytes: 128 << 20 } }],
    compression: 'zstd',
    compressors: { zstd: zstdCompress },
    encoder: encoder.encode,
  })
  const table = pipeline.table(['bench'], 'path')!
  const source = new KafkaSource({ groupId: 'bench', consumer, routes: [{ topic, table: table.intake }], intake: pipeline.intake })
  let committedRows = 0
  pipeline.intake.onCommitted((event) => {
    if (event.table.name === 'path') committedRows += event.rows
  })
  const started = performance.now()
  const cpuBefore = process.threadCpuUsage()
  await source.start()
  while (committedRows < MESSAGES) await Bun.sleep(10)
  const seconds = (performance.now() - started) / 1000
  const cpu = process.threadCpuUsage(cpuBefore)
  const rssMb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024
  console.log(
    `kafka path without the broker, ${MESSAGES.toLocaleString('en-US')} messages: intake thread CPU ${((cpu.user + cpu.system) / MESSAGES).toFixed(2)} µs/msg (listener ${(listenerNs / MESSAGES / 1000).toFixed(2)} µs/msg wall); ${Math.round(MESSAGES / seconds).toLocaleString('en-US')} rows/s to the last commit; ${table.batcher.stats.commits} commits; peak RSS ${rssMb.toFixed(0)} MB`,
  )
  await source.stop()
  await pipeline.stop()
  catalog.close()
} finally {
  encoder.close()
  rmSync(dir, { recursive: true, force: true })
}
