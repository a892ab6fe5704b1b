/** withRecentManifestLists: commits read their parent's manifest list from memory, with the bytes the store holds. */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { createFileIO, type FileIO } from '../../src/storage/file-io.ts'
import { createMemoryStore } from '../../src/storage/memory.ts'
import { withRecentManifestLists } from '../../src/storage/recent-manifest-lists.ts'
import { createTable } from '../../src/table/table.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

/** A FileIO over a memory store that counts the reads reaching the store, by location. */
function countingIO() {
  const inner = createFileIO([createMemoryStore('memory://wh')])
  const reads: string[] = []
  const io: FileIO = { ...inner, read: (location, range) => (reads.push(location), inner.read(location, range)) }
  return { inner, io, reads }
}

const bytes = (...values: number[]) => new Uint8Array(values)

describe('withRecentManifestLists', () => {
  test('a manifest list written is read back from memory (a copy), other files and ranged reads from the store', async () => {
    const { io, reads } = countingIO()
    const recent = withRecentManifestLists(io)
    const list = 'memory://wh/ns/t/metadata/snap-1-0-abc.avro'
    const manifest = 'memory://wh/ns/t/metadata/abc-m0.avro'
    await recent.write(list, bytes(1, 2, 3))
    await recent.write(manifest, bytes(4, 5))
    const first = await recent.read(list)
    expect([...first]).toEqual([1, 2, 3])
    first[0] = 9
    expect([...(await recent.read(list))]).toEqual([1, 2, 3])
    expect([...(await recent.read(manifest))]).toEqual([4, 5])
    expect([...(await recent.read(list, { offset: 1, length: 1 }))]).toEqual([2])
    expect(reads).toEqual([manifest, list])
  })

  test('a deleted list is no longer served; only the newest maxFiles lists are kept', async () => {
    const { io, reads } = countingIO()
    const recent = withRecentManifestLists(io, 2)
    const lists = [1, 2, 3].map((n) => `memory://wh/ns/t/metadata/snap-${n}-0-x.avro`)
    for (const [i, list] of lists.entries()) await recent.write(list, bytes(i))
    await recent.read(lists[2]!)
    await recent.read(lists[1]!)
    expect(reads).toEqual([])
    await recent.read(lists[0]!)
    expect(reads).toEqual([lists[0]!])
    await recent.delete(lists[2]!)
    expect(await recent.read(lists[2]!).catch((error: Error) => error.name)).toBe('NotFoundError')
  })

  test('appends on the embedded catalog: from the second on, the parent list is not read from the store, and the table reads the same', async () => {
    const { inner, io, reads } = countingIO()
    const recent = withRecentManifestLists(io)
    const dir = mkdtempSync(join(tmpdir(), 'recent-lists-'))
    dirs.push(dir)
    const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: 'memory://wh', io: inner })
    const schema = parseSchemaDsl('id long not null, sensor string')
    const table = await createTable({ catalog, io: recent }, { namespace: ['ns'], name: 't' }, { schema, partitionSpec: parsePartitionDsl('sensor', schema), createNamespace: true })
    for (let batch = 0; batch < 4; batch++) await table.append(Array.from({ length: 10 }, (_, i) => ({ id: BigInt(batch * 10 + i), sensor: `s${i % 3}` })))
    expect(reads.filter((location) => location.includes('/metadata/snap-'))).toEqual([])
    // Read through the plain store: every append kept its parent's manifests, so the newest list holds all four and 40 rows.
    const loaded = await catalog.loadTable({ namespace: ['ns'], name: 't' })
    const current = loaded.metadata.snapshots.find((s) => s['snapshot-id'] === loaded.metadata['current-snapshot-id'])!
    const manifests = await decodeManifestList(await inner.read(current['manifest-list']))
    expect(loaded.metadata.snapshots).toHaveLength(4)
    expect(manifests.map((m) => m['added-rows-count'])).toEqual([10, 10, 10, 10])
    catalog.close()
  })
})
