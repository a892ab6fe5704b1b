/** Row lineage (format v3): assignment at commit over manifest lists, inheritance on read, and appends on the embedded catalog. */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { assignRowIds, inheritRowIds } from '../../src/iceberg/row-lineage.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import type { DataFile, ManifestEntry, ManifestFile } from '../../src/iceberg/types.ts'
import { createManifestReader } from '../../src/maintenance/manifest-reader.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createMemoryStore } from '../../src/storage/memory.ts'
import { createTable, loadTable } from '../../src/table/table.ts'

const manifest = (path: string, content: 0 | 1, added: number, existing: number, firstRowId?: bigint): ManifestFile => ({
  'manifest-path': path,
  'manifest-length': 1,
  'partition-spec-id': 0,
  content,
  'sequence-number': 1,
  'min-sequence-number': 1,
  'added-snapshot-id': 1n,
  'added-files-count': 1,
  'existing-files-count': 0,
  'deleted-files-count': 0,
  'added-rows-count': added,
  'existing-rows-count': existing,
  'deleted-rows-count': 0,
  ...(firstRowId === undefined ? {} : { 'first-row-id': firstRowId }),
})

const file = (path: string, records: number, extra: Partial<DataFile> = {}): DataFile => ({
  content: 0,
  'file-path': path,
  'file-format': 'PARQUET',
  partition: [],
  'record-count': records,
  'file-size-in-bytes': 100,
  ...extra,
})

describe('assignRowIds (manifest list at commit)', () => {
  test('data manifests without first-row-id get consecutive ranges of added + existing rows; others keep theirs', () => {
    const result = assignRowIds({ 'format-version': 3, 'next-row-id': 100n }, [
      manifest('new', 0, 10, 0),
      manifest('old-v2', 0, 0, 5), // carried from before the upgrade: room for its existing rows
      manifest('deletes', 1, 3, 0),
      manifest('assigned', 0, 7, 0, 40n),
    ])
    expect(result.manifests.map((m) => m['first-row-id'])).toEqual([100n, 110n, undefined, 40n])
    expect(result.firstRowId).toBe(100n)
    expect(result.addedRows).toBe(15n)
  })

  test('a table without next-row-id cannot assign', () => {
    expect(() => assignRowIds({ 'format-version': 3 }, [])).toThrow(/without next-row-id/)
  })
})

describe('inheritRowIds (manifest on read)', () => {
  test('live data files without an id inherit in order; explicit ids, deleted entries and v2 manifests are left alone', () => {
    const entries: ManifestEntry[] = [
      { status: 1, 'data-file': file('a', 3) },
      { status: 2, 'data-file': file('gone', 50) },
      { status: 0, 'data-file': file('kept', 4, { 'first-row-id': 7n }) },
      { status: 1, 'data-file': file('b', 2) },
    ]
    expect(inheritRowIds(entries, 1000n).map((e) => e['data-file']['first-row-id'])).toEqual([1000n, undefined, 7n, 1003n])
    expect(inheritRowIds(entries, undefined).map((e) => e['data-file']['first-row-id'])).toEqual([undefined, undefined, 7n, undefined])
  })
})

describe('appends to a v3 table (embedded catalog, in-memory store)', () => {
  const dirs: string[] = []
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

  test('each snapshot takes first-row-id = next-row-id and added-rows; files inherit ids that tile the row space', async () => {
    const io = createFileIO([createMemoryStore('memory://wh')])
    const dir = mkdtempSync(join(tmpdir(), 'row-lineage-'))
    dirs.push(dir)
    const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: 'memory://wh', io })
    const schema = parseSchemaDsl('id long not null, sensor_id string')
    const id = { namespace: ['ns'], name: 'v3' }
    await createTable({ catalog, io }, id, {
      schema,
      partitionSpec: parsePartitionDsl('sensor_id', schema),
      properties: { 'format-version': '3' },
      createNamespace: true,
    })
    const table = await loadTable({ catalog, io }, id)
    const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ id: BigInt(from + i), sensor_id: `s${(from + i) % 3}` }))
    await table.append(rows(0, 10))
    await table.append(rows(10, 5))
    const loaded = await catalog.loadTable(id)
    expect(loaded.metadata['format-version']).toBe(3)
    const [first, second] = [...loaded.metadata.snapshots].sort((a, b) => a['sequence-number'] - b['sequence-number'])
    expect([first!['first-row-id'], first!['added-rows'], second!['first-row-id'], second!['added-rows']]).toEqual([0n, 10n, 10n, 5n])
    expect(loaded.metadata['next-row-id']).toBe(15n)

    const list = await decodeManifestList(await io.read(second!['manifest-list']))
    expect(list.map((m) => m['first-row-id']).sort()).toEqual([0n, 10n])
    const ours = list.find((m) => m['first-row-id'] === 10n)!
    const decoded = await decodeManifest(await io.read(ours['manifest-path']))
    expect(decoded.metadata['format-version']).toBe('3')
    expect(decoded.entries.every((e) => e['data-file']['first-row-id'] === undefined)).toBe(true) // inherited, not written

    // Every file's id range [first, first + count) is disjoint and together they are exactly 0..14.
    const reader = createManifestReader(io)
    const ranges: [bigint, number][] = []
    for (const m of await reader.manifests(second!)) {
      for (const e of await reader.entries(m)) ranges.push([e['data-file']['first-row-id']!, e['data-file']['record-count']])
    }
    const ids = ranges.flatMap(([start, count]) => Array.from({ length: count }, (_, i) => start + BigInt(i))).sort((a, b) => (a < b ? -1 : 1))
    expect(ids).toEqual(Array.from({ length: 15 }, (_, i) => BigInt(i)))
  })
})
