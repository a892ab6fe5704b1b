/**
 * Issue 4 acceptance against the real stack: our writer creates and appends, PyIceberg (an
 * independent implementation) reads. REST catalog + SigV4-checking S3, and the embedded catalog.
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { createRestCatalog } from '../../src/catalog/rest/client.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { zstdCompress } from '../../src/adapter/bun/zstd.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { createS3Store } from '../../src/storage/s3/index.ts'
import { createTable, dropTable, loadTable, type TableOptions } from '../../src/table/table.ts'
import { runPython } from './pyiceberg.ts'
import { isoMicros, sensorRows, totals } from './sensor-rows.ts'
import { stackEnv } from './stack-env.ts'

// Real services on a 2-core machine: far beyond bun's 5 s default (set per file: bun applies it to the calling file only).
setDefaultTimeout(120_000)

interface Report {
  count: number
  planned_files: string[]
  snapshots: { snapshot_id: string; operation: string; summary: Record<string, string> }[]
  sum?: Record<string, number>
  min?: Record<string, string>
  max?: Record<string, string>
  group_count?: Record<string, number>
}

const env = stackEnv()
const schema = parseSchemaDsl('sensor_id string, timestamp timestamp, reading double')
const spec = parsePartitionDsl('sensor_id', schema)
const suffix = crypto.randomUUID().slice(0, 8)

function restOptions(): TableOptions {
  const credentials = { accessKeyId: env.s3AccessKeyId, secretAccessKey: env.s3SecretAccessKey }
  return {
    catalog: createRestCatalog({ uri: env.restUri }),
    io: createFileIO([createS3Store({ bucket: env.s3Bucket, region: env.s3Region, endpoint: env.s3Endpoint, credentials })]),
    // The REST server sets write.parquet.compression-codec=zstd on new tables; exercise that path.
    compressors: { zstd: zstdCompress },
  }
}

async function appendThreeBatchesAndCheck(options: TableOptions, namespace: string, catalog: Record<string, string>) {
  const identifier = { namespace: [namespace], name: 'sensor_readings' }
  const table = await createTable(options, identifier, { schema, partitionSpec: spec, createNamespace: true })
  const batches = [sensorRows(40_000, 10, 0), sensorRows(35_000, 10, 40_000), sensorRows(25_000, 10, 75_000)]
  for (const batch of batches) await table.append(batch)
  expect(table.snapshots()).toHaveLength(3)

  const expected = totals(batches.flat())
  const report = (await runPython('table_report.py', [
    JSON.stringify({
      table: `${namespace}.sensor_readings`,
      catalog,
      sum: ['reading'],
      min: ['timestamp'],
      max: ['timestamp'],
      group_count: 'sensor_id',
    }),
  ])) as Report
  expect(report.count).toBe(100_000)
  expect(report.sum?.reading).toBe(expected.sum)
  expect(report.group_count).toEqual(expected.perSensor)
  expect(report.min?.timestamp).toBe(isoMicros(expected.minMicros))
  expect(report.max?.timestamp).toBe(isoMicros(expected.maxMicros))
  expect(report.snapshots.map((s) => s.operation)).toEqual(['append', 'append', 'append'])
  expect(report.snapshots.at(-1)?.summary['total-records']).toBe('100000')

  // A scan filtered on one sensor plans only that partition's files.
  const filtered = (await runPython('table_report.py', [
    JSON.stringify({ table: `${namespace}.sensor_readings`, catalog, filter: "sensor_id == 'sensor-3'" }),
  ])) as Report
  expect(filtered.count).toBe(10_000)
  expect(filtered.planned_files.length).toBe(3)
  for (const file of filtered.planned_files) expect(file).toContain('/sensor_id=sensor-3/')
  const all = (await runPython('table_report.py', [JSON.stringify({ table: `${namespace}.sensor_readings`, catalog })])) as Report
  expect(all.planned_files.length).toBe(30)
  return identifier
}

describe('table writer, read back by PyIceberg', () => {
  const tempDirs: string[] = []
  afterAll(() => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
  })

  test('REST catalog on SigV4 S3: 3 appends, 100k rows, 10 sensors, partition pruning', async () => {
    const options = restOptions()
    const identifier = await appendThreeBatchesAndCheck(options, `learning_${suffix}`, { type: 'rest' })
    await dropTable(options, identifier, { purge: true })
    await options.catalog.dropNamespace(identifier.namespace)
  })

  test('embedded catalog on local disk, read by PyIceberg SqlCatalog on the same SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ingest-embedded-'))
    tempDirs.push(dir)
    const warehouseDir = join(dir, 'warehouse')
    const io = createFileIO([createFsStore(warehouseDir)])
    const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: `file://${warehouseDir}`, io })
    await appendThreeBatchesAndCheck({ catalog, io }, 'learning', {
      type: 'sql',
      uri: `sqlite:///${join(dir, 'catalog.db')}`,
      name: 'default',
    })
    catalog.close()
  })

  test('two appends racing on one table both land; one retries after a conflict', async () => {
    const options = restOptions()
    const identifier = { namespace: [`race_${suffix}`], name: 'sensor_readings' }
    await createTable(options, identifier, { schema, partitionSpec: spec, createNamespace: true })
    const [a, b] = await Promise.all([loadTable(options, identifier), loadTable(options, identifier)])
    const results = await Promise.all([a.append(sensorRows(1_000, 10, 0)), b.append(sensorRows(2_000, 10, 1_000))])
    expect(results.map((r) => r.attempts).sort()).toEqual([1, 2])
    const report = (await runPython('table_report.py', [
      JSON.stringify({ table: `race_${suffix}.sensor_readings`, catalog: { type: 'rest' } }),
    ])) as Report
    expect(report.count).toBe(3_000)
    expect(report.snapshots).toHaveLength(2)
    await dropTable(options, identifier, { purge: true })
    await options.catalog.dropNamespace(identifier.namespace)
  })
})
