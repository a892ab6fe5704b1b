/**
 * Issue 12 acceptance (upserts): a Debezium-shaped topic — inserts, updates and deletes (each delete followed by its
 * tombstone, as Debezium sends them) over 1,000 keys — produced while the worker is kill -9'd 5 times; afterwards
 * both independent readers see exactly the final state per key computed by the model here, with no key twice:
 *   - PyIceberg 0.12 (its scan applies v2 position deletes and v3 deletion vectors);
 *   - Iceberg Java 1.10.1 (IcebergGenerics, which applies position deletes and deletion vectors);
 * and `bun run query` (DuckDB over the files our planning picks, the deleted positions removed) agrees.
 * v2 table (position-delete files) for the whole stream; a v3 table (deletion vectors, which PyIceberg 0.12 applies
 * too) for a shorter stream with 3 kills, then our compaction and more changes after it, so the file stays near 90 s.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { Producer, stringSerializers } from '@platformatic/kafka'
import { seededRandom } from '../../scripts/cli/sensor-data.ts'
import { committedKafkaOffsets } from '../../src/batcher/markers.ts'
import { tableMarkers } from '../../src/batcher/table-markers.ts'
import { createRestCatalog } from '../../src/catalog/rest/client.ts'
import { tableIdentifier } from '../../src/iceberg/table-identifier.ts'
import { createTopic, endOffsets } from './kafka-topics.ts'
import { JavaWriter, restCatalog } from './java-writer.ts'
import { runPython } from './pyiceberg.ts'
import { stackEnv } from './stack-env.ts'
import { freePort, spawnWorker, type WorkerProcess } from './worker-process.ts'
import { stackWorkerConfig } from './worker-config.ts'
import { runStackCli } from './stack-cli.ts'

setDefaultTimeout(180_000)

const env = stackEnv()
const brokers = [env.kafkaBootstrap]
const PARTITIONS = 3
const dirs: string[] = []
const running: WorkerProcess[] = []
let java: JavaWriter

beforeAll(async () => {
  const logDir = stackWorkerConfig({ tables: [] }).dataDir as string
  dirs.push(logDir)
  java = await JavaWriter.start(env, join(logDir, 'java.log'))
})

afterAll(async () => {
  for (const worker of running) worker.process.kill(9)
  await Promise.all(running.map((w) => w.exited))
  await java?.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

interface Change {
  op: 'c' | 'u' | 'd'
  id: number
  version: number
}

/**
 * `creates` inserts (the first one per key, then re-inserts of existing or deleted keys), `updates` and `deletes` of
 * keys that exist at that point, shuffled from `seed`; `final` is the model: key → the version of its last image, or
 * absent when its last change is a delete.
 */
function changeStream(seed: number, keys: number, creates: number, updates: number, deletes: number) {
  const random = seededRandom(seed)
  const rest: Change['op'][] = [...Array(creates - keys).fill('c'), ...Array(updates).fill('u'), ...Array(deletes).fill('d')]
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[rest[i], rest[j]] = [rest[j]!, rest[i]!]
  }
  const live: number[] = []
  const at = new Map<number, number>()
  const changes: Change[] = []
  const final = new Map<number, number>()
  const make = (id: number) => {
    if (!at.has(id)) (at.set(id, live.length), live.push(id))
  }
  const drop = (id: number) => {
    const i = at.get(id)!
    const last = live.pop()!
    if (last !== id) (live[i] = last, at.set(last, i))
    at.delete(id)
  }
  Array.from({ length: keys }, (_, id) => id).forEach((id) => (changes.push({ op: 'c', id, version: changes.length }), make(id)))
  for (const op of rest) {
    const id = op === 'c' ? Math.floor(random() * keys) : live[Math.floor(random() * live.length)]!
    changes.push({ op, id, version: changes.length })
    if (op === 'd') drop(id)
    else make(id)
  }
  for (const change of changes) change.op === 'd' ? final.delete(change.id) : final.set(change.id, change.version)
  return { changes, final }
}

/** Debezium events (JSON converter, no schemas), keyed {"id": n} on partition id % 3; each delete is followed by its tombstone. */
function messages(topic: string, changes: Change[]) {
  const source = { version: '2.7.0.Final', connector: 'postgresql', name: 'pg', db: 'app', schema: 'public', table: 'users' }
  const image = (c: Change) => ({ id: c.id, name: `user-${c.id}`, version: c.version })
  return changes.flatMap((c) => {
    const key = JSON.stringify({ id: c.id })
    const partition = c.id % PARTITIONS
    if (c.op !== 'd') return [{ topic, partition, key, value: JSON.stringify({ before: null, after: image(c), op: c.op, source, ts_ms: 1_767_225_600_000 + c.version }) }]
    return [
      { topic, partition, key, value: JSON.stringify({ before: image(c), after: null, op: 'd', source, ts_ms: 1_767_225_600_000 + c.version }) },
      { topic, partition, key, value: undefined as string | undefined },
    ]
  })
}

/** Sends in chunks with pauses, so the stream is still arriving while the worker is killed. */
async function produceSlowly(all: ReturnType<typeof messages>, chunk: number, pauseMs: number): Promise<void> {
  const producer = new Producer({ clientId: 'e2e-upsert-producer', bootstrapBrokers: brokers, serializers: stringSerializers, idempotent: true })
  try {
    for (let start = 0; start < all.length; start += chunk) {
      await producer.send({ messages: all.slice(start, start + chunk) })
      await Bun.sleep(pauseMs)
    }
  } finally {
    await producer.close()
  }
}

function workerConfig(table: string, topic: string, formatVersion: 2 | 3) {
  const raw = stackWorkerConfig({
    http: { enabled: true, host: '127.0.0.1', port: freePort() },
    kafka: { brokers, sessionTimeoutMs: 2_000, heartbeatIntervalMs: 300 },
    tables: [
      {
        name: table,
        schema: 'id long not null, name string, version long',
        formatVersion,
        upsert: { key: ['id'] },
        roll: { intervalMs: 500, maxRows: 25_000 },
        kafka: { topics: [topic], groupId: `g-${topic}`, envelope: 'debezium' },
        maintenance: { enabled: false },
      },
    ],
  })
  dirs.push(raw.dataDir as string)
  return raw
}

interface PyReport {
  count: number
  distinct: number
  rows: Record<string, number>
  delete_formats: Record<string, number>
  offsets: Record<string, number>
}

/** Until the table's marker covers the whole topic (read from the REST catalog's metadata), or the deadline. */
async function waitForMarker(table: string, topic: string, ends: Record<string, number>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const total = Object.values(ends).reduce((a, b) => a + b, 0)
  const catalog = createRestCatalog({ uri: env.restUri })
  for (;;) {
    const loaded = await catalog.loadTable(tableIdentifier(table)).catch(() => undefined)
    const offsets = loaded ? committedKafkaOffsets(tableMarkers(loaded.metadata).markers, topic) : new Map<number, bigint>()
    const done = [...offsets.values()].reduce((a, b) => a + Number(b), 0)
    if (done >= total || Date.now() > deadline) return
    await Bun.sleep(500)
  }
}

/** `bun run query` (our planning, DuckDB reading the planned files minus their deleted positions): key → versions. */
async function duckdbRows(table: string, dataDir: string): Promise<Map<number, number[]>> {
  const { code, stdout, stderr } = await runStackCli('query.ts', [`SELECT id, version FROM ${table}`, '-f', 'json', '-q'], dataDir)
  if (code !== 0) throw new Error(`bun run query exited ${code}: ${stderr}`)
  const byKey = new Map<number, number[]>()
  for (const row of JSON.parse(stdout) as { id: number | string; version: number | string }[]) byKey.set(Number(row.id), [...(byKey.get(Number(row.id)) ?? []), Number(row.version)])
  return byKey
}

/** `bun run maintain ...` against the stack's catalog, as the worker's environment names it. */
async function maintain(args: string[], dataDir: string): Promise<string> {
  const { code, stdout, stderr } = await runStackCli('maintain.ts', args, dataDir)
  if (code !== 0) throw new Error(`bun run maintain ${args.join(' ')} exited ${code}: ${stderr}`)
  return stdout
}

async function javaRows(table: string): Promise<Map<number, number[]>> {
  const [result] = await java.run(restCatalog(env), table, [{ op: 'read', columns: ['id', 'version'] }], 120_000)
  const byKey = new Map<number, number[]>()
  for (const row of result!.rows as { id: number; version: number }[]) byKey.set(row.id, [...(byKey.get(row.id) ?? []), row.version])
  return byKey
}

/** Runs the stream into `table` with `kills` kill -9s while it is produced, then a last worker until the marker covers it. */
async function runWithKills(table: string, topic: string, all: ReturnType<typeof messages>, formatVersion: 2 | 3, kills: number, seed: number, chunk: number) {
  await createTopic(brokers, topic, PARTITIONS)
  const raw = workerConfig(table, topic, formatVersion)
  const dataDir = raw.dataDir as string
  const random = seededRandom(seed)
  // Still arriving while the workers are killed: the stream lasts longer than the first workers' lives.
  const producing = produceSlowly(all, chunk, 250)
  for (let kill = 0; kill < kills; kill++) {
    const worker = await spawnWorker(raw, join(dataDir, `worker-${kill}.log`))
    running.push(worker)
    await Bun.sleep(1_500 + random() * 2_000)
    worker.process.kill(9)
    await worker.exited
  }
  await producing
  const last = await spawnWorker(raw, join(dataDir, 'worker-final.log'))
  running.push(last)
  const ends = await endOffsets(brokers, topic, PARTITIONS)
  await waitForMarker(table, topic, ends, 90_000)
  last.process.kill('SIGTERM')
  expect(await last.exited).toBe(0)
  return { ends, dataDir }
}

describe('upserts from a Debezium topic across kill -9', () => {
  test('v2 (position deletes): 100k inserts, 50k updates, 10k deletes over 1k keys, 5 kills: PyIceberg and Iceberg Java see the model, every key once', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `cdc_${suffix}`
    const table = `cdc_${suffix}.users`
    const { changes, final } = changeStream(12, 1_000, 100_000, 50_000, 10_000)
    const all = messages(topic, changes)
    const started = Date.now()
    const { ends, dataDir } = await runWithKills(table, topic, all, 2, 5, 12, 5_000)
    console.log(`upsert e2e v2: ${all.length} messages (${changes.length} changes + ${all.length - changes.length} tombstones), 5 kills, drained in ${((Date.now() - started) / 1000).toFixed(1)} s`)

    const py = (await runPython('upsert_report.py', [table, topic])) as PyReport
    expect(py.offsets).toEqual(ends)
    expect(py.distinct).toBe(py.count)
    expect(py.count).toBe(final.size)
    expect(new Map(Object.entries(py.rows).map(([k, v]) => [Number(k), v]))).toEqual(final)
    expect(Object.keys(py.delete_formats)).toEqual(['PARQUET'])

    for (const byKey of [await javaRows(table), await duckdbRows(table, dataDir)]) {
      expect([...byKey.values()].every((versions) => versions.length === 1)).toBe(true)
      expect(new Map([...byKey].map(([k, v]) => [k, v[0]!]))).toEqual(final)
    }
  }, 300_000)

  test('v3 (deletion vectors): 12k changes over 1k keys, 3 kills: Iceberg Java and PyIceberg see the model, every key once; compaction leaves no deletes and the same rows; upserts after it, and during more compactions, resolve on the compacted files', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `cdc3_${suffix}`
    const table = `cdc3_${suffix}.users`
    const { changes, final } = changeStream(13, 1_000, 8_000, 3_000, 1_000)
    const all = messages(topic, changes)
    const started = Date.now()
    const { ends, dataDir } = await runWithKills(table, topic, all, 3, 3, 13, 500)
    console.log(`upsert e2e v3: ${all.length} messages, 3 kills, drained in ${((Date.now() - started) / 1000).toFixed(1)} s`)

    for (const byKey of [await javaRows(table), await duckdbRows(table, dataDir)]) {
      expect([...byKey.values()].every((versions) => versions.length === 1)).toBe(true)
      expect(new Map([...byKey].map(([k, v]) => [k, v[0]!]))).toEqual(final)
    }
    const [described] = await java.run(restCatalog(env), table, [{ op: 'describe' }])
    expect(described!.formatVersion).toBe(3)

    // PyIceberg 0.12 applies deletion vectors too (what this checks): the same state per key.
    const py = (await runPython('upsert_report.py', [table, topic])) as PyReport
    expect(py.offsets).toEqual(ends)
    expect(py.distinct).toBe(py.count)
    expect(new Map(Object.entries(py.rows).map(([k, v]) => [Number(k), v]))).toEqual(final)
    expect(Object.keys(py.delete_formats)).toEqual(['PUFFIN'])

    // Our compaction rewrites the files with their DVs applied and drops the DVs: no deletes left, the same rows.
    await maintain([table, 'compact'], dataDir)
    const compacted = (await runPython('upsert_report.py', [table, topic])) as PyReport
    expect(compacted.delete_formats).toEqual({})
    expect(new Map(Object.entries(compacted.rows).map(([k, v]) => [Number(k), v]))).toEqual(final)

    // More changes after the compaction: the worker's stored index names files that are gone, so it syncs to the
    // compacted table (drops them, reads the new file) before resolving; both readers see the new final state.
    const more: Change[] = []
    const random = seededRandom(14)
    for (let i = 0; i < 2_000; i++) {
      const id = Math.floor(random() * 1_000)
      const op = final.has(id) ? (random() < 0.2 ? 'd' : 'u') : 'c'
      more.push({ op, id, version: changes.length + i })
      if (op === 'd') final.delete(id)
      else final.set(id, changes.length + i)
    }
    const raw = workerConfig(table, topic, 3)
    raw.dataDir = dataDir
    const after = await spawnWorker(raw, join(dataDir, 'worker-after-compaction.log'))
    running.push(after)
    // The changes arrive while compactions run: each race either lands the upsert (resolved again on the compacted
    // files) or leaves the compaction's partition alone; no deleted key comes back (the readers below check).
    const compactions = (async () => {
      const lines: string[] = []
      // Each round after some upserts committed (their deletes are what a compaction rewrites).
      for (let round = 0; round < 3; round++) {
        await Bun.sleep(1_500)
        lines.push(await maintain([table, 'compact'], dataDir))
      }
      return lines
    })()
    await produceSlowly(messages(topic, more), 100, 300)
    console.log(`upsert e2e v3: compactions during upserts:\n${(await compactions).join('')}`)
    const moreEnds = await endOffsets(brokers, topic, PARTITIONS)
    await waitForMarker(table, topic, moreEnds, 60_000)
    after.process.kill('SIGTERM')
    expect(await after.exited).toBe(0)
    expect(await Bun.file(join(dataDir, 'worker-after-compaction.log')).text()).toMatch(/key index synced to snapshot \d+ \(\d+ keys; 1 files read, \d+ dropped/)
    const byKey = await javaRows(table)
    expect([...byKey.values()].every((versions) => versions.length === 1)).toBe(true)
    expect(new Map([...byKey].map(([k, v]) => [k, v[0]!]))).toEqual(final)
    const last = (await runPython('upsert_report.py', [table, topic])) as PyReport
    expect(last.offsets).toEqual(moreEnds)
    expect(new Map(Object.entries(last.rows).map(([k, v]) => [Number(k), v]))).toEqual(final)
  }, 300_000)
})
