/** Expiry on the embedded catalog: the commit, what is deleted (and what never is), time travel to kept snapshots. */
import { describe, expect, test } from 'bun:test'
import { CommitStateUnknownError } from '../../src/errors.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { currentSnapshot } from '../../src/iceberg/table-metadata.ts'
import { compactTable } from '../../src/maintenance/compact.ts'
import { expireSnapshots } from '../../src/maintenance/expire.ts'
import { loadTable } from '../../src/table/table.ts'
import { appendMany, fixture, identifier, liveFiles, rows, storedObjects, tableRows, type Fixture, racingCatalog } from './table-fixture.ts'

/** Every file the table's snapshots reference, plus its metadata JSON files (computed with the decoders directly). */
async function referenced(f: Fixture): Promise<string[]> {
  const table = await f.catalog.loadTable(identifier)
  const out = new Set<string>([table.metadataLocation, ...table.metadata['metadata-log'].map((e) => e['metadata-file'])])
  for (const snapshot of table.metadata.snapshots) {
    out.add(snapshot['manifest-list'])
    for (const m of await decodeManifestList(await f.io.read(snapshot['manifest-list']))) out.add(m['manifest-path'])
    for (const path of await liveFiles(f, snapshot['snapshot-id'])) out.add(path)
  }
  return [...out].sort()
}

describe('expireSnapshots', () => {
  test('after compaction: keep 2 → time travel to the pre-compaction snapshot still reads; keep 1 → only the compacted files remain', async () => {
    const f = await fixture()
    await appendMany(f, 8, 10)
    const before = await tableRows(f)
    const preCompaction = currentSnapshot(f.table.current().metadata)!['snapshot-id']
    await compactTable({ catalog: f.catalog, io: f.io }, identifier)
    const marker = currentSnapshot((await f.catalog.loadTable(identifier)).metadata)!.summary['ingest.wal.w1.seq']

    const keep2 = await expireSnapshots({ catalog: f.catalog, io: f.io }, identifier, { minSnapshotsToKeep: 2, maxSnapshotAgeMs: 0, headGraceMs: 0 })
    expect(keep2.expiredSnapshotIds).toHaveLength(7)
    expect(keep2.files.manifestLists).toBe(7)
    expect(keep2.files.dataFiles).toBe(0) // every small file is still live in the pre-compaction snapshot
    expect(await tableRows(f, preCompaction)).toEqual(before)
    expect(await storedObjects(f)).toEqual(await referenced(f))

    const keep1 = await expireSnapshots({ catalog: f.catalog, io: f.io }, identifier, { minSnapshotsToKeep: 1, maxSnapshotAgeMs: 0, headGraceMs: 0 })
    expect(keep1.expiredSnapshotIds).toEqual([preCompaction])
    expect(keep1.files.dataFiles).toBe(24)
    const objects = await storedObjects(f)
    expect(objects).toEqual(await referenced(f))
    expect(objects.filter((o) => o.includes('/data/'))).toEqual(await liveFiles(f))
    expect(await tableRows(f)).toEqual(before)
    // Expiry makes no snapshot; the markers are where they were.
    const metadata = (await f.catalog.loadTable(identifier)).metadata
    expect(metadata.snapshots).toHaveLength(1)
    expect(currentSnapshot(metadata)!.summary['ingest.wal.w1.seq']).toBe(marker!)
  })

  test("statistics files of expired snapshots are deleted (a dry run counts them); a kept snapshot's stay", async () => {
    const f = await fixture()
    await appendMany(f, 3, 5)
    const [oldest, , newest] = (await f.catalog.loadTable(identifier)).metadata.snapshots.map((s) => s['snapshot-id'])
    const location = f.table.current().metadata.location
    const statistics = (id: bigint) => ({ 'snapshot-id': id, 'statistics-path': `${location}/metadata/${id}.stats`, 'file-size-in-bytes': 3n, 'file-footer-size-in-bytes': 1n, 'blob-metadata': [] })
    for (const id of [oldest!, newest!]) await f.io.write(`${location}/metadata/${id}.stats`, new Uint8Array([1, 2, 3]))
    await f.io.write(`${location}/metadata/p-${oldest}.parquet`, new Uint8Array([4]))
    await f.catalog.commitTable(identifier, {
      requirements: [],
      updates: [
        { action: 'set-statistics', statistics: statistics(oldest!) },
        { action: 'set-statistics', statistics: statistics(newest!) },
        { action: 'set-partition-statistics', 'partition-statistics': { 'snapshot-id': oldest!, 'statistics-path': `${location}/metadata/p-${oldest}.parquet`, 'file-size-in-bytes': 1n } },
      ],
    })
    const options = { minSnapshotsToKeep: 1, maxSnapshotAgeMs: 0, headGraceMs: 0 }
    const dry = await expireSnapshots({ catalog: f.catalog, io: f.io }, identifier, { ...options, dryRun: true })
    expect(dry.files.statisticsFiles).toBe(2)
    const result = await expireSnapshots({ catalog: f.catalog, io: f.io }, identifier, options)
    expect(result.files.statisticsFiles).toBe(2)
    const objects = await storedObjects(f)
    expect(objects.filter((o) => o.endsWith('.stats') || o.includes('/p-'))).toEqual([`${location}/metadata/${newest}.stats`])
    expect((await f.catalog.loadTable(identifier)).metadata.statistics!.map((s) => s['snapshot-id'])).toEqual([newest!])
  })

  test('dry run: counts, deletes nothing, commits nothing', async () => {
    const f = await fixture()
    await appendMany(f, 4, 3)
    const objects = await storedObjects(f)
    const result = await expireSnapshots({ catalog: f.catalog, io: f.io }, identifier, { minSnapshotsToKeep: 1, maxSnapshotAgeMs: 0, headGraceMs: 0, dryRun: true })
    expect(result.expiredSnapshotIds).toHaveLength(3)
    // Appends never remove data files: only manifest lists become unreachable.
    expect(result.files).toMatchObject({ dataFiles: 0, manifests: 0, manifestLists: 3 })
    expect(await storedObjects(f)).toEqual(objects)
    expect((await f.catalog.loadTable(identifier)).metadata.snapshots).toHaveLength(4)
  })

  test('table properties drive retention; defaults (5 days, 1 min grace) expire nothing young', async () => {
    const f = await fixture()
    await appendMany(f, 3, 3)
    expect((await expireSnapshots({ catalog: f.catalog, io: f.io }, identifier)).expiredSnapshotIds).toEqual([])
    const f2 = await fixture({ 'history.expire.max-snapshot-age-ms': '0', 'history.expire.min-snapshots-to-keep': '2' })
    await appendMany(f2, 3, 3)
    // Snapshots that were current within the last minute are kept for writers with stale metadata.
    expect((await expireSnapshots({ catalog: f2.catalog, io: f2.io }, identifier)).expiredSnapshotIds).toEqual([])
    expect((await expireSnapshots({ catalog: f2.catalog, io: f2.io }, identifier, { headGraceMs: 0 })).expiredSnapshotIds).toHaveLength(1)
  })

  test('an append racing the commit: recomputed on the new state, the append survives', async () => {
    const f = await fixture()
    await appendMany(f, 3, 4)
    const racing = racingCatalog(f.catalog, async () => {
      await (await loadTable({ catalog: f.catalog, io: f.io }, identifier)).append(rows(100, 5))
    })
    const result = await expireSnapshots({ catalog: racing, io: f.io, sleep: async () => {} }, identifier, { minSnapshotsToKeep: 1, maxSnapshotAgeMs: 0, headGraceMs: 0 })
    expect(result.attempts).toBe(2)
    expect(result.expiredSnapshotIds).toHaveLength(3)
    expect((await tableRows(f)).map((r) => Number(r.id))).toEqual([...Array.from({ length: 12 }, (_, i) => i), 100, 101, 102, 103, 104])
    expect(await storedObjects(f)).toEqual(await referenced(f))
  })

  test('an unknown outcome: snapshots gone but no file is deleted', async () => {
    const f = await fixture()
    await appendMany(f, 3, 4)
    await compactTable({ catalog: f.catalog, io: f.io }, identifier)
    const objects = await storedObjects(f)
    const lossy = {
      ...f.catalog,
      async commitTable(...args: Parameters<typeof f.catalog.commitTable>) {
        await f.catalog.commitTable(...args)
        throw new CommitStateUnknownError('HTTP 503 after the commit applied')
      },
    }
    const result = await expireSnapshots({ catalog: lossy, io: f.io, sleep: async () => {} }, identifier, { minSnapshotsToKeep: 1, maxSnapshotAgeMs: 0, headGraceMs: 0 })
    expect(result.filesKept).toBe('the commit outcome was unknown')
    expect((await f.catalog.loadTable(identifier)).metadata.snapshots).toHaveLength(1)
    const after = await storedObjects(f)
    // Only the catalog's new metadata file was added; nothing was deleted.
    expect(objects.filter((o) => !after.includes(o))).toEqual([])
  })
})
