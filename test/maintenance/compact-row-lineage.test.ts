/** Compaction of a v3 table keeps each row's _row_id and _last_updated_sequence_number by writing them into the new files. */
import { expect, test } from 'bun:test'
import { currentSnapshot } from '../../src/iceberg/table-metadata.ts'
import { compactTable } from '../../src/maintenance/compact.ts'
import { createManifestReader, isLive } from '../../src/maintenance/manifest-reader.ts'
import { readRows } from '../parquet/read-back.ts'
import { appendMany, fixture, identifier, type Fixture } from './table-fixture.ts'

/** Each row's lineage by id: written values where a file has them, else first-row-id + position and the file's data sequence number. */
async function lineageById(f: Fixture): Promise<Map<bigint, [bigint, bigint]>> {
  const metadata = (await f.catalog.loadTable(identifier)).metadata
  const reader = createManifestReader(f.io)
  const out = new Map<bigint, [bigint, bigint]>()
  for (const manifest of await reader.manifests(currentSnapshot(metadata)!)) {
    for (const entry of (await reader.entries(manifest)).filter(isLive)) {
      const file = entry['data-file']
      const rows = await readRows(await f.io.read(file['file-path']))
      rows.forEach((row, position) => {
        const rowId = (row._row_id as bigint | null) ?? file['first-row-id']! + BigInt(position)
        const sequence = (row._last_updated_sequence_number as bigint | null) ?? BigInt(entry['sequence-number']!)
        out.set(row.id as bigint, [rowId, sequence])
      })
    }
  }
  return out
}

test('rows moved by compaction keep their row ids and last-updated sequence numbers (materialized columns)', async () => {
  const f = await fixture({ 'format-version': '3' })
  await appendMany(f, 4, 10)
  const before = await lineageById(f)
  expect([...before.values()].map(([id]) => id).sort((a, b) => (a < b ? -1 : 1))).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i)))
  expect(new Set([...before.values()].map(([, seq]) => seq))).toEqual(new Set([1n, 2n, 3n, 4n]))

  const result = await compactTable({ catalog: f.catalog, io: f.io }, identifier)
  expect(result.tableFilesAfter).toBe(3)
  const after = await lineageById(f)
  expect(after).toEqual(before)
  // the compacted files carry the columns themselves (so no reader falls back to the new files' inherited ids)
  const metadata = (await f.catalog.loadTable(identifier)).metadata
  expect(currentSnapshot(metadata)!.summary.operation).toBe('replace')
  expect(metadata['next-row-id']).toBe(80n) // 40 appended, then 40 ids reserved for the rewritten files
  const reader = createManifestReader(f.io)
  for (const manifest of await reader.manifests(currentSnapshot(metadata)!)) {
    for (const entry of (await reader.entries(manifest)).filter(isLive)) {
      const rows = await readRows(await f.io.read(entry['data-file']['file-path']))
      expect(rows.every((r) => typeof r._row_id === 'bigint' && typeof r._last_updated_sequence_number === 'bigint')).toBe(true)
    }
  }
})

test('a v2 table is compacted without lineage columns', async () => {
  const f = await fixture()
  await appendMany(f, 3, 5)
  await compactTable({ catalog: f.catalog, io: f.io }, identifier)
  const metadata = (await f.catalog.loadTable(identifier)).metadata
  const reader = createManifestReader(f.io)
  for (const manifest of await reader.manifests(currentSnapshot(metadata)!)) {
    for (const entry of (await reader.entries(manifest)).filter(isLive)) {
      expect(Object.keys((await readRows(await f.io.read(entry['data-file']['file-path'])))[0]!)).not.toContain('_row_id')
    }
  }
})
