/**
 * Issue 6 acceptance for `query` against the real stack: a table of 1,000,000 rows in 60 files (REST catalog, SigV4
 * S3), queried with `bun run scripts/query.ts`; PyIceberg runs the same scans as the independent reference.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRestCatalog } from '../../src/catalog/rest/client.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { zstdCompress } from '../../src/adapter/bun/zstd.ts'
import { hostDecompressors } from '../../src/adapter/bun/decompress.ts'
import { scanTable } from '../../src/query/scan-table.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createS3Store } from '../../src/storage/s3/index.ts'
import { createTable, dropTable, type Table, type TableOptions } from '../../src/table/table.ts'
import { runPython } from './pyiceberg.ts'
import { sensorRows } from './sensor-rows.ts'
import { stackEnv } from './stack-env.ts'
import { runStackCli } from './stack-cli.ts'

// Real services on a 2-core machine: far beyond bun's 5 s default (set per file: bun applies it to the calling file only).
setDefaultTimeout(120_000)

/** Over no rows PyIceberg's sum/min/max/first are null; these scans are never empty. */
interface Aggregate {
  count: number
  sum: number
  min: number
  max: number
  first: string
}
interface PyScan {
  count: number
  planned_files: string[]
  groups: Record<string, Aggregate>
  all: Aggregate
}

const env = stackEnv()
const suffix = crypto.randomUUID().slice(0, 8)
const namespace = `query_${suffix}`
const name = `${namespace}.sensor_readings`
const dataDir = mkdtempSync(join(tmpdir(), 'query-e2e-'))
const options: TableOptions = {
  catalog: createRestCatalog({ uri: env.restUri }),
  io: createFileIO([
    createS3Store({ bucket: env.s3Bucket, region: env.s3Region, endpoint: env.s3Endpoint, credentials: { accessKeyId: env.s3AccessKeyId, secretAccessKey: env.s3SecretAccessKey } }),
  ]),
  compressors: { zstd: zstdCompress },
}
let table: Table

/** `bun run scripts/query.ts ...` with the stack as the configured catalog (the worker's env overrides). */
async function query(args: string[]): Promise<{ stdout: string; stderr: string; ms: number }> {
  const started = performance.now()
  const { code, stdout, stderr } = await runStackCli('query.ts', args, dataDir)
  if (code !== 0) throw new Error(`query ${args.join(' ')} exited ${code}:\n${stderr}`)
  return { stdout, stderr, ms: performance.now() - started }
}

const pyScan = (request: Record<string, unknown>) => runPython('query_scan.py', [JSON.stringify({ table: name, ...request })]) as Promise<PyScan>
/** Our ISO timestamps drop trailing fraction zeros; Python prints six digits. */
const micros = (iso: string) => (iso.includes('.') ? iso.replace(/\.(\d+)$/, (_, f: string) => `.${f.padEnd(6, '0')}`) : `${iso}.000000`)

beforeAll(async () => {
  const schema = parseSchemaDsl('sensor_id string, timestamp timestamp, reading double')
  table = await createTable(options, { namespace: [namespace], name: 'sensor_readings' }, { schema, partitionSpec: parsePartitionDsl('sensor_id', schema), createNamespace: true })
  const started = performance.now()
  // 5 appends × 200,000 rows over 12 sensors: 60 files, each append a later ~2.3-day slice of time.
  for (let k = 0; k < 5; k++) await table.append(sensorRows(200_000, 12, k * 200_000))
  console.log(`query e2e: wrote 1,000,000 rows in ${table.snapshots().length} snapshots in ${Math.round(performance.now() - started)} ms`)
}, 120_000)

afterAll(async () => {
  await dropTable(options, table.identifier, { purge: true }).catch(() => {})
  await options.catalog.dropNamespace([namespace]).catch(() => {})
  rmSync(dataDir, { recursive: true, force: true })
})

describe('query over 1,000,000 rows in 60 files', () => {
  test('grouped aggregates with a time and value filter equal PyIceberg\'s scan of the same predicate', async () => {
    const sql = `SELECT sensor_id, count(*) AS n, sum(reading) AS total, min(reading) AS lo, max(reading) AS hi, min(timestamp) AS first
                 FROM ${name} WHERE timestamp >= '2026-01-04' AND reading < 600 GROUP BY sensor_id ORDER BY sensor_id`
    const [ours, reference] = await Promise.all([
      query([sql, '--format', 'json']),
      pyScan({ filter: "timestamp >= '2026-01-04T00:00:00' and reading < 600", group_by: 'sensor_id' }),
    ])
    const rows = JSON.parse(ours.stdout) as { sensor_id: string; n: number; total: number; lo: number; hi: number; first: string }[]
    expect(rows.length).toBe(12)
    expect(Object.fromEntries(rows.map((r) => [r.sensor_id, { count: r.n, sum: r.total, min: r.lo, max: r.hi, first: micros(r.first) }]))).toEqual(reference.groups)
    expect(rows.reduce((s, r) => s + r.n, 0)).toBe(reference.count)
    console.log(`query e2e: grouped aggregate ${Math.round(ours.ms)} ms end to end (${ours.stderr.trim()})`)

    const explain = JSON.parse((await query([sql, '--explain', '--format', 'json'])).stdout) as { tables: { totalFiles: number; prunedByMetrics: number; plannedFiles: unknown[] }[] }
    // The first append holds only rows before 2026-01-03: its 12 files are skipped by their timestamp bounds.
    expect(explain.tables[0]).toMatchObject({ totalFiles: 60, prunedByMetrics: 12 })
    expect(explain.tables[0]!.plannedFiles.length).toBe(48)
  }, 30_000)

  test('--explain on a one-sensor filter plans only that partition\'s files (the ones PyIceberg plans), and counts agree', async () => {
    const sql = `SELECT count(*) AS n, sum(reading) AS total FROM ${name} WHERE sensor_id = 'sensor-3'`
    const [explained, reference, result] = await Promise.all([
      query([sql, '--explain', '--format', 'json']),
      pyScan({ filter: "sensor_id == 'sensor-3'" }),
      query([sql, '--format', 'json']),
    ])
    const plan = (JSON.parse(explained.stdout) as { tables: { predicates: string[]; totalFiles: number; prunedByPartition: number; plannedFiles: { path: string }[] }[] }).tables[0]!
    expect(plan.predicates).toEqual(["sensor_id = 'sensor-3'"])
    expect(plan.totalFiles).toBe(60)
    expect(plan.prunedByPartition).toBe(55)
    expect(plan.plannedFiles.every((f) => f.path.includes('/sensor_id=sensor-3/'))).toBe(true)
    expect(plan.plannedFiles.map((f) => f.path).sort()).toEqual(reference.planned_files)
    expect(JSON.parse(result.stdout)).toEqual([{ n: reference.count, total: reference.all.sum }])
    const text = (await query([sql, '--explain'])).stdout
    expect(text).toContain('files      5 planned of 60; pruned 55 by partition, 0 by column bounds')
    console.log(`query e2e: one-sensor query ${Math.round(result.ms)} ms end to end (${result.stderr.trim()})`)
  }, 30_000)

  test('--snapshot and --as-of read the table as it was', async () => {
    const snapshots = table.snapshots()
    const [first, , third] = snapshots
    const sql = `SELECT count(*) AS n, sum(reading) AS total FROM ${name}`
    const [bySnapshot, reference, asOf] = await Promise.all([
      query([sql, '--format', 'json', '--snapshot', String(first!['snapshot-id'])]),
      pyScan({ snapshot_id: String(first!['snapshot-id']) }),
      query([sql, '--format', 'json', '--as-of', new Date(third!['timestamp-ms']).toISOString()]),
    ])
    expect(JSON.parse(bySnapshot.stdout)).toEqual([{ n: 200_000, total: reference.all.sum }])
    expect(reference.count).toBe(200_000)
    expect((JSON.parse(asOf.stdout) as { n: number }[])[0]!.n).toBe(600_000)
  }, 30_000)

  test('scanTable (the API under the CLI) streams Arrow batches equal to PyIceberg\'s rows for the same filter', async () => {
    const started = performance.now()
    let count = 0
    let sum = 0
    let batches = 0
    for await (const batch of scanTable(table, {
      io: options.io,
      compressors: hostDecompressors,
      columns: ['reading'],
      filter: [
        { column: 'sensor_id', op: 'in', values: ['sensor-1', 'sensor-2'] },
        { column: 'reading', op: '>=', value: 900 },
      ],
    })) {
      batches++
      count += batch.numRows
      for (const value of batch.getChild('reading')!.toArray() as Float64Array) sum += value
    }
    const ms = performance.now() - started
    const reference = await pyScan({ filter: "sensor_id in ('sensor-1', 'sensor-2') and reading >= 900" })
    expect({ count, sum }).toEqual({ count: reference.count, sum: reference.all.sum })
    expect(batches).toBe(10)
    console.log(`query e2e: scanTable of 2 sensors (10 files, ${count} matching rows) in ${Math.round(ms)} ms`)
  }, 30_000)
})
