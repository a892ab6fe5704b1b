/** Compaction of tables with row-level deletes: deletes applied, delete files dropped, racing upserts never undone. */
import { describe, expect, test } from 'bun:test'
import type { RecordBatch } from 'apache-arrow'
import { decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { currentSnapshot } from '../../src/iceberg/table-metadata.ts'
import type { DataFile } from '../../src/iceberg/types.ts'
import { compactTable } from '../../src/maintenance/compact.ts'
import { expireSnapshots } from '../../src/maintenance/expire.ts'
import { removeOrphanFiles } from '../../src/maintenance/orphans.ts'
import { planScan } from '../../src/query/plan.ts'
import { scanTable } from '../../src/query/scan-table.ts'
import { commitRowDelta } from '../../src/transaction/row-delta.ts'
import { appendMany, fixture, identifier, racingCatalog, storedObjects, type Fixture } from './table-fixture.ts'

async function liveDataFiles(f: Fixture): Promise<DataFile[]> {
  const metadata = (await f.catalog.loadTable(identifier)).metadata
  const out: DataFile[] = []
  for (const m of await decodeManifestList(await f.io.read(currentSnapshot(metadata)!['manifest-list']))) {
    if (m.content !== 0) continue
    for (const e of (await decodeManifest(await f.io.read(m['manifest-path']))).entries) if (e.status !== 2) out.push(e['data-file'])
  }
  return out.sort((a, b) => (a['file-path'] < b['file-path'] ? -1 : 1))
}

async function ids(f: Fixture): Promise<number[]> {
  const out: number[] = []
  for await (const batch of scanTable(await f.catalog.loadTable(identifier), { io: f.io, columns: ['id'] }) as AsyncIterable<RecordBatch>) {
    for (const v of batch.getChild('id')!.toArray() as BigInt64Array) out.push(Number(v))
  }
  return out.sort((a, b) => a - b)
}

/** Deletes `every`-th position of each given file (and all of `wipe`) in one row delta; returns how many rows. */
async function deleteRows(f: Fixture, files: DataFile[], every: number, wipe?: DataFile): Promise<number> {
  const deletes = new Map<string, number[]>()
  for (const file of files) deletes.set(file['file-path'], Array.from({ length: file['record-count'] }, (_, p) => p).filter((p) => p % every === 0 || file === wipe))
  await commitRowDelta({ catalog: f.catalog, io: f.io, table: await f.catalog.loadTable(identifier) }, { deletes })
  return [...deletes.values()].reduce((n, p) => n + p.length, 0)
}

for (const formatVersion of ['2', '3']) {
  describe(`compaction with deletes, format v${formatVersion}`, () => {
    test('rewrites files with deletes (even a large one alone), drops every delete file, keeps exactly the surviving rows', async () => {
      const f = await fixture({ 'format-version': formatVersion })
      await appendMany(f, 4, 30) // 4 commits × 3 partitions
      const files = await liveDataFiles(f)
      const wiped = files[0]!
      const deleted = await deleteRows(f, files, 4, wiped)
      const before = await ids(f)
      expect(before.length).toBe(120 - deleted)
      // v2: one position-delete file per partition; v3: one DV per data file.
      const deleteFileCount = formatVersion === '2' ? 3 : 12
      expect((await planScan({ io: f.io, metadata: (await f.catalog.loadTable(identifier)).metadata })).deleteFiles).toBe(deleteFileCount)

      // Files count as large here: only their deletes make them candidates, and each partition still compacts.
      const result = await compactTable({ catalog: f.catalog, io: f.io }, identifier, { minFileBytes: 1 })
      expect(result.deletedRows).toBe(deleted)
      expect(result.deleteFilesRemoved).toBe(deleteFileCount)
      expect(await ids(f)).toEqual(before)
      const metadata = (await f.catalog.loadTable(identifier)).metadata
      const plan = await planScan({ io: f.io, metadata })
      expect([plan.deleteFiles, plan.filesWithDeletes, plan.totalRecords]).toEqual([0, 0, before.length])
      const summary = currentSnapshot(metadata)!.summary
      expect(summary).toMatchObject({ operation: 'replace', 'removed-delete-files': String(deleteFileCount), 'total-delete-files': '0', 'total-position-deletes': '0', 'total-records': String(before.length) })
      expect(summary['removed-position-deletes']).toBe(String(deleted))

      // Expiry to the last snapshot removes the delete files (and Puffin files) from storage; orphan removal finds nothing more.
      const deleteFiles = (await storedObjects(f)).filter((p) => /\/(delete-|dv-)/.test(p))
      expect(deleteFiles.length).toBeGreaterThan(0)
      await expireSnapshots({ catalog: f.catalog, io: f.io }, identifier, { minSnapshotsToKeep: 1, maxSnapshotAgeMs: 0, headGraceMs: 0 })
      const stored = await storedObjects(f)
      expect(stored.filter((p) => /\/(delete-|dv-)/.test(p))).toEqual([])
      const orphans = await removeOrphanFiles({ catalog: f.catalog, io: f.io }, identifier, { olderThanMs: 0, dryRun: true })
      expect(orphans.orphans.map((o) => o.location).filter((p) => /\/(delete-|dv-)/.test(p))).toEqual([])
      expect(await ids(f)).toEqual(before)
    })

    test('an upsert deleting rows of an input while compaction commits: the partition is abandoned, the deleted rows stay deleted', async () => {
      const f = await fixture({ 'format-version': formatVersion }, false)
      await appendMany(f, 3, 10)
      const files = await liveDataFiles(f)
      const racing = racingCatalog(f.catalog, async () => {
        await deleteRows(f, [files[1]!], 3)
      })
      await expect(compactTable({ catalog: racing, io: f.io, sleep: async () => {} }, identifier)).rejects.toMatchObject({ code: 'FILES_GONE' })
      const surviving = await ids(f)
      expect(surviving.length).toBe(30 - 4)
      // The next run compacts with the new deletes applied.
      const result = await compactTable({ catalog: f.catalog, io: f.io }, identifier)
      expect(result.deleteFilesRemoved).toBe(1)
      expect(await ids(f)).toEqual(surviving)
    })
  })
}

test('expiry keeps a Puffin file while one of its DVs is live, and deletes it once none is', async () => {
  const f = await fixture({ 'format-version': '3' }, false)
  await appendMany(f, 2, 10)
  // Ordered by their first id (ids 0-9, then 10-19), so positions name ids.
  const firstId = (file: DataFile) => new DataView(file['lower-bounds']!.get(1)!.buffer, file['lower-bounds']!.get(1)!.byteOffset).getBigInt64(0, true)
  const [a, b] = (await liveDataFiles(f)).sort((x, y) => Number(firstId(x) - firstId(y)))
  const delta = async (deletes: Map<string, number[]>) => commitRowDelta({ catalog: f.catalog, io: f.io, table: await f.catalog.loadTable(identifier) }, { deletes })
  const first = await delta(new Map([[a!['file-path'], [0]], [b!['file-path'], [1]]]))
  const shared = first.deleteFiles[0]!['file-path']
  await delta(new Map([[a!['file-path'], [2]]])) // a's DV moves to a new Puffin file; b's stays in `shared`
  const expire = () => expireSnapshots({ catalog: f.catalog, io: f.io }, identifier, { minSnapshotsToKeep: 1, maxSnapshotAgeMs: 0, headGraceMs: 0 })
  await expire()
  expect(await storedObjects(f)).toContain(shared)
  expect(await ids(f)).toEqual([...Array(20).keys()].filter((i) => ![0, 2, 11].includes(i)))
  await delta(new Map([[b!['file-path'], [3]]]))
  await expire()
  expect(await storedObjects(f)).not.toContain(shared)
  expect(await ids(f)).toEqual([...Array(20).keys()].filter((i) => ![0, 2, 11, 13].includes(i)))
})
