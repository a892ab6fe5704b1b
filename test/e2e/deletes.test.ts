/**
 * Row-level deletes on the real stack (REST catalog 1.10.1 + SigV4 S3), checked by independent readers.
 *
 * v2 table: our row delta (new data files + position-delete files in one `overwrite` snapshot, then a
 * `delete`-only one), read by PyIceberg 0.12 (which applies positional deletes), by Iceberg Java 1.10.1
 * (IcebergGenerics through test/e2e/java/IcebergJavaWriter.java's `read` op, which applies every kind) and
 * by `bun run query`: all three see exactly the surviving rows of a model. Compaction then leaves no delete
 * file and the same rows for all three.
 *
 * v3 table: our deletion vectors (two row deltas on the same files, so the second merges each DV and removes
 * the old one), read by Iceberg Java, by PyIceberg 0.12 (it reads Puffin DVs) and by `bun run query`.
 * Compaction leaves no DV and the same rows for Java and query, each keeping its `_row_id` and
 * `_last_updated_sequence_number` as Java reads them.
 *
 * Deletes Iceberg Java writes (test/e2e/java/DeletionVectorCheck.java `delete-rows`: a RowDelta with
 * position-delete files on v2, BaseDVFileWriter DVs on v3) are applied by `bun run query`, and on v3 our
 * next row delta merges Java's DV into ours; Java and PyIceberg read the result, compaction drops them.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hostDecompressors } from '../../src/adapter/bun/decompress.ts'
import { runQuery } from '../../src/adapter/bun/run-query.ts'
import { zstdCompress } from '../../src/adapter/bun/zstd.ts'
import { createRestCatalog } from '../../src/catalog/rest/client.ts'
import { decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { currentSnapshot } from '../../src/iceberg/table-metadata.ts'
import type { DataFile, Row } from '../../src/iceberg/types.ts'
import { compactTable } from '../../src/maintenance/compact.ts'
import { readParquetColumns } from '../../src/parquet/read.ts'
import { planScan } from '../../src/query/plan.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createS3Store } from '../../src/storage/s3/index.ts'
import { createTable, dropTable, type Table } from '../../src/table/table.ts'
import { writeDataFiles } from '../../src/table/write-data-files.ts'
import { commitRowDelta } from '../../src/transaction/row-delta.ts'
import { JavaWriter, javaWriterClassPath, restCatalog } from './java-writer.ts'
import { runPython } from './pyiceberg.ts'
import { stackEnv } from './stack-env.ts'
import { runStackCli } from './stack-cli.ts'

setDefaultTimeout(120_000)

const env = stackEnv()
const suffix = crypto.randomUUID().slice(0, 8)
const namespace = `deletes_${suffix}`
const catalog = createRestCatalog({ uri: env.restUri })
const io = createFileIO([
  createS3Store({ bucket: env.s3Bucket, region: env.s3Region, endpoint: env.s3Endpoint, credentials: { accessKeyId: env.s3AccessKeyId, secretAccessKey: env.s3SecretAccessKey } }),
])
const codecs = { compressors: { zstd: zstdCompress }, decompressors: hostDecompressors }
const schema = parseSchemaDsl('id long required, grp string, v double')
const dir = mkdtempSync(join(tmpdir(), 'deletes-e2e-'))
let java: JavaWriter
const tables: string[] = []

beforeAll(async () => {
  java = await JavaWriter.start(env, join(dir, 'java.log'))
})
afterAll(async () => {
  await java?.close()
  for (const name of tables) await dropTable({ catalog }, { namespace: [namespace], name }, { purge: true }).catch(() => {})
  await catalog.dropNamespace([namespace]).catch(() => {})
  rmSync(dir, { recursive: true, force: true })
})

const rows = (from: number, to: number): Row[] => Array.from({ length: to - from }, (_, i) => ({ id: BigInt(from + i), grp: `g${(from + i) % 3}`, v: (from + i) / 4 }))

async function newTable(name: string, formatVersion: 2 | 3): Promise<Table> {
  tables.push(name)
  return createTable({ catalog, io, ...codecs }, { namespace: [namespace], name }, {
    schema,
    partitionSpec: parsePartitionDsl('grp', schema),
    properties: { 'format-version': String(formatVersion) },
    createNamespace: true,
  })
}

async function liveDataFiles(table: Table): Promise<DataFile[]> {
  const metadata = (await table.refresh()).metadata
  const out: DataFile[] = []
  for (const m of await decodeManifestList(await io.read(currentSnapshot(metadata)!['manifest-list']))) {
    if (m.content !== 0) continue
    for (const e of (await decodeManifest(await io.read(m['manifest-path']))).entries) if (e.status !== 2) out.push(e['data-file'])
  }
  return out
}

/** The ids of a data file in row order: position p holds ids[p]. */
async function fileIds(file: DataFile): Promise<number[]> {
  const read = await readParquetColumns(await io.read(file['file-path']), [schema.fields[0]!], { decompressors: hostDecompressors })
  return (read.columns[0] as bigint[]).map(Number)
}

/** Deletes the positions `pick` chooses in each file, in one row delta with `dataFiles`; returns the deleted ids. */
async function deleteWhere(table: Table, files: DataFile[], pick: (position: number, id: number) => boolean, dataFiles: DataFile[] = []) {
  const deletes = new Map<string, number[]>()
  const deletedIds: number[] = []
  for (const file of files) {
    const ids = await fileIds(file)
    const positions = ids.flatMap((id, p) => (pick(p, id) ? [p] : []))
    positions.forEach((p) => deletedIds.push(ids[p]!))
    if (positions.length) deletes.set(file['file-path'], positions)
  }
  const result = await commitRowDelta({ catalog, io, table: await table.refresh(), ...codecs }, { dataFiles, deletes, summary: () => ({ 'e2e.marker': suffix }) })
  return { result, deletedIds }
}

const sorted = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b)

async function pyIds(name: string): Promise<{ ids?: number[]; error?: string }> {
  try {
    const report = (await runPython('table_report.py', [JSON.stringify({ table: `${namespace}.${name}`, rows: true })])) as { rows: { id: number }[] }
    return { ids: sorted(report.rows.map((r) => Number(r.id))) }
  } catch (error) {
    return { error: (error as Error).message.split('\n').slice(-3).join(' ') }
  }
}

/** id → [_row_id, _last_updated_sequence_number] as Iceberg Java reads them (v3 row lineage). */
async function javaLineage(name: string): Promise<Map<number, [string, string]>> {
  const [read] = await java.run(restCatalog(env), `${namespace}.${name}`, [{ op: 'read', columns: ['id'], rowLineage: true }])
  return new Map((read!.rows as Record<string, unknown>[]).map((r) => [Number(r.id), [String(r._row_id), String(r._last_updated_sequence_number)]]))
}

async function javaIds(name: string): Promise<number[]> {
  const [read] = await java.run(restCatalog(env), `${namespace}.${name}`, [{ op: 'read', columns: ['id'] }])
  return sorted((read!.rows as { id: number }[]).map((r) => Number(r.id)))
}

/** Iceberg Java deletes these rows in one RowDelta commit (DeletionVectorCheck.java delete-rows). */
async function javaDeleteRows(name: string, deletes: Map<string, number[]>): Promise<{ deleteFiles: { format: string; recordCount: number }[] }> {
  const request = join(dir, `delete-rows-${name}.json`)
  writeFileSync(request, JSON.stringify({ catalog: restCatalog(env), table: `${namespace}.${name}`, deletes: Object.fromEntries(deletes) }))
  const source = join(import.meta.dir, 'java', 'DeletionVectorCheck.java')
  const child = Bun.spawn(['java', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', javaWriterClassPath(), source, 'delete-rows', request], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, AWS_REGION: env.s3Region, AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required', AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required' },
  })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  const line = stdout.split('\n').find((l) => l.startsWith('{'))
  if (code !== 0 || !line) throw new Error(`DeletionVectorCheck delete-rows exited ${code}: ${line ?? ''}\n${stderr.slice(-2000)}`)
  return JSON.parse(line)
}

/** What `bun run query` runs (runQuery, in this process: DuckDB over the planned files, deletes anti-joined). */
async function queryIds(name: string): Promise<number[]> {
  const out = await runQuery(`SELECT id FROM ${namespace}.${name} ORDER BY id`, { catalog, io })
  return out.result!.rows.map((r) => Number(r[0]))
}

/** `bun run query` as a user runs it, against the stack's REST catalog (once per table: a process costs seconds). */
async function cliQueryIds(name: string): Promise<number[]> {
  const { code, stdout, stderr } = await runStackCli('query.ts', [`SELECT id FROM ${namespace}.${name} ORDER BY id`, '--format', 'json', '--quiet'], dir)
  if (code !== 0) throw new Error(`query exited ${code}:\n${stderr}`)
  return (JSON.parse(stdout) as { id: number | string }[]).map((r) => Number(r.id))
}

describe('deletes on a v2 table (position-delete files)', () => {
  test('PyIceberg, Iceberg Java and bun run query see exactly the surviving rows; compaction drops the deletes, not the rows', async () => {
    const table = await newTable('v2', 2)
    await table.append(rows(0, 60))
    await table.append(rows(60, 120))
    const files = await liveDataFiles(table)
    expect(files.length).toBe(6)
    const metadata = (await table.refresh()).metadata
    const upserted = await writeDataFiles({ io, metadata, rows: rows(1000, 1012), fileStem: `upsert-${suffix}`, ...codecs })
    // Delete ids divisible by 7 (by position), and add 12 new rows, in one snapshot.
    const first = await deleteWhere(table, files, (_, id) => id % 7 === 0, upserted)
    expect(first.result.snapshot.summary).toMatchObject({ operation: 'overwrite', 'added-delete-files': '3', 'e2e.marker': suffix })
    // Then a delete-only snapshot on some of the same files.
    const second = await deleteWhere(table, files.slice(0, 2), (p) => p === 1)
    expect(second.result.snapshot.summary.operation).toBe('delete')
    const model = sorted([...rows(0, 120), ...rows(1000, 1012)].map((r) => Number(r.id)).filter((id) => !first.deletedIds.includes(id) && !second.deletedIds.includes(id)))
    expect([first.deletedIds.length, second.deletedIds.length]).toEqual([18, 2])

    const py = await pyIds('v2')
    expect(py.error).toBeUndefined()
    expect(py.ids).toEqual(model)
    expect(await javaIds('v2')).toEqual(model)
    expect(await queryIds('v2')).toEqual(model)

    const compacted = await compactTable({ catalog, io }, table.identifier, { ...codecs, minFileBytes: 1 })
    expect(compacted.deleteFilesRemoved).toBe(first.result.deleteFiles.length + second.result.deleteFiles.length)
    const plan = await planScan({ io, metadata: (await table.refresh()).metadata })
    expect([plan.deleteFiles, plan.totalRecords]).toEqual([0, model.length])
    expect((await pyIds('v2')).ids).toEqual(model)
    expect(await javaIds('v2')).toEqual(model)
    expect(await cliQueryIds('v2')).toEqual(model)
  })
})

describe('deletes on a v3 table (deletion vectors)', () => {
  test('Iceberg Java, PyIceberg and bun run query apply our DVs, merged across two row deltas; compaction drops them', async () => {
    const table = await newTable('v3', 3)
    await table.append(rows(0, 90))
    const files = await liveDataFiles(table)
    const first = await deleteWhere(table, files, (_, id) => id % 5 === 0)
    expect(first.result.deleteFiles.every((f) => f['file-format'] === 'PUFFIN')).toBe(true)
    // The second delta hits the same files: each DV is merged into a new one and the old one removed.
    const second = await deleteWhere(table, files, (_, id) => id % 5 === 1)
    expect(second.result.removedDeleteFiles.length).toBe(files.length)
    const model = sorted(rows(0, 90).map((r) => Number(r.id)).filter((id) => id % 5 > 1))
    const plan = await planScan({ io, metadata: (await table.refresh()).metadata })
    expect(plan.deleteFiles).toBe(files.length)

    expect(await javaIds('v3')).toEqual(model)
    expect(await queryIds('v3')).toEqual(model)
    const py = await pyIds('v3')
    expect(py.error).toBeUndefined()
    expect(py.ids).toEqual(model)

    const lineage = await javaLineage('v3')
    expect(sorted(lineage.keys())).toEqual(model)
    const compacted = await compactTable({ catalog, io }, table.identifier, { ...codecs, minFileBytes: 1 })
    expect(compacted.deleteFilesRemoved).toBe(files.length)
    expect((await planScan({ io, metadata: (await table.refresh()).metadata })).deleteFiles).toBe(0)
    // The surviving rows keep their row ids and last-updated sequence numbers through the rewrite.
    expect(await javaLineage('v3')).toEqual(lineage)
    expect(await cliQueryIds('v3')).toEqual(model)
  })
})

describe('deletes written by Iceberg Java', () => {
  for (const formatVersion of [2, 3] as const) {
    test(`v${formatVersion}: query applies Java's ${formatVersion === 3 ? 'DVs, our next row delta merges them' : 'position-delete files, ours add to them'}; every reader agrees; compaction drops both`, async () => {
      const name = `java_v${formatVersion}`
      const table = await newTable(name, formatVersion)
      await table.append(rows(0, 60))
      const files = await liveDataFiles(table)
      const javaDeletes = new Map<string, number[]>()
      const deleted = new Set<number>()
      for (const file of files) {
        const ids = await fileIds(file)
        const positions = ids.flatMap((id, p) => (id % 4 === 0 ? [p] : []))
        positions.forEach((p) => deleted.add(ids[p]!))
        javaDeletes.set(file['file-path'], positions)
      }
      const written = await javaDeleteRows(name, javaDeletes)
      expect(written.deleteFiles.map((f) => f.format)).toEqual(files.map(() => (formatVersion === 3 ? 'PUFFIN' : 'PARQUET')))
      const afterJava = sorted(rows(0, 60).map((r) => Number(r.id)).filter((id) => !deleted.has(id)))
      expect(await queryIds(name)).toEqual(afterJava)

      // Our row delta on the same files: on v3 each of Java's DVs is merged into ours and removed.
      const ours = await deleteWhere(table, files, (_, id) => id % 4 === 1)
      if (formatVersion === 3) expect(ours.result.removedDeleteFiles.length).toBe(files.length)
      const model = afterJava.filter((id) => id % 4 !== 1)
      expect(await cliQueryIds(name)).toEqual(model)
      expect(await javaIds(name)).toEqual(model)
      expect((await pyIds(name)).ids).toEqual(model)

      const compacted = await compactTable({ catalog, io }, table.identifier, { ...codecs, minFileBytes: 1 })
      expect(compacted.deleteFilesRemoved).toBe(formatVersion === 3 ? files.length : files.length + ours.result.deleteFiles.length)
      expect(await javaIds(name)).toEqual(model)
      expect(await queryIds(name)).toEqual(model)
    })
  }
})
