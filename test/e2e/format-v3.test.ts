/**
 * Issue 12, part 1: format versions. A v1 table Iceberg Java writes is read by `bun run query` and by maintenance
 * (orphans, expiry plan) and refused only by what would commit to it (compaction). And:
 *
 * the worker writes a format v3 table (tables[].formatVersion: 3) on the stack's REST catalog and
 * S3, in two commits, with a `timestamp_ns` and a `variant` column; independent readers check it.
 *
 * Which reader covers what:
 *   Iceberg Java 1.10.1 (test/e2e/java/IcebergJavaWriter.java, IcebergGenerics): the table is v3 with next-row-id and
 *     snapshot first-row-id / added-rows chained; every data file has an (inherited) first_row_id and the files' id
 *     ranges tile [0, next-row-id); every row has a `_row_id` (distinct, inside its file range) and a
 *     `_last_updated_sequence_number` equal to the sequence number of the snapshot whose id range holds it; the
 *     timestamp_ns values to the nanosecond and the variant values as the JSON posted.
 *   PyIceberg 0.12 (test/e2e/py/v3_report.py) cannot load a table with a variant column at all (its schema model
 *     refuses the type: "Unsupported field type: 'variant'"), so the worker writes a second v3 table without one
 *     in the same run: PyIceberg reads its v3 metadata (format version, next-row-id, snapshot first-row-id /
 *     added-rows), plans the same files as Java (it does not inherit first_row_id: it reports the null our
 *     manifests hold for new files), and reads every row's id, note and timestamp_ns value (to the nanosecond);
 *     Java reads that table's row ids too. On the variant table the test only records PyIceberg's
 *     refusal (and accepts a correct read, should a newer PyIceberg read it).
 *   Compaction (`bun run maintain ... compact`) of both tables: Java reads the same _row_id and
 *     _last_updated_sequence_number for every row after it (the rewrite writes them into the new file), and the same
 *     variant and timestamp_ns values.
 *   `bun run query` (our scan planning, DuckDB over the planned files): the variant values (DuckDB decodes Parquet's
 *     VARIANT itself; compared as JSON) and the timestamp_ns values to the nanosecond.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRestCatalog } from '../../src/catalog/rest/client.ts'
import { currentSnapshot } from '../../src/iceberg/table-metadata.ts'
import { JavaWriter, restCatalog } from './java-writer.ts'
import { runPython } from './pyiceberg.ts'
import { stackEnv } from './stack-env.ts'
import { stackWorkerConfig } from './worker-config.ts'
import { freePort, spawnWorker, type WorkerProcess } from './worker-process.ts'
import { runStackCli } from './stack-cli.ts'

setDefaultTimeout(90_000)

const env = stackEnv()
const suffix = crypto.randomUUID().slice(0, 8)
const table = `v3_${suffix}.events`
/** The same rows without the variant column, for PyIceberg. */
const plainTable = `v3_${suffix}.plain`
const dirs: string[] = []
let java: JavaWriter
let worker: WorkerProcess | undefined

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'format-v3-'))
  dirs.push(dir)
  java = await JavaWriter.start(env, join(dir, 'java.log'))
})

afterAll(async () => {
  if (worker) {
    worker.process.kill(9)
    await worker.exited
  }
  await java?.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const BASE_NS = BigInt(Date.UTC(2026, 11, 3, 10, 0, 0)) * 1_000_000n
/** Row `i`: a timestamp with every nanosecond digit set, and a variant of a different shape per row. */
function row(i: number): Record<string, unknown> {
  const at = BASE_NS + BigInt(i) * 1_000_000_123n + 7n
  const seconds = at / 1_000_000_000n
  const text = `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${String(at % 1_000_000_000n).padStart(9, '0')}`
  const shapes: unknown[] = [
    { user: { id: i, name: `user-${i}` }, tags: ['a', i % 2 ? 'odd' : 'even'], score: i + 0.5, ok: i % 2 === 0, none: null },
    [i, `item-${i}`, { nested: [true, false] }],
    `a plain string body number ${i}`,
    i * 1000,
    null, // a null column value, not a variant null
  ]
  return { id: i, at: text, body: shapes[i % shapes.length], note: `n${i}` }
}
const expectedNanos = (i: number): string => String(BASE_NS + BigInt(i) * 1_000_000_123n + 7n)

async function post(rows: Record<string, unknown>[], to = table): Promise<void> {
  const response = await fetch(`${worker!.url}/v1/tables/${to}/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rows) })
  expect(await response.json()).toMatchObject({ accepted: rows.length, rejected: [] })
}

async function waitForRows(expected: number, of = table): Promise<void> {
  const catalog = createRestCatalog({ uri: env.restUri })
  const [namespace, name] = of.split('.') as [string, string]
  const deadline = Date.now() + 30_000
  let seen: string | undefined
  while (Date.now() < deadline) {
    seen = currentSnapshot((await catalog.loadTable({ namespace: [namespace], name })).metadata)?.summary['total-records']
    if (Number(seen) === expected) return
    if (Number(seen) > expected) throw new Error(`table holds ${seen} rows, expected ${expected}`)
    await Bun.sleep(200)
  }
  throw new Error(`table holds ${seen ?? 'no'} rows after 30 s, expected ${expected}`)
}

/** `bun run <script> ...args` with the stack as the configured catalog: exit code and output. */
const cli = runStackCli

/** `bun run query ... -f json`: the parsed rows. */
async function query(sql: string, dataDir: string): Promise<Record<string, unknown>[]> {
  const { code, stdout, stderr } = await cli('query.ts', [sql, '-f', 'json', '-q'], dataDir)
  if (code !== 0) throw new Error(`query exited ${code}:\n${stderr}`)
  return JSON.parse(stdout) as Record<string, unknown>[]
}

test('a v3 table written by the worker in two commits: row ids, timestamp_ns and variant read back by Iceberg Java and PyIceberg', async () => {
  const config = stackWorkerConfig({
    http: { enabled: true, host: '127.0.0.1', port: freePort() },
    tables: [
      {
        name: table,
        schema: 'id long not null, at timestamp_ns, body variant, note string',
        formatVersion: 3,
        roll: { intervalMs: 300 },
        maintenance: { enabled: false },
      },
      { name: plainTable, schema: 'id long not null, at timestamp_ns, note string', formatVersion: 3, roll: { intervalMs: 300 }, maintenance: { enabled: false } },
    ],
  })
  dirs.push(config.dataDir as string)
  worker = await spawnWorker(config, join(config.dataDir as string, 'worker.log'))
  const first = Array.from({ length: 50 }, (_, i) => row(i))
  const second = Array.from({ length: 30 }, (_, i) => row(50 + i))
  const plain = (r: Record<string, unknown>) => ({ id: r.id, at: r.at, note: r.note })
  await Promise.all([post(first), post(first.map(plain), plainTable)])
  await Promise.all([waitForRows(50), waitForRows(50, plainTable)])
  await Promise.all([post(second), post(second.map(plain), plainTable)])
  await Promise.all([waitForRows(80), waitForRows(80, plainTable)])
  worker.process.kill('SIGTERM')
  expect(await worker.exited).toBe(0)
  worker = undefined

  // ---- Iceberg Java ----
  const [described, files, read] = await java.run(restCatalog(env), table, [{ op: 'describe' }, { op: 'files' }, { op: 'read', rowLineage: true }])
  expect(described).toMatchObject({ formatVersion: 3, nextRowId: 80 })
  const snapshots = (described!.snapshots as { sequenceNumber: number; firstRowId: number; addedRows: number; operation: string }[]).sort((a, b) => a.sequenceNumber - b.sequenceNumber)
  expect(snapshots.length).toBeGreaterThanOrEqual(2)
  expect(snapshots[0]!.firstRowId).toBe(0)
  for (let i = 1; i < snapshots.length; i++) expect(snapshots[i]!.firstRowId).toBe(snapshots[i - 1]!.firstRowId + snapshots[i - 1]!.addedRows)
  expect(snapshots.at(-1)!.firstRowId + snapshots.at(-1)!.addedRows).toBe(80)

  const ranges = (files!.files as { firstRowId: number | null; recordCount: number }[]).map((f) => [f.firstRowId, f.recordCount] as const)
  expect(ranges.every(([start]) => start !== null)).toBe(true)
  const fileIds = ranges.flatMap(([start, count]) => Array.from({ length: count }, (_, i) => start! + i)).sort((a, b) => a - b)
  expect(fileIds).toEqual(Array.from({ length: 80 }, (_, i) => i)) // disjoint and tiling [0, next-row-id)

  const rows = (read!.rows as Record<string, unknown>[]).sort((a, b) => (a.id as number) - (b.id as number))
  expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 80 }, (_, i) => i))
  const rowIds = rows.map((r) => r._row_id as number)
  expect(rowIds.every((id) => typeof id === 'number')).toBe(true)
  expect(new Set(rowIds).size).toBe(80)
  expect([...rowIds].sort((a, b) => a - b)).toEqual(fileIds)
  const snapshotOf = (rowId: number) => snapshots.find((s) => rowId >= s.firstRowId && rowId < s.firstRowId + s.addedRows)!
  for (const r of rows) expect(r._last_updated_sequence_number).toBe(snapshotOf(r._row_id as number).sequenceNumber)
  // the second batch was posted after the first committed: its rows come from a later snapshot
  expect(Math.min(...rows.slice(50).map((r) => r._last_updated_sequence_number as number))).toBeGreaterThan(Math.max(...rows.slice(0, 50).map((r) => r._last_updated_sequence_number as number)))
  expect(rows.map((r) => r.at)).toEqual(rows.map((r) => expectedNanos(r.id as number)))
  expect(rows.map((r) => r.body)).toEqual(rows.map((r) => row(r.id as number).body))
  expect(rows.map((r) => r.note)).toEqual(rows.map((r) => `n${r.id}`))

  // ---- PyIceberg, on the table without the variant column ----
  type Report = {
    load_error?: string
    format_version: number
    next_row_id: number | null
    snapshots: { first_row_id: number | null; added_rows: number | null }[]
    files: { path: string; record_count: number; first_row_id: number | null }[]
    columns: Record<string, { values?: unknown[]; type?: string; error?: string }>
  }
  const [plainFiles, plainRead] = await java.run(restCatalog(env), plainTable, [{ op: 'files' }, { op: 'read', rowLineage: true }])
  const javaFirstRowIds = new Map((plainFiles!.files as { path: string; firstRowId: number }[]).map((f) => [f.path, f.firstRowId]))
  const plainRowIds = (plainRead!.rows as Record<string, unknown>[]).map((r) => r._row_id as number).sort((a, b) => a - b)
  expect(plainRowIds).toEqual(Array.from({ length: 80 }, (_, i) => i))
  const report = (await runPython('v3_report.py', [JSON.stringify({ table: plainTable, columns: ['id', 'note', 'at'] })])) as Report
  expect(report.load_error).toBeUndefined()
  expect(report.format_version).toBe(3)
  expect(report.next_row_id).toBe(80)
  const chain = report.snapshots.map((s) => [s.first_row_id!, s.added_rows!] as const).sort((a, b) => a[0] - b[0])
  expect(chain[0]![0]).toBe(0)
  expect(chain.reduce((next, [start, added]) => (start === next ? next + added : Number.NaN), 0)).toBe(80)
  // PyIceberg 0.12 plans the same files but does not apply first-row-id inheritance (null: the value our manifests
  // hold for new files); should a newer one inherit, its ids must be Java's.
  expect(report.files.map((f) => f.path).sort()).toEqual([...javaFirstRowIds.keys()].sort())
  for (const f of report.files) expect(f.first_row_id === null || f.first_row_id === javaFirstRowIds.get(f.path)).toBe(true)
  expect(report.columns.id!.values).toEqual(Array.from({ length: 80 }, (_, i) => i))
  expect(report.columns.note!.values).toEqual(Array.from({ length: 80 }, (_, i) => `n${i}`))
  expect(report.columns.at!.type).toBe('timestamp[ns]')
  expect(report.columns.at!.values).toEqual(Array.from({ length: 80 }, (_, i) => expectedNanos(i)))

  const variantReport = (await runPython('v3_report.py', [JSON.stringify({ table, columns: ['id', 'body'] })])) as Report
  if (variantReport.load_error !== undefined) expect(variantReport.load_error).toContain('variant')
  else expect(variantReport.columns.id!.values).toEqual(Array.from({ length: 80 }, (_, i) => i))
  console.log(`PyIceberg on the variant table: ${variantReport.load_error ?? 'read'}`)

  // ---- compaction keeps lineage: Java reads the same _row_id and _last_updated_sequence_number per row after it ----
  const compacted = await cli('maintain.ts', [plainTable, 'compact', '--min-input-files', '2', '--json'], config.dataDir as string)
  if (compacted.code !== 0) throw new Error(`maintain compact exited ${compacted.code}:\n${compacted.stderr}`)
  expect((JSON.parse(compacted.stdout) as { tableFilesAfter: number }).tableFilesAfter).toBe(1)
  const [afterCompaction, compactedFiles] = await java.run(restCatalog(env), plainTable, [{ op: 'read', rowLineage: true }, { op: 'files' }])
  const lineage = (rows: Record<string, unknown>[]) => rows.map((r) => [r.id, r._row_id, r._last_updated_sequence_number]).sort((a, b) => (a[0] as number) - (b[0] as number))
  expect(lineage(afterCompaction!.rows as Record<string, unknown>[])).toEqual(lineage(plainRead!.rows as Record<string, unknown>[]))
  expect((compactedFiles!.files as unknown[]).length).toBe(1)
  // the variant table too: its values decoded and encoded again by the rewrite, lineage kept
  const compactedEvents = await cli('maintain.ts', [table, 'compact', '--min-input-files', '2', '--json'], config.dataDir as string)
  if (compactedEvents.code !== 0) throw new Error(`maintain compact exited ${compactedEvents.code}:\n${compactedEvents.stderr}`)
  const [eventsAfter] = await java.run(restCatalog(env), table, [{ op: 'read', rowLineage: true }])
  const eventsRows = (eventsAfter!.rows as Record<string, unknown>[]).sort((a, b) => (a.id as number) - (b.id as number))
  expect(lineage(eventsRows)).toEqual(lineage(rows))
  expect(eventsRows.map((r) => r.body)).toEqual(rows.map((r) => row(r.id as number).body))
  expect(eventsRows.map((r) => r.at)).toEqual(rows.map((r) => expectedNanos(r.id as number)))

  // ---- bun run query (DuckDB) ----
  const queried = await query(`SELECT id, CAST(epoch_ns("at") AS VARCHAR) AS at_ns, CAST(body AS JSON) AS body FROM ${table} ORDER BY id`, config.dataDir as string)
  expect(queried.map((r) => r.id)).toEqual(Array.from({ length: 80 }, (_, i) => i))
  expect(queried.map((r) => r.at_ns)).toEqual(Array.from({ length: 80 }, (_, i) => expectedNanos(i)))
  expect(queried.map((r) => (r.body === null ? null : JSON.parse(r.body as string)))).toEqual(Array.from({ length: 80 }, (_, i) => row(i).body))
})

test('a format v1 table written by Iceberg Java is read by `bun run query` and maintenance, and refused only where we would write', async () => {
  const v1 = `v1_${suffix}.legacy`
  const dataDir = mkdtempSync(join(tmpdir(), 'format-v1-'))
  dirs.push(dataDir)
  await java.run(restCatalog(env), v1, [
    { op: 'create', formatVersion: '1', schema: [{ name: 'id', type: 'long', required: true }, { name: 'src', type: 'string' }] },
    { op: 'append', rows: Array.from({ length: 20 }, (_, i) => ({ id: i, src: 'java' })) },
    { op: 'append', rows: Array.from({ length: 5 }, (_, i) => ({ id: 100 + i, src: 'java' })) },
  ])
  const [described] = await java.run(restCatalog(env), v1, [{ op: 'describe' }])
  expect(described!.formatVersion).toBe(1)

  expect(await query(`SELECT count(*) AS n, sum(id) AS total FROM ${v1}`, dataDir)).toEqual([{ n: 25, total: String(190 + 510) }]) // sum of a long is HUGEINT, printed as text
  const orphans = await cli('maintain.ts', [v1, 'orphans', '--older-than', '0s', '--json'], dataDir)
  expect(orphans.code).toBe(0)
  // every file under the location is reached through the v1 manifest lists and manifests
  const orphanReport = JSON.parse(orphans.stdout) as { scanned: number; referenced: number; orphans: string[] }
  expect(orphanReport.orphans).toEqual([])
  expect(orphanReport.referenced).toBe(orphanReport.scanned)
  expect(orphanReport.scanned).toBeGreaterThanOrEqual(6) // 2 data files, 2 manifests, 2 manifest lists at least
  const expiry = await cli('maintain.ts', [v1, 'expire', '--dry-run', '--json'], dataDir)
  expect(expiry.code).toBe(0)
  expect((JSON.parse(expiry.stdout) as { keptSnapshotIds: string[] }).keptSnapshotIds).toHaveLength(2) // both younger than the default 5 d
  // compaction would commit a v2-shaped snapshot: refused, naming the version and the way out
  const compaction = await cli('maintain.ts', [v1, 'compact', '--min-input-files', '2'], dataDir)
  expect(compaction.code).not.toBe(0)
  expect(compaction.stderr).toContain('format-version 1, which this toolkit reads but does not write')
})
