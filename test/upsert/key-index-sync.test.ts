/**
 * syncKeyIndex over an in-memory table description: a rebuild from nothing, catching up on appends and
 * deletes, files compaction removed, a superseded deletion vector, a rollback that brings rows back.
 */
import { describe, expect, test } from 'bun:test'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import type { TableMetadata } from '../../src/iceberg/types.ts'
import { KeyIndex } from '../../src/upsert/key-index.ts'
import { syncKeyIndex, type DeleteRef, type LiveDataFile, type TableFiles } from '../../src/upsert/key-index-sync.ts'
import { upsertKey } from '../../src/upsert/upsert-key.ts'

const key = upsertKey(parseSchemaDsl('id long not null'), ['id'])

/** A table as the sync sees it: live files with their keys, deletes by ref. */
function fakeTable() {
  const state = { snapshot: 1n, live: [] as LiveDataFile[], keys: new Map<string, bigint[]>(), deletes: new Map<string, Set<number>>(), reads: [] as string[] }
  const files: TableFiles = {
    liveFiles: async () => state.live.map((f) => ({ ...f, deletes: [...f.deletes] })),
    readKeyColumns: async (_m, path) => (state.reads.push(path), [state.keys.get(path)!]),
    deletedPositions: async (ref: DeleteRef) => state.deletes.get(ref.id)!,
  }
  const metadata = () => ({ 'current-snapshot-id': state.snapshot }) as TableMetadata
  const live = (index: KeyIndex) => Object.fromEntries([...index.entries()].map(([k, , position]) => [k, `${index.get(k)!.file}@${position}`]))
  return { state, files, metadata, live }
}

describe('syncKeyIndex', () => {
  test('an empty index is rebuilt: every live key, minus deleted positions', async () => {
    const t = fakeTable()
    t.state.keys.set('a', [1n, 2n, 3n])
    t.state.deletes.set('da', new Set([1]))
    t.state.live = [{ path: 'a', deletes: [{ id: 'da' }] }]
    const index = new KeyIndex()
    const report = await syncKeyIndex(index, t.metadata(), key, t.files)
    expect(t.live(index)).toEqual({ '1': 'a@0', '3': 'a@2' })
    expect(index.snapshotId).toBe(1n)
    expect(report).toEqual({ changed: true, filesRead: 1, filesDropped: 0, deletesApplied: 0, duplicateKeys: 0 })
    // At the current snapshot already: nothing is read.
    expect((await syncKeyIndex(index, t.metadata(), key, t.files)).changed).toBe(false)
  })

  test('catching up: new files read, new deletes applied to covered files without reading them, removed files forgotten', async () => {
    const t = fakeTable()
    t.state.keys.set('a', [1n, 2n])
    t.state.keys.set('b', [3n])
    t.state.live = [{ path: 'a', deletes: [] }, { path: 'b', deletes: [] }]
    const index = new KeyIndex()
    await syncKeyIndex(index, t.metadata(), key, t.files)
    // Another writer: key 2 replaced by file c, file b compacted into d.
    t.state.snapshot = 2n
    t.state.keys.set('c', [2n])
    t.state.keys.set('d', [3n])
    t.state.deletes.set('da', new Set([1]))
    t.state.live = [{ path: 'a', deletes: [{ id: 'da' }] }, { path: 'c', deletes: [] }, { path: 'd', deletes: [] }]
    t.state.reads = []
    const report = await syncKeyIndex(index, t.metadata(), key, t.files)
    expect(t.live(index)).toEqual({ '1': 'a@0', '2': 'c@0', '3': 'd@0' })
    expect(t.state.reads.sort()).toEqual(['c', 'd'])
    expect(report).toMatchObject({ filesRead: 2, filesDropped: 1, deletesApplied: 1 })
  })

  test('a delete the index applied is gone (a superseded deletion vector, a rollback): the file is read again', async () => {
    const t = fakeTable()
    t.state.keys.set('a', [1n, 2n, 3n])
    t.state.deletes.set('dv1', new Set([0]))
    t.state.live = [{ path: 'a', deletes: [{ id: 'dv1' }] }]
    const index = new KeyIndex()
    await syncKeyIndex(index, t.metadata(), key, t.files)
    expect(t.live(index)).toEqual({ '2': 'a@1', '3': 'a@2' })
    // The next DV of the file replaces the first one and holds its positions too.
    t.state.snapshot = 2n
    t.state.deletes.set('dv2', new Set([0, 2]))
    t.state.live = [{ path: 'a', deletes: [{ id: 'dv2' }] }]
    await syncKeyIndex(index, t.metadata(), key, t.files)
    expect(t.live(index)).toEqual({ '2': 'a@1' })
    // Rolled back to a snapshot without deletes: every row is live again.
    t.state.snapshot = 3n
    t.state.live = [{ path: 'a', deletes: [] }]
    await syncKeyIndex(index, t.metadata(), key, t.files)
    expect(t.live(index)).toEqual({ '1': 'a@0', '2': 'a@1', '3': 'a@2' })
  })

  test('a key live in two files (another engine appended it again) is counted and keeps both rows, so its next change deletes both', async () => {
    const t = fakeTable()
    t.state.keys.set('a', [1n])
    t.state.keys.set('b', [1n, 2n])
    t.state.live = [{ path: 'a', deletes: [] }, { path: 'b', deletes: [] }]
    const index = new KeyIndex()
    expect((await syncKeyIndex(index, t.metadata(), key, t.files)).duplicateKeys).toBe(1)
    expect(index.locations('1')).toEqual([{ file: 'a', position: 0 }, { file: 'b', position: 0 }])
    // One of the two rows deleted (by that engine): the other is the key's row.
    t.state.snapshot = 2n
    t.state.deletes.set('db', new Set([0]))
    t.state.live = [{ path: 'a', deletes: [] }, { path: 'b', deletes: [{ id: 'db' }] }]
    await syncKeyIndex(index, t.metadata(), key, t.files)
    expect(index.locations('1')).toEqual([{ file: 'a', position: 0 }])
    expect(index.duplicated).toBe(0)
  })
})
