/** Compaction on the embedded catalog: content kept, files merged, markers carried, conflicts handled. */
import { describe, expect, test } from 'bun:test'
import { CommitStateUnknownError } from '../../src/errors.ts'
import { currentSnapshot } from '../../src/iceberg/table-metadata.ts'
import { compactTable } from '../../src/maintenance/compact.ts'
import { MaintenanceError } from '../../src/maintenance/errors.ts'
import { loadTable } from '../../src/table/table.ts'
import { writeDataFiles } from '../../src/table/write-data-files.ts'
import { fastAppend } from '../../src/transaction/fast-append.ts'
import { appendMany, fixture, identifier, liveFiles, rows, tableRows, racingCatalog } from './table-fixture.ts'

describe('compactTable', () => {
  test('merges small files per partition; rows, totals and ingest markers unchanged', async () => {
    const f = await fixture()
    await appendMany(f, 20, 30)
    const before = await tableRows(f)
    expect(await liveFiles(f)).toHaveLength(60)
    const parentMarker = currentSnapshot(f.table.current().metadata)!.summary['ingest.wal.w1.seq']

    const result = await compactTable({ catalog: f.catalog, io: f.io }, identifier)
    expect(result.partitions).toHaveLength(3)
    for (const p of result.partitions) expect([p.filesBefore, p.filesAfter, p.records]).toEqual([20, 1, 200])
    expect(result.tableFilesBefore).toBe(60)
    expect(result.tableFilesAfter).toBe(3)

    const files = await liveFiles(f)
    expect(files).toHaveLength(3)
    expect(await tableRows(f)).toEqual(before)
    const metadata = (await f.catalog.loadTable(identifier)).metadata
    const snapshot = currentSnapshot(metadata)!
    expect(snapshot.summary.operation).toBe('replace')
    expect(snapshot.summary['ingest.wal.w1.seq']).toBe(parentMarker!)
    expect(snapshot.summary['total-records']).toBe('600')
    expect(snapshot.summary['total-data-files']).toBe('3')
    expect(snapshot.summary['deleted-data-files']).toBe('60')

    // A second run finds nothing to do.
    const again = await compactTable({ catalog: f.catalog, io: f.io }, identifier)
    expect(again.partitions).toEqual([])
    expect(again.snapshotId).toBeUndefined()
  })

  test('dry run reports and changes nothing', async () => {
    const f = await fixture()
    await appendMany(f, 5, 9)
    const snapshots = f.table.current().metadata.snapshots.length
    const result = await compactTable({ catalog: f.catalog, io: f.io }, identifier, { dryRun: true })
    expect(result.partitions.map((p) => [p.filesBefore, p.filesAfter])).toEqual([[5, 1], [5, 1], [5, 1]])
    expect((await f.catalog.loadTable(identifier)).metadata.snapshots).toHaveLength(snapshots)
  })

  test('an append racing the commit: conflict, retry on the new parent, appended rows kept', async () => {
    const f = await fixture()
    await appendMany(f, 6, 12)
    const racing = racingCatalog(f.catalog, async () => {
      const writer = await loadTable({ catalog: f.catalog, io: f.io }, identifier)
      await writer.append(rows(1000, 7), { summary: { 'ingest.wal.w1.seq': '9999' } })
    })
    const result = await compactTable({ catalog: racing, io: f.io, sleep: async () => {} }, identifier)
    expect(result.attempts).toBe(2)
    const ids = (await tableRows(f)).map((r) => Number(r.id))
    expect(ids).toEqual([...Array.from({ length: 72 }, (_, i) => i), ...Array.from({ length: 7 }, (_, i) => 1000 + i)])
    // The marker of the append that won the race is carried, not the one compaction planned on.
    expect(currentSnapshot((await f.catalog.loadTable(identifier)).metadata)!.summary['ingest.wal.w1.seq']).toBe('9999')
  })

  test('a file removed by a concurrent commit abandons its partition; the others commit', async () => {
    const f = await fixture()
    await appendMany(f, 4, 6)
    const racing = racingCatalog(f.catalog, async () => {
      // Another compaction of partition s0 wins first.
      await compactTable({ catalog: f.catalog, io: f.io }, identifier, { maxBytesPerRun: 1 })
    })
    const before = await tableRows(f)
    const result = await compactTable({ catalog: racing, io: f.io, sleep: async () => {} }, identifier)
    expect(result.abandoned).toHaveLength(1)
    expect(result.partitions).toHaveLength(2)
    expect(await tableRows(f)).toEqual(before)
    expect(await liveFiles(f)).toHaveLength(3)
  })

  test('every partition lost: FILES_GONE, and the rewritten files are removed', async () => {
    const f = await fixture({}, false)
    await appendMany(f, 3, 5)
    const racing = racingCatalog(f.catalog, async () => {
      await compactTable({ catalog: f.catalog, io: f.io }, identifier)
    })
    const error = await compactTable({ catalog: racing, io: f.io, sleep: async () => {} }, identifier).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MaintenanceError)
    expect((error as MaintenanceError).code).toBe('FILES_GONE')
    const live = await liveFiles(f)
    expect(live).toHaveLength(1)
    const compacted: string[] = []
    for await (const o of f.io.list('memory://wh/ns/t/data/')) if (o.location.includes('/compact-')) compacted.push(o.location)
    expect(compacted).toEqual(live)
  })

  test('a lost commit response is resolved by finding our snapshot; nothing deleted', async () => {
    const f = await fixture()
    await appendMany(f, 3, 6)
    let lose = true
    const lossy = {
      ...f.catalog,
      async commitTable(...args: Parameters<typeof f.catalog.commitTable>) {
        const committed = await f.catalog.commitTable(...args)
        if (lose) {
          lose = false
          throw new CommitStateUnknownError('HTTP 504 after the commit applied')
        }
        return committed
      },
    }
    const before = await tableRows(f)
    const result = await compactTable({ catalog: lossy, io: f.io, sleep: async () => {} }, identifier)
    expect(result.attempts).toBe(1)
    expect(await tableRows(f)).toEqual(before)
    expect(await liveFiles(f)).toHaveLength(3)
  })

  test('a file whose rows do not match its manifest entry stops the rewrite: CONTENT_MISMATCH, table untouched, outputs removed', async () => {
    const f = await fixture({}, false)
    await appendMany(f, 2, 5)
    const metadata = f.table.current().metadata
    const [file] = await writeDataFiles({ io: f.io, metadata, rows: rows(100, 5), fileStem: 'lying' })
    await fastAppend({ catalog: f.catalog, io: f.io, table: f.table.current() }, { dataFiles: [{ ...file!, 'record-count': 6 }] })
    const snapshots = (await f.catalog.loadTable(identifier)).metadata.snapshots.length
    const error = await compactTable({ catalog: f.catalog, io: f.io }, identifier).catch((e: unknown) => e)
    expect((error as MaintenanceError).code).toBe('CONTENT_MISMATCH')
    expect((await f.catalog.loadTable(identifier)).metadata.snapshots).toHaveLength(snapshots)
    for await (const o of f.io.list('memory://wh/ns/t/')) expect(o.location).not.toContain('compact-')
  })
})
