/**
 * Where the worker's time goes on the Kafka path (needs `bun run stack up`): produces N sensor
 * messages, runs one worker under Bun's sampling CPU profiler (`--cpu-prof-md`) until the table
 * holds them all, stops it (the profile is written on exit) and prints the profile's path and the
 * run's rate. Read the markdown's "self time" table for the hot functions.
 * Usage: bun run bench/profile-kafka.ts [--messages N] [--out DIR]
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { committedKafkaOffsets } from '../src/batcher/markers.ts'
import { tableMarkers } from '../src/batcher/table-markers.ts'
import { createSqliteCatalog } from '../src/catalog/embedded/sqlite-catalog.ts'
import { createFileIO } from '../src/storage/file-io.ts'
import { createFsStore } from '../src/storage/fs.ts'
import { createTopic, produce } from '../test/e2e/kafka-topics.ts'
import { stackEnv } from '../test/e2e/stack-env.ts'
import { freePort } from '../test/e2e/worker-process.ts'
import { sensorMessage } from './stages.ts'

const { values } = parseArgs({ options: { messages: { type: 'string', default: '500000' }, out: { type: 'string', default: tmpdir() } } })
const MESSAGES = Number(values.messages)
const brokers = [stackEnv().kafkaBootstrap]

const topic = `profile_${crypto.randomUUID().slice(0, 8)}`
await createTopic(brokers, topic, 6)
await produce(brokers, topic, Array.from({ length: MESSAGES }, (_, i) => sensorMessage(i)), 10_000)

const dataDir = mkdtempSync(join(tmpdir(), 'profile-kafka-'))
const profileDir = mkdtempSync(join(values.out, 'kafka-profile-'))
const table = 'bench.profile'
const config = {
  dataDir,
  http: { port: freePort() },
  kafka: { brokers, sessionTimeoutMs: 2000, heartbeatIntervalMs: 300 },
  tables: [{ name: table, schema: 'sensor_id string, timestamp timestamp, reading double', partitionBy: 'sensor_id', roll: { intervalMs: 1_000, maxRows: 100_000 }, http: false, kafka: { topics: [topic], groupId: `profile-${crypto.randomUUID()}` } }],
}
writeFileSync(join(dataDir, 'bench.json'), JSON.stringify(config))
const started = performance.now()
const child = Bun.spawn(['bun', '--cpu-prof-md', `--cpu-prof-dir=${profileDir}`, join(import.meta.dir, '..', 'workers/ingest.ts'), '--config', join(dataDir, 'bench.json')], {
  stdout: Bun.file(join(dataDir, 'worker.log')),
  stderr: 'inherit',
  env: { ...process.env, BUN_JSC_forceRAMSize: '536870912' },
})

async function committed(): Promise<number> {
  const io = createFileIO([createFsStore(join(dataDir, 'warehouse'))])
  const catalog = createSqliteCatalog({ path: join(dataDir, 'catalog.db'), warehouse: `file://${dataDir}/warehouse`, io })
  try {
    const loaded = await catalog.loadTable({ namespace: ['bench'], name: 'profile' })
    return [...committedKafkaOffsets(tableMarkers(loaded.metadata).markers, topic).values()].reduce((a, b) => a + Number(b), 0)
  } catch {
    return 0
  } finally {
    catalog.close()
  }
}

while ((await committed()) < MESSAGES) await Bun.sleep(100)
const seconds = (performance.now() - started) / 1000
child.kill('SIGTERM')
await child.exited
rmSync(dataDir, { recursive: true, force: true })
console.log(`${MESSAGES.toLocaleString('en-US')} messages committed in ${seconds.toFixed(1)} s from process start (${Math.round(MESSAGES / seconds).toLocaleString('en-US')} rows/s, profiler on)`)
console.log(`profile: ${readdirSync(profileDir).map((name) => join(profileDir, name)).join(', ')}`)
