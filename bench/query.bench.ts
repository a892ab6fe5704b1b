/**
 * Query figures on 1M rows in 60 files: SQL with vs without our pruning, and scanTable (Arrow). Medians of 7 after a
 * warm-up. Against the test stack's REST catalog and S3 when it is up (object storage is where pruning pays), else on
 * a local warehouse; BENCH_LOCAL=1 forces local.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Catalog } from '../src/catalog/catalog.ts'
import { createSqliteCatalog } from '../src/catalog/embedded/sqlite-catalog.ts'
import { createRestCatalog } from '../src/catalog/rest/client.ts'
import { zstdCompress } from '../src/adapter/bun/zstd.ts'
import { hostDecompressors } from '../src/adapter/bun/decompress.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../src/iceberg/schema-dsl.ts'
import { scanTable } from '../src/query/scan-table.ts'
import { runQuery } from '../src/adapter/bun/run-query.ts'
import { createFileIO, type FileIO } from '../src/storage/file-io.ts'
import { createFsStore } from '../src/storage/fs.ts'
import { createS3Store } from '../src/storage/s3/index.ts'
import { createTable, dropTable } from '../src/table/table.ts'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const APPENDS = 5
const SENSORS = 12
const RUNS = 7

const dir = mkdtempSync(join(tmpdir(), 'query-bench-'))
const stackFile = join(import.meta.dir, '..', '.stack', 'stack.env')
const stack = existsSync(stackFile) && !process.env.BENCH_LOCAL
  ? Object.fromEntries(readFileSync(stackFile, 'utf8').split('\n').map((l) => /^([A-Z0-9_]+)=(.*)$/.exec(l)).filter((m) => m !== null).map((m) => [m[1]!, m[2]!]))
  : undefined
let io: FileIO
let catalog: Catalog & { close?(): void }
if (stack) {
  const credentials = { accessKeyId: stack.S3_ACCESS_KEY_ID!, secretAccessKey: stack.S3_SECRET_ACCESS_KEY! }
  io = createFileIO([createS3Store({ bucket: stack.S3_BUCKET!, region: stack.S3_REGION!, endpoint: stack.S3_ENDPOINT!, credentials })])
  catalog = createRestCatalog({ uri: stack.ICEBERG_REST_URI! })
} else {
  io = createFileIO([createFsStore(join(dir, 'wh'))])
  catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: pathToFileURL(join(dir, 'wh')).href, io })
}
const namespace = `bench_${crypto.randomUUID().slice(0, 8)}`
console.log(`query bench: ${ROWS.toLocaleString('en-US')} rows on ${stack ? 'the test stack (REST catalog, S3)' : 'a local warehouse'}`)
const schema = parseSchemaDsl('sensor_id string, timestamp timestamp, reading double')
const table = await createTable({ catalog, io, compressors: { zstd: zstdCompress } }, { namespace: [namespace], name: 'readings' }, { schema, partitionSpec: parsePartitionDsl('sensor_id', schema), createNamespace: true })
const per = ROWS / APPENDS
for (let k = 0; k < APPENDS; k++) {
  await table.append(
    Array.from({ length: per }, (_, j) => {
      const i = k * per + j
      return { sensor_id: `sensor-${i % SENSORS}`, timestamp: 1_767_225_600_000_000n + BigInt(i) * 1_000_000n, reading: ((i * 37) % 4000) / 4 }
    }),
  )
}

async function median(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = []
  await fn() // warm-up
  for (let r = 0; r < RUNS; r++) {
    const started = performance.now()
    await fn()
    times.push(performance.now() - started)
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!
}

const oneSensor = `SELECT count(*), avg(reading) FROM ${namespace}.readings WHERE sensor_id = 'sensor-3'`
const lateWindow = `SELECT count(*), avg(reading) FROM ${namespace}.readings WHERE timestamp >= TIMESTAMP '2026-01-01' + INTERVAL 9 DAY`
const literal = `SELECT count(*), avg(reading) FROM ${namespace}.readings WHERE timestamp >= '2026-01-10 12:00:00'`
const grouped = `SELECT sensor_id, count(*), avg(reading) FROM ${namespace}.readings GROUP BY sensor_id`
for (const [label, sql] of [['one sensor (partition)', oneSensor], ['last day (column bounds)', literal], ['all rows, grouped', grouped], ['computed literal (not pruned)', lateWindow]] as const) {
  const pruned = await median(() => runQuery(sql, { catalog, io }))
  const full = await median(() => runQuery(sql, { catalog, io, prune: false }))
  const plan = (await runQuery(sql, { catalog, io, explain: true })).tables[0]!.plan
  console.log(`${label.padEnd(30)} ${String(plan.files.length).padStart(2)}/${plan.totalFiles} files  pruned ${pruned.toFixed(0).padStart(5)} ms  unpruned ${full.toFixed(0).padStart(5)} ms  ratio ${(full / pruned).toFixed(1)}x`)
}
const scanOne = await median(async () => {
  for await (const batch of scanTable(table, { io, compressors: hostDecompressors, columns: ['reading'], filter: [{ column: 'sensor_id', op: '=', value: 'sensor-3' }] })) void batch
})
const scanAll = await median(async () => {
  for await (const batch of scanTable(table, { io, compressors: hostDecompressors, columns: ['sensor_id', 'reading'] })) void batch
})
console.log(`scanTable one sensor (Arrow)   ${scanOne.toFixed(0).padStart(5)} ms; all ${ROWS.toLocaleString('en-US')} rows ${scanAll.toFixed(0)} ms (${Math.round(ROWS / (scanAll / 1000)).toLocaleString('en-US')} rows/s)`)
if (stack) {
  await dropTable({ catalog }, table.identifier, { purge: true })
  await catalog.dropNamespace([namespace])
}
catalog.close?.()
rmSync(dir, { recursive: true, force: true })
