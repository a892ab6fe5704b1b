/** Manifest rewrite: many small manifests merged into one; entries keep their snapshot ids and sequence numbers. */
import { describe, expect, test } from 'bun:test'
import { decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { currentSnapshot } from '../../src/iceberg/table-metadata.ts'
import { compactTable } from '../../src/maintenance/compact.ts'
import { MaintenanceError } from '../../src/maintenance/errors.ts'
import { rewriteManifests } from '../../src/maintenance/rewrite-manifests.ts'
import { loadTable } from '../../src/table/table.ts'
import { appendMany, fixture, identifier, rows, tableRows, type Fixture, racingCatalog } from './table-fixture.ts'

/** data file path → [snapshot id, data sequence number] as a reader resolves them (with inheritance). */
async function provenance(f: Fixture): Promise<Map<string, [bigint, number]>> {
  const metadata = (await f.catalog.loadTable(identifier)).metadata
  const out = new Map<string, [bigint, number]>()
  for (const m of await decodeManifestList(await f.io.read(currentSnapshot(metadata)!['manifest-list']))) {
    for (const e of (await decodeManifest(await f.io.read(m['manifest-path']))).entries) {
      if (e.status !== 2) out.set(e['data-file']['file-path'], [e['snapshot-id'] ?? m['added-snapshot-id'], e['sequence-number'] ?? m['sequence-number']])
    }
  }
  return out
}

async function manifestCount(f: Fixture): Promise<number> {
  const metadata = (await f.catalog.loadTable(identifier)).metadata
  return (await decodeManifestList(await f.io.read(currentSnapshot(metadata)!['manifest-list']))).length
}

describe('rewriteManifests', () => {
  test('12 manifests → 1, same files with the same snapshot ids and sequence numbers, markers carried', async () => {
    const f = await fixture()
    await appendMany(f, 12, 4)
    const before = await provenance(f)
    const rowsBefore = await tableRows(f)
    expect(await manifestCount(f)).toBe(12)
    const marker = currentSnapshot(f.table.current().metadata)!.summary['ingest.wal.w1.seq']

    const result = await rewriteManifests({ catalog: f.catalog, io: f.io }, identifier, { minCountToMerge: 2 })
    expect([result.manifestsBefore, result.manifestsAfter, result.replaced, result.created, result.entries]).toEqual([12, 1, 12, 1, 36])
    expect(await manifestCount(f)).toBe(1)
    expect(await provenance(f)).toEqual(before)
    expect(await tableRows(f)).toEqual(rowsBefore)
    const snapshot = currentSnapshot((await f.catalog.loadTable(identifier)).metadata)!
    expect(snapshot.summary).toMatchObject({ operation: 'replace', 'manifests-replaced': '12', 'total-records': '48', 'ingest.wal.w1.seq': marker! })
  })

  test('below min-count-to-merge (property, default 100) nothing happens', async () => {
    const f = await fixture({ 'commit.manifest.min-count-to-merge': '20' })
    await appendMany(f, 5, 2)
    const result = await rewriteManifests({ catalog: f.catalog, io: f.io }, identifier)
    expect(result.snapshotId).toBeUndefined()
    expect(await manifestCount(f)).toBe(5)
  })

  test('an append racing the commit keeps its manifest; a DELETED-only manifest is dropped', async () => {
    const f = await fixture()
    await appendMany(f, 4, 3)
    await compactTable({ catalog: f.catalog, io: f.io }, identifier)
    await appendMany(f, 3, 3, 100)
    const racing = racingCatalog(f.catalog, async () => {
      await (await loadTable({ catalog: f.catalog, io: f.io }, identifier)).append(rows(500, 2))
    })
    const result = await rewriteManifests({ catalog: racing, io: f.io, sleep: async () => {} }, identifier, { minCountToMerge: 2 })
    expect(result.attempts).toBe(2)
    const ids = (await tableRows(f)).map((r) => Number(r.id))
    expect(ids).toEqual([...Array.from({ length: 12 }, (_, i) => i), ...Array.from({ length: 9 }, (_, i) => 100 + i), 500, 501])
    const metadata = (await f.catalog.loadTable(identifier)).metadata
    const list = await decodeManifestList(await f.io.read(currentSnapshot(metadata)!['manifest-list']))
    expect(list.every((m) => m['added-files-count'] + m['existing-files-count'] > 0)).toBe(true)
    expect(list).toHaveLength(2) // the merged one + the racing append's
  })

  test('a manifest replaced concurrently stops the rewrite', async () => {
    const f = await fixture()
    await appendMany(f, 4, 3)
    const racing = racingCatalog(f.catalog, async () => {
      await rewriteManifests({ catalog: f.catalog, io: f.io }, identifier, { minCountToMerge: 2 })
    })
    const error = await rewriteManifests({ catalog: racing, io: f.io, sleep: async () => {} }, identifier, { minCountToMerge: 2 }).catch((e: unknown) => e)
    expect((error as MaintenanceError).code).toBe('MANIFESTS_GONE')
    expect(await manifestCount(f)).toBe(1)
  })
})
