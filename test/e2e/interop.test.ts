/**
 * Issue 16: the worker and Iceberg Java 1.10.1 (test/e2e/java/IcebergJavaWriter.java) take turns on one
 * table, for the embedded catalog (Java's JdbcCatalog on the worker's SQLite file) and the REST catalog
 * (S3FileIO on the stack's S3):
 *
 *   Java creates the table and appends, tags and branches it, sets a property
 *   worker A appends (HTTP + Kafka)
 *   Java adds a column, renames one, adds a partition field, sets a sort order    ← A keeps running
 *   A appends (records still name the old column), stops (SIGTERM)
 *   worker B (restarted) appends
 *   Java compacts, then expires every snapshot but its own compaction          ← B keeps running
 *   B is killed (kill -9) with committed records still in its WAL; worker C starts on that WAL with a
 *   new consumer group (only the table's markers can tell what is committed), appends
 *
 * Then PyIceberg, Java and `bun run query` each see every id exactly once, with the renamed column's
 * values, and what Java set (refs, property, spec, sort order) is still there.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tableMarkers } from '../../src/batcher/table-markers.ts'
import type { Catalog } from '../../src/catalog/catalog.ts'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { createRestCatalog } from '../../src/catalog/rest/client.ts'
import { currentSnapshot } from '../../src/iceberg/table-metadata.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { JavaWriter, jdbcCatalog, restCatalog, type JavaCatalog } from './java-writer.ts'
import { createTopic, endOffsets, produce } from './kafka-topics.ts'
import { runPython } from './pyiceberg.ts'
import { stackEnv } from './stack-env.ts'
import { stackWorkerConfig } from './worker-config.ts'
import { freePort, spawnWorker, type WorkerProcess } from './worker-process.ts'

setDefaultTimeout(120_000)

const ROOT = join(import.meta.dir, '..', '..')
const env = stackEnv()
const brokers = [env.kafkaBootstrap]
const dirs: string[] = []
const running: WorkerProcess[] = []
let java: JavaWriter
let javaLog: string

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'interop-java-'))
  dirs.push(dir)
  javaLog = join(dir, 'java.log')
  java = await JavaWriter.start(env, javaLog)
})

afterAll(async () => {
  for (const worker of running) worker.process.kill(9)
  await java?.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

interface Setup {
  /** The worker's config, without `http` and `tables` (set per worker). */
  base: Record<string, unknown>
  javaCatalog: JavaCatalog
  /** Our own view of the catalog, for waiting on commits. */
  catalog: Catalog & { close?(): void }
  pyCatalog: Record<string, string>
}

function embeddedSetup(): Setup {
  const dataDir = mkdtempSync(join(tmpdir(), 'interop-embedded-'))
  dirs.push(dataDir)
  const warehouse = join(dataDir, 'warehouse')
  const sqlitePath = join(dataDir, 'catalog.db')
  return {
    base: { dataDir, catalog: { type: 'embedded' }, kafka: { brokers, sessionTimeoutMs: 2_000, heartbeatIntervalMs: 300 } },
    // Spark and Java write local warehouses as file:/p (Hadoop's Path); the worker's own spelling is file:///p.
    javaCatalog: jdbcCatalog(sqlitePath, `file:${warehouse}`, 'default'),
    catalog: createSqliteCatalog({ path: sqlitePath, catalogName: 'default', warehouse: `file://${warehouse}`, io: createFileIO([createFsStore(warehouse)]) }),
    pyCatalog: { type: 'sql', uri: `sqlite:///${sqlitePath}`, name: 'default', warehouse: `file://${warehouse}` },
  }
}

function restSetup(): Setup {
  const base = stackWorkerConfig({ tables: [], kafka: { brokers, sessionTimeoutMs: 2_000, heartbeatIntervalMs: 300 } })
  dirs.push(base.dataDir as string)
  const { tables: _tables, http: _http, ...rest } = base
  return { base: rest, javaCatalog: restCatalog(env), catalog: createRestCatalog({ uri: env.restUri }), pyCatalog: { type: 'rest' } }
}

const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)

async function post(worker: WorkerProcess, table: string, rows: Record<string, unknown>[]): Promise<void> {
  const response = await fetch(`${worker.url}/v1/tables/${table}/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rows) })
  const body = (await response.json()) as { accepted: number; rejected: unknown[] }
  expect({ status: response.status, accepted: body.accepted, rejected: body.rejected }).toEqual({ status: 200, accepted: rows.length, rejected: [] })
}

/** Waits until the table's current snapshot says `expected` rows; more than that is a duplicate and fails at once. */
async function waitForRows(setup: Setup, table: string, expected: number, what: string, timeoutMs = 30_000): Promise<void> {
  const [namespace, name] = table.split('.') as [string, string]
  const deadline = Date.now() + timeoutMs
  let seen: string | undefined
  while (Date.now() < deadline) {
    const loaded = await setup.catalog.loadTable({ namespace: [namespace], name })
    seen = currentSnapshot(loaded.metadata)?.summary['total-records']
    if (Number(seen) > expected) throw new Error(`${what}: table holds ${seen} rows, expected ${expected} (duplicates)`)
    if (Number(seen) === expected) return
    await Bun.sleep(200)
  }
  throw new Error(`${what}: table holds ${seen ?? 'no'} rows after ${timeoutMs} ms, expected ${expected}`)
}

function workerConfig(setup: Setup, table: string, topic: string, groupId: string, port: number): Record<string, unknown> {
  return {
    ...setup.base,
    http: { enabled: true, host: '127.0.0.1', port },
    tables: [
      {
        name: table,
        // Used only if the table did not exist; Java created it (the worker keeps a table's own schema).
        schema: 'id long not null, src string',
        roll: { intervalMs: 1_000 },
        kafka: { topics: [topic], groupId },
        maintenance: { enabled: false },
      },
    ],
  }
}

async function stop(worker: WorkerProcess): Promise<void> {
  worker.process.kill('SIGTERM')
  expect(await worker.exited).toBe(0)
}

async function takeTurns(setup: Setup, label: string): Promise<void> {
  const suffix = crypto.randomUUID().slice(0, 8)
  const table = `interop_${suffix}.events`
  const topic = `interop_${suffix}`
  const dataDir = setup.base.dataDir as string
  const runJava = (ops: Parameters<JavaWriter['run']>[2]) => java.run(setup.javaCatalog, table, ops)
  const kafka = (from: number, count: number, column: string) => produce(brokers, topic, ids(from, count).map((id) => JSON.stringify({ id, [column]: 'kafka' })))
  await createTopic(brokers, topic, 2)
  const started = performance.now()
  const step = (name: string) => console.log(`interop ${label}: ${name} at ${((performance.now() - started) / 1000).toFixed(1)} s`)

  // 1. Java creates the table and appends; a tag, a branch and a property of its own.
  const [created] = await runJava([
    { op: 'create', schema: [{ name: 'id', type: 'long', required: true }, { name: 'src', type: 'string' }] },
    { op: 'append', rows: ids(1, 20).map((id) => ({ id, src: 'java' })) },
    { op: 'tag', name: 'java-tag' },
    { op: 'branch', name: 'java-branch' },
    { op: 'set-properties', properties: { 'java.owner': 'interop' } },
  ])
  step(`java created ${created!.location as string}`)

  // 2. Worker A appends over HTTP and Kafka.
  const configA = workerConfig(setup, table, topic, `g1-${suffix}`, freePort())
  const a = await spawnWorker(configA, join(dataDir, 'worker-a.log'))
  running.push(a)
  await post(a, table, ids(1001, 40).map((id) => ({ id, src: 'http' })))
  await kafka(2001, 40, 'src')
  await waitForRows(setup, table, 100, 'worker A after the Java append')
  step('worker A appended')

  // 3. Java changes the schema and the layout while A runs; A's next records still name `src`.
  await runJava([
    { op: 'add-column', name: 'note', type: 'string' },
    { op: 'rename-column', from: 'src', to: 'source' },
    { op: 'add-partition-field', column: 'id', transform: 'bucket', width: 4 },
    { op: 'sort-order', column: 'id' },
  ])
  await post(a, table, ids(3001, 40).map((id) => ({ id, src: 'http' })))
  await kafka(4001, 40, 'src')
  await waitForRows(setup, table, 180, 'worker A after the Java schema change')
  await stop(a)
  step('worker A appended across the schema change and stopped')

  // 4. Worker B (a restart: same data dir, same group) appends with the new column name.
  const configB = workerConfig(setup, table, topic, `g1-${suffix}`, freePort())
  const b = await spawnWorker(configB, join(dataDir, 'worker-b.log'))
  running.push(b)
  await post(b, table, ids(5001, 40).map((id) => ({ id, source: 'http' })))
  // These records are acknowledged (fsync'd) and not committed yet: the WAL as a crash after the commit, before truncation, would leave it.
  const walCopy = join(dataDir, 'wal-at-crash')
  cpSync(join(dataDir, 'wal'), walCopy, { recursive: true })
  await kafka(6001, 40, 'source')
  await waitForRows(setup, table, 260, 'worker B after the restart')
  step('worker B appended')

  // 5. Java compacts and expires every snapshot but its compaction, while B runs.
  const [compacted, expired] = await runJava([{ op: 'compact' }, { op: 'expire', retainLast: 1 }])
  expect(compacted).toMatchObject({ rows: 260 })
  const [namespace, name] = table.split('.') as [string, string]
  const afterExpiry = (await setup.catalog.loadTable({ namespace: [namespace], name })).metadata
  // The tagged and branched snapshot (Java's first) is kept by its refs; no snapshot with our markers is left.
  expect(afterExpiry.snapshots.filter((s) => Object.keys(s.summary).some((k) => k.startsWith('ingest.')))).toEqual([])
  expect(currentSnapshot(afterExpiry)!.summary.operation).toBe('replace')
  expect(tableMarkers(afterExpiry).from).toBe('property')
  step(`java compacted ${compacted!.replaced as number} files and expired ${expired!.expired as number} snapshots`)

  // 6. B crashes; C starts on B's WAL as the crash left it, in a NEW consumer group: the group has no
  //    offsets, so only the table's markers (its property now) keep the WAL records and the topic's
  //    messages from being ingested again.
  b.process.kill(9)
  await b.exited
  rmSync(join(dataDir, 'wal'), { recursive: true, force: true })
  cpSync(walCopy, join(dataDir, 'wal'), { recursive: true })
  const segments = readdirSync(join(dataDir, 'wal')).filter((f) => f.endsWith('.wal'))
  expect(segments.reduce((bytes, f) => bytes + statSync(join(dataDir, 'wal', f)).size, 0)).toBeGreaterThan(0)
  const configC = workerConfig(setup, table, topic, `g2-${suffix}`, freePort())
  const c = await spawnWorker(configC, join(dataDir, 'worker-c.log'))
  running.push(c)
  await post(c, table, ids(7001, 40).map((id) => ({ id, source: 'http' })))
  await kafka(8001, 40, 'source')
  await waitForRows(setup, table, 340, 'worker C after the Java expiry')
  // The marker reaching the topic's end means C went through every old message; give it one more roll.
  const topicEnds = await endOffsets(brokers, topic, 2)
  const deadline = Date.now() + 20_000
  for (;;) {
    const markers = tableMarkers((await setup.catalog.loadTable({ namespace: [namespace], name })).metadata).markers
    if (markers[`ingest.kafka.${topic}`] === JSON.stringify(topicEnds)) break
    if (Date.now() > deadline) throw new Error(`kafka marker ${markers[`ingest.kafka.${topic}`]} never reached ${JSON.stringify(topicEnds)}`)
    await Bun.sleep(200)
  }
  await Bun.sleep(1_500)
  await waitForRows(setup, table, 340, 'worker C after one more roll')
  await stop(c)
  expect(readFileSync(join(dataDir, 'worker-c.log'), 'utf8')).not.toContain('replayed')
  step('worker C appended after the expiry')

  // Every reader sees every id once, with the renamed column's values.
  const expected = new Map<number, string>([
    ...ids(1, 20).map((id) => [id, 'java'] as const),
    ...[1001, 3001, 5001, 7001].flatMap((from) => ids(from, 40).map((id) => [id, 'http'] as const)),
    ...[2001, 4001, 6001, 8001].flatMap((from) => ids(from, 40).map((id) => [id, 'kafka'] as const)),
  ])
  const sorted = (rows: { id: number; source: string }[]) => rows.map((r) => [Number(r.id), r.source] as const).sort((x, y) => x[0] - y[0])
  const want = [...expected.entries()].sort((x, y) => x[0] - y[0])

  const py = (await runPython('table_report.py', [JSON.stringify({ table, catalog: setup.pyCatalog, rows: true })])) as { rows: { id: number; source: string; note: null }[]; schema: { fields: { name: string }[] } }
  expect(sorted(py.rows)).toEqual(want)
  expect(py.schema.fields.map((f) => f.name)).toEqual(['id', 'source', 'note'])

  const [read, described] = await runJava([{ op: 'read', columns: ['id', 'source'] }, { op: 'describe' }])
  expect(sorted(read!.rows as { id: number; source: string }[])).toEqual(want)
  expect(Object.keys(described!.refs as object).sort()).toEqual(['java-branch', 'java-tag', 'main'])
  expect(described).toMatchObject({ specId: 1, specs: 2, sortOrderId: 1, columns: ['id', 'source', 'note'] })
  expect((described!.properties as Record<string, string>)['java.owner']).toBe('interop')

  const query = Bun.spawnSync(
    ['bun', 'run', join(ROOT, 'scripts/query.ts'), '--config', join(dataDir, 'worker.json'), '-q', '-f', 'json', `SELECT count(*) AS n, count(DISTINCT id) AS d, sum(id) AS s FROM ${table}`],
    { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' },
  )
  expect({ exitCode: query.exitCode, stderr: query.stderr.toString() }).toEqual({ exitCode: 0, stderr: '' })
  // DuckDB's sum of a bigint is a hugeint, which the JSON output writes as a string.
  const [counts] = JSON.parse(query.stdout.toString()) as { n: number; d: number; s: string }[]
  expect(counts).toEqual({ n: 340, d: 340, s: String([...expected.keys()].reduce((x, y) => x + y, 0)) })
  step('PyIceberg, Java and bun run query read every id once')
}

describe('worker and Iceberg Java take turns on one table', () => {
  test('embedded catalog: Java JdbcCatalog on the worker’s SQLite file, file:/ locations', async () => {
    const setup = embeddedSetup()
    try {
      await takeTurns(setup, 'embedded')
    } finally {
      setup.catalog.close?.()
    }
  })

  test('REST catalog: Java RESTCatalog with S3FileIO on the stack’s S3', async () => {
    await takeTurns(restSetup(), 'rest')
  })
})
