import { afterAll, describe, expect, test } from 'bun:test'
import type { RecordBatch } from 'apache-arrow'
import { decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { currentSnapshot } from '../../src/iceberg/table-metadata.ts'
import type { DataFile, TableIdentifier } from '../../src/iceberg/types.ts'
import { compactTable } from '../../src/maintenance/compact.ts'
import { readPositionDeleteFile } from '../../src/deletes/position-delete-file.ts'
import { planScan } from '../../src/query/plan.ts'
import { scanTable } from '../../src/query/scan-table.ts'
import { createTable, type Table } from '../../src/table/table.ts'
import { writeDataFiles } from '../../src/table/write-data-files.ts'
import { commitRowDelta, type RowDeltaRequest } from '../../src/transaction/row-delta.ts'
import { localWarehouse } from '../query/fixture.ts'

const wh = localWarehouse()
afterAll(() => wh.cleanup())

const SCHEMA = parseSchemaDsl('id long required, name string')

async function newTable(name: string, formatVersion: 2 | 3): Promise<Table> {
  return createTable({ catalog: wh.catalog, io: wh.io }, { namespace: ['rd'], name }, {
    schema: SCHEMA,
    properties: { 'format-version': String(formatVersion) },
    createNamespace: true,
  })
}

const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ id: BigInt(from + i), name: `n${from + i}` }))

/** Appends each batch as its own data file; returns the files in order. */
async function appendFiles(table: Table, ...batches: ReturnType<typeof rows>[]): Promise<DataFile[]> {
  const files: DataFile[] = []
  for (const batch of batches) {
    const result = await table.append(batch)
    const manifests = await decodeManifestList(await wh.io.read(result.snapshot['manifest-list']))
    files.push((await decodeManifest(await wh.io.read(manifests[0]!['manifest-path']))).entries[0]!['data-file'])
  }
  return files
}

async function ids(identifier: TableIdentifier): Promise<number[]> {
  const loaded = await wh.catalog.loadTable(identifier)
  const out: number[] = []
  for await (const batch of scanTable(loaded, { io: wh.io, columns: ['id'] }) as AsyncIterable<RecordBatch>) {
    for (const v of batch.getChild('id')!.toArray() as BigInt64Array) out.push(Number(v))
  }
  return out.sort((a, b) => a - b)
}

const delta = async (table: Table, request: RowDeltaRequest) => {
  const loaded = await table.refresh()
  return commitRowDelta({ catalog: wh.catalog, io: wh.io, table: loaded }, request)
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

describe('row delta on a v2 table: position-delete files', () => {
  test('new data files and deletes in one overwrite snapshot; scans drop exactly the deleted positions', async () => {
    const table = await newTable('v2', 2)
    const [a, b] = await appendFiles(table, rows(0, 10), rows(10, 20))
    const added = await writeDataFiles({ io: wh.io, metadata: (await table.refresh()).metadata, rows: rows(100, 103), fileStem: 'upsert-1' })
    const result = await delta(table, {
      dataFiles: added,
      deletes: new Map([
        [a!['file-path'], [3, 1, 1]],
        [b!['file-path'], [0, 9]],
      ]),
      summary: () => ({ 'ingest.marker': 'm1' }),
    })
    expect(result.snapshot.summary).toMatchObject({
      operation: 'overwrite',
      'added-data-files': '1',
      'added-records': '3',
      'added-delete-files': '1',
      'added-position-delete-files': '1',
      'added-position-deletes': '4',
      'total-records': '23',
      'total-delete-files': '1',
      'total-position-deletes': '4',
      'ingest.marker': 'm1',
    })
    expect(result.deleteFiles.map((f) => [f.content, f['file-format'], f['record-count']])).toEqual([[1, 'PARQUET', 4]])
    // The position-delete file is (file_path, pos) sorted, with full-path bounds.
    const read = await readPositionDeleteFile(await wh.io.read(result.deleteFiles[0]!['file-path']), 'x')
    expect(Object.fromEntries(read)).toEqual({ [a!['file-path']]: [1, 3], [b!['file-path']]: [0, 9] })
    // The delete manifest says `deletes` and its entries inherit the snapshot's sequence number.
    const list = await decodeManifestList(await wh.io.read(result.snapshot['manifest-list']))
    const deleteManifest = list.find((m) => m.content === 1)!
    expect(deleteManifest['sequence-number']).toBe(result.snapshot['sequence-number'])
    const decoded = await decodeManifest(await wh.io.read(deleteManifest['manifest-path']))
    expect(decoded.metadata.content).toBe('deletes')
    expect(await ids(table.identifier)).toEqual([...range(0, 20).filter((i) => ![1, 3, 10, 19].includes(i)), 100, 101, 102])

    // A later append is not affected by the earlier deletes (its sequence number is higher), and deletes only → `delete`.
    await appendFiles(table, rows(20, 30))
    const second = await delta(table, { deletes: new Map([[a!['file-path'], [0]]]) })
    expect(second.snapshot.summary.operation).toBe('delete')
    expect(second.snapshot.summary['total-delete-files']).toBe('2')
    expect(await ids(table.identifier)).toEqual([...range(0, 30).filter((i) => ![0, 1, 3, 10, 19].includes(i)), 100, 101, 102])
    const plan = await planScan({ io: wh.io, metadata: (await table.refresh()).metadata })
    expect([plan.deleteFiles, plan.filesWithDeletes]).toEqual([2, 2])
    expect(plan.files.find((f) => f.dataFile['file-path'] === a!['file-path'])!.deletes!.positionDeletes.length).toBe(2)
  })

  test('positions past the file and files that are not live are refused before anything is committed', async () => {
    const table = await newTable('v2bad', 2)
    const [a] = await appendFiles(table, rows(0, 5))
    await expect(delta(table, { deletes: new Map([[a!['file-path'], [5]]]) })).rejects.toMatchObject({ code: 'POSITIONS_INVALID' })
    await expect(delta(table, { deletes: new Map([['file:///nowhere.parquet', [0]]]) })).rejects.toMatchObject({ code: 'DATA_FILE_NOT_LIVE' })
    expect((await table.refresh()).metadata.snapshots.length).toBe(1)
  })

  test('a data file compacted away between attempts fails the row delta with DATA_FILE_GONE, never resurrecting rows', async () => {
    const table = await newTable('v2race', 2)
    const [a] = await appendFiles(table, rows(0, 10), rows(10, 20))
    const stale = await table.refresh()
    const compacted = await compactTable({ catalog: wh.catalog, io: wh.io }, table.identifier, { minFileBytes: 1 << 30 })
    expect(compacted.partitions.length).toBe(1)
    const attempt = commitRowDelta({ catalog: wh.catalog, io: wh.io, table: stale, sleep: async () => {} }, { deletes: new Map([[a!['file-path'], [0, 1]]]) })
    await expect(attempt).rejects.toMatchObject({ code: 'DATA_FILE_GONE' })
    expect(await ids(table.identifier)).toEqual(range(0, 20))
  })
})

describe('row delta on a v3 table: deletion vectors', () => {
  test('one DV per data file; a second delta merges into a new DV and removes the old one', async () => {
    const table = await newTable('v3', 3)
    const [a, b] = await appendFiles(table, rows(0, 10), rows(10, 20))
    const first = await delta(table, { deletes: new Map([[a!['file-path'], [2, 4]], [b!['file-path'], [5]]]) })
    expect(first.deleteFiles.map((f) => [f['file-format'], f['referenced-data-file'], f['record-count']])).toEqual([
      ['PUFFIN', a!['file-path'], 2],
      ['PUFFIN', b!['file-path'], 1],
    ])
    expect(first.snapshot.summary).toMatchObject({ operation: 'delete', 'added-dvs': '2', 'added-position-deletes': '3', 'total-delete-files': '2' })
    expect(await ids(table.identifier)).toEqual(range(0, 20).filter((i) => ![2, 4, 15].includes(i)))

    const second = await delta(table, { deletes: new Map([[a!['file-path'], [4, 7]]]) })
    expect(second.deleteFiles[0]!['record-count']).toBe(3) // {2, 4, 7}
    expect(second.removedDeleteFiles.map((f) => f['referenced-data-file'])).toEqual([a!['file-path']])
    expect(second.snapshot.summary).toMatchObject({ 'added-dvs': '1', 'removed-dvs': '1', 'removed-position-deletes': '2', 'total-delete-files': '2', 'total-position-deletes': '4' })
    const plan = await planScan({ io: wh.io, metadata: (await table.refresh()).metadata })
    expect(plan.deleteFiles).toBe(2)
    expect(plan.files.find((f) => f.dataFile['file-path'] === a!['file-path'])!.deletes!.deletionVector!.file['record-count']).toBe(3)
    expect(await ids(table.identifier)).toEqual(range(0, 20).filter((i) => ![2, 4, 7, 15].includes(i)))
    // Row lineage: the v3 snapshot still carries first-row-id and added-rows.
    expect(currentSnapshot((await table.refresh()).metadata)!['first-row-id']).toBeDefined()
  })

  test('another writer adds a DV for the same file between attempts: the retry merges with it, no position is lost', async () => {
    const table = await newTable('v3race', 3)
    const [a] = await appendFiles(table, rows(0, 10))
    const stale = await table.refresh()
    await delta(table, { deletes: new Map([[a!['file-path'], [1, 2]]]) })
    const ours = await commitRowDelta({ catalog: wh.catalog, io: wh.io, table: stale, sleep: async () => {} }, { deletes: new Map([[a!['file-path'], [2, 8]]]) })
    expect(ours.attempts).toBe(2)
    expect(ours.deleteFiles[0]!['record-count']).toBe(3)
    expect(ours.removedDeleteFiles.length).toBe(1)
    const plan = await planScan({ io: wh.io, metadata: (await table.refresh()).metadata })
    expect(plan.deleteFiles).toBe(1)
    expect(await ids(table.identifier)).toEqual([0, 3, 4, 5, 6, 7, 9])
  })
})
