/** Reads that apply deletes: `runQuery` (DuckDB anti-joins the deleted positions) and `scanTable` agree with a model. */
import { afterAll, describe, expect, test } from 'bun:test'
import type { RecordBatch } from 'apache-arrow'
import { runQuery } from '../../src/adapter/bun/run-query.ts'
import { explainText, planSummary } from '../../scripts/cli/query-report.ts'
import { decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import type { DataFile } from '../../src/iceberg/types.ts'
import { writeManifest } from '../../src/maintenance/manifest-writer.ts'
import { scanTable } from '../../src/query/scan-table.ts'
import { createTable } from '../../src/table/table.ts'
import { commitSnapshot } from '../../src/transaction/commit-snapshot.ts'
import { commitRowDelta } from '../../src/transaction/row-delta.ts'
import { appendSummary } from '../../src/iceberg/snapshot.ts'
import { localWarehouse } from './fixture.ts'

const wh = localWarehouse()
afterAll(() => wh.cleanup())
const SCHEMA = parseSchemaDsl('id long required, grp string, v double')

async function liveDataFiles(name: string): Promise<DataFile[]> {
  const loaded = await wh.catalog.loadTable({ namespace: ['del'], name })
  const list = await decodeManifestList(await wh.io.read(loaded.metadata.snapshots.at(-1)!['manifest-list']))
  const out: DataFile[] = []
  for (const m of list.filter((m) => m.content === 0)) out.push(...(await decodeManifest(await wh.io.read(m['manifest-path']))).entries.filter((e) => e.status !== 2).map((e) => e['data-file']))
  return out
}

async function scanIds(name: string, snapshot?: bigint): Promise<number[]> {
  const loaded = await wh.catalog.loadTable({ namespace: ['del'], name })
  const out: number[] = []
  const options = { io: wh.io, columns: ['id'], ...(snapshot !== undefined ? { snapshot } : {}) }
  for await (const batch of scanTable(loaded, options) as AsyncIterable<RecordBatch>) for (const v of batch.getChild('id')!.toArray() as BigInt64Array) out.push(Number(v))
  return out.sort((a, b) => a - b)
}

async function queryIds(name: string, where = '', snapshotId?: bigint): Promise<number[]> {
  const out = await runQuery(`SELECT id FROM del.${name} ${where} ORDER BY id`, { catalog: wh.catalog, io: wh.io, ...(snapshotId !== undefined ? { snapshotId } : {}) })
  return out.result!.rows.map((r) => Number(r[0]))
}

for (const formatVersion of [2, 3] as const) {
  describe(`format v${formatVersion}: deletes applied by query and scanTable`, () => {
    const name = `t${formatVersion}`
    test('deleted positions are gone in both readers, across partitions and files; time travel sees the rows again', async () => {
      const table = await createTable({ catalog: wh.catalog, io: wh.io }, { namespace: ['del'], name }, {
        schema: SCHEMA,
        partitionSpec: parsePartitionDsl('grp', SCHEMA),
        properties: { 'format-version': String(formatVersion) },
        createNamespace: true,
      })
      const rows = Array.from({ length: 300 }, (_, i) => ({ id: BigInt(i), grp: `g${i % 3}`, v: i / 2 }))
      await table.append(rows.slice(0, 150))
      const before = await table.append(rows.slice(150))
      const files = await liveDataFiles(name)
      expect(files.length).toBe(6)
      // Delete every 7th row of each file by position; the model tracks which ids those are.
      const deleted = new Set<number>()
      const deletes = new Map<string, number[]>()
      for (const file of files) {
        const ids = (await scanFileIds(file)).filter((_, pos) => pos % 7 === 0)
        ids.forEach((id) => deleted.add(id))
        deletes.set(file['file-path'], Array.from({ length: file['record-count'] }, (_, p) => p).filter((p) => p % 7 === 0))
      }
      await commitRowDelta({ catalog: wh.catalog, io: wh.io, table: await table.refresh() }, { deletes })
      const survivors = rows.map((r) => Number(r.id)).filter((id) => !deleted.has(id))
      expect(await scanIds(name)).toEqual(survivors)
      expect(await queryIds(name)).toEqual(survivors)
      // Pruned by partition and with a filter, the deletes still apply.
      expect(await queryIds(name, "WHERE grp = 'g1' AND id >= 100")).toEqual(survivors.filter((id) => id % 3 === 1 && id >= 100))
      const agg = await runQuery(`SELECT count(*), sum(v) FROM del.${name}`, { catalog: wh.catalog, io: wh.io })
      expect(agg.result!.rows[0]).toEqual([BigInt(survivors.length), survivors.reduce((s, id) => s + id / 2, 0)])
      const explained = explainText(await runQuery(`SELECT count(*) FROM del.${name}`, { catalog: wh.catalog, io: wh.io, explain: true }))
      expect(explained).toContain(`deletes    ${formatVersion === 3 ? 6 : 3} delete files (DVs, position deletes) in snapshot; 6 planned files have deleted rows`)
      expect(explained).toMatch(formatVersion === 3 ? /rows, DV of \d+ deleted\)/ : /rows, 1 position-delete file\)/)
      expect(planSummary(agg)).toContain('6 of 6 files (pruned 0 by partition, 0 by bounds, 6 with deleted rows)')
      // Time travel to the snapshot before the deletes: every row.
      const all = rows.map((r) => Number(r.id))
      expect(await scanIds(name, before.snapshot['snapshot-id'])).toEqual(all)
      expect(await queryIds(name, '', before.snapshot['snapshot-id'])).toEqual(all)
    })
  })
}

/** Ids of one data file in file order (position = index). */
async function scanFileIds(file: DataFile): Promise<number[]> {
  const { readParquetColumns } = await import('../../src/parquet/read.ts')
  const read = await readParquetColumns(await wh.io.read(file['file-path']), [SCHEMA.fields[0]!])
  return (read.columns[0] as bigint[]).map(Number)
}

test('an equality-delete file is refused by name, by both readers', async () => {
  const table = await createTable({ catalog: wh.catalog, io: wh.io }, { namespace: ['del'], name: 'eq' }, { schema: SCHEMA, createNamespace: true })
  await table.append([{ id: 1n, grp: 'a', v: 1 }])
  const loaded = await table.refresh()
  const eqPath = `${loaded.metadata.location}/data/eq-deletes.parquet`
  const eq: DataFile = { content: 2, 'file-path': eqPath, 'file-format': 'PARQUET', partition: [], 'record-count': 1, 'file-size-in-bytes': 10 }
  await commitSnapshot({ catalog: wh.catalog, io: wh.io }, loaded, {
    snapshotId: 77n,
    written: [],
    async build(metadata, parent, sequenceNumber) {
      const manifest = await writeManifest(wh.io, metadata, {
        path: `${metadata.location}/metadata/eq-m.avro`,
        specId: 0,
        entries: [{ status: 1, 'snapshot-id': 77n, 'data-file': eq }],
        snapshotId: 77n,
        sequenceNumber,
        content: 1,
      })
      return { manifests: [manifest, ...(await decodeManifestList(await wh.io.read(parent!['manifest-list'])))], summary: appendSummary(parent!.summary, { dataFiles: 0, records: 0, fileSizeBytes: 0, partitions: 0 }) }
    },
  })
  await expect(scanIds('eq')).rejects.toThrow(`equality-delete file ${eqPath} applies to data file`)
  await expect(queryIds('eq')).rejects.toMatchObject({ code: 'UNSUPPORTED_DELETES' })
})
