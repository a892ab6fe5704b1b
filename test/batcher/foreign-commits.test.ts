/**
 * A TableBatcher on a table other engines also commit to (simulated through the same SQLite catalog):
 * their appends, their expiry of every snapshot with our markers, their schema changes under buffered rows.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { DEFAULT_ROLL_TRIGGERS } from '../../src/batcher/policy.ts'
import { TableBatcher } from '../../src/batcher/table-batcher.ts'
import { MARKERS_PROPERTY, markersProperty } from '../../src/batcher/table-markers.ts'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { currentSnapshot } from '../../src/iceberg/table-metadata.ts'
import type { Schema, TableIdentifier } from '../../src/iceberg/types.ts'
import { hostDecompressors } from '../../src/adapter/bun/decompress.ts'
import { scanTable } from '../../src/query/scan-table.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { createTable, loadTable } from '../../src/table/table.ts'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

async function warehouse() {
  const dir = mkdtempSync(join(tmpdir(), 'foreign-commits-'))
  dirs.push(dir)
  const io = createFileIO([createFsStore(join(dir, 'wh'))])
  const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: pathToFileURL(join(dir, 'wh')).href, io })
  const id: TableIdentifier = { namespace: ['ns'], name: 't' }
  await createTable({ catalog, io }, id, { schema: parseSchemaDsl('id long not null, name string'), createNamespace: true })
  const batcher = async () => new TableBatcher({ catalog, io, table: await catalog.loadTable(id), triggers: DEFAULT_ROLL_TRIGGERS, walId: 'w' })
  /** Another engine's append: a snapshot without markers. */
  const foreignAppend = async (ids: bigint[]) => (await loadTable({ catalog, io }, id)).append(ids.map((i) => ({ id: i, name: 'foreign' })))
  const rows = async () => {
    const out: Record<string, unknown>[] = []
    for await (const batch of scanTable(await catalog.loadTable(id), { io, compressors: hostDecompressors })) out.push(...batch.toArray().map((r) => ({ ...r })))
    return out.sort((a, b) => Number(a.id) - Number(b.id))
  }
  return { dir, io, catalog, id, batcher, foreignAppend, rows }
}

describe('markers on a shared table', () => {
  test('found past another engine’s append, kept after its expiry of every snapshot with them, carried forward', async () => {
    const w = await warehouse()
    const first = await w.batcher()
    first.add([{ id: 1n, name: 'http' }], { walSeq: 5n })
    first.add([{ id: 2n, name: 'kafka' }], { kafka: { topic: 'events', partition: 0, offset: 9n } })
    await first.flush()
    const ours = currentSnapshot(first.table.metadata)!
    expect(markersProperty(first.table.metadata.properties)).toEqual({ snapshotId: ours['snapshot-id'], markers: { 'ingest.wal.w.seq': '5', 'ingest.kafka.events': '{"0":10}' } })

    await w.foreignAppend([100n])
    const afterAppend = await w.batcher()
    expect(currentSnapshot(afterAppend.table.metadata)!.summary['ingest.wal.w.seq']).toBeUndefined()
    expect(afterAppend.committedWalSeq()).toBe(5n)
    expect(afterAppend.committedKafkaOffsets('events')).toEqual(new Map([[0, 10n]]))

    // Another engine's expire_snapshots(retain_last=1): only its own snapshot is left.
    const loaded = await w.catalog.loadTable(w.id)
    const foreignId = loaded.metadata['current-snapshot-id']!
    await w.catalog.commitTable(w.id, {
      requirements: [],
      updates: [{ action: 'remove-snapshots', 'snapshot-ids': loaded.metadata.snapshots.map((s) => s['snapshot-id']).filter((s) => s !== foreignId) }],
    })
    const restarted = await w.batcher()
    expect(restarted.table.metadata.snapshots.map((s) => s['snapshot-id'])).toEqual([foreignId])
    expect(restarted.committedWalSeq()).toBe(5n)
    expect(restarted.committedKafkaOffsets('events')).toEqual(new Map([[0, 10n]]))
    // What the table holds is fenced, not ingested again.
    restarted.add([{ id: 2n, name: 'kafka again' }], { kafka: { topic: 'events', partition: 0, offset: 9n } })
    restarted.add([{ id: 3n, name: 'kafka' }], { kafka: { topic: 'events', partition: 0, offset: 10n } })
    restarted.add([{ id: 4n, name: 'http' }], { walSeq: 6n })
    await restarted.flush()

    const next = currentSnapshot(restarted.table.metadata)!
    expect(next['parent-snapshot-id']).toBe(foreignId)
    expect(next.summary['ingest.wal.w.seq']).toBe('6')
    expect(next.summary['ingest.kafka.events']).toBe('{"0":11}')
    expect(JSON.parse(restarted.table.metadata.properties[MARKERS_PROPERTY]!)).toEqual({
      'snapshot-id': String(next['snapshot-id']),
      markers: { 'ingest.wal.w.seq': '6', 'ingest.kafka.events': '{"0":11}' },
    })
    expect((await w.rows()).map((r) => r.id)).toEqual([1n, 2n, 3n, 4n, 100n])
    w.catalog.close()
  })
})

describe('schema changed by another engine while rows are buffered', () => {
  /** Another engine renames `name` to `label` and adds `note` (ids kept: 1 id, 2 label, 3 note). */
  const evolved: Schema = {
    type: 'struct',
    'schema-id': 1,
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'label', required: false, type: 'string' },
      { id: 3, name: 'note', required: false, type: 'string' },
    ],
  }
  const evolve = (w: Awaited<ReturnType<typeof warehouse>>) =>
    w.catalog.commitTable(w.id, { requirements: [], updates: [{ action: 'add-schema', schema: evolved }, { action: 'set-current-schema', 'schema-id': -1 }] })

  test('rows shaped by the old schema land in the renamed column after the batcher reloaded', async () => {
    const w = await warehouse()
    const batcher = await w.batcher()
    batcher.add([{ id: 1n, name: 'a' }], { walSeq: 1n })
    await evolve(w)
    await batcher.reload()
    await batcher.flush()
    expect(currentSnapshot(batcher.table.metadata)!['schema-id']).toBe(1)
    expect(await w.rows()).toEqual([{ id: 1n, label: 'a', note: null }])
    w.catalog.close()
  })

  test('a batcher that has not seen the change still writes in the new schema (the commit asserts schema and spec)', async () => {
    const w = await warehouse()
    const batcher = await w.batcher()
    batcher.add([{ id: 1n, name: 'a' }], { walSeq: 1n })
    await evolve(w)
    await batcher.flush()
    expect(batcher.stats.commitFailures).toBe(0)
    expect(currentSnapshot(batcher.table.metadata)!['schema-id']).toBe(1)
    expect(await w.rows()).toEqual([{ id: 1n, label: 'a', note: null }])
    w.catalog.close()
  })

  test('a commit that finds the new schema on retry writes its files again in it and removes the first ones', async () => {
    const w = await warehouse()
    const batcher = await w.batcher()
    batcher.add([{ id: 1n, name: 'a' }], { walSeq: 1n })
    // The batcher's metadata is stale twice over: main moved (conflict), then the schema changed (SCHEMA_CHANGED on retry).
    await w.foreignAppend([100n])
    await evolve(w)
    await batcher.flush()
    expect(batcher.stats.commitFailures).toBe(0)
    expect(await w.rows()).toEqual([
      { id: 1n, label: 'a', note: null },
      { id: 100n, label: 'foreign', note: null },
    ])
    // The files written for the old layout were removed: only the two referenced data files are left.
    expect(readdirSync(join(w.dir, 'wh', 'ns', 't', 'data'))).toHaveLength(2)
    w.catalog.close()
  })
})

describe('partition spec evolved by another engine', () => {
  test('new files go into the default spec, the old ones stay in theirs', async () => {
    const w = await warehouse()
    const before = await w.batcher()
    before.add([{ id: 1n, name: 'a' }], { walSeq: 1n })
    await before.flush()
    const stale = await w.batcher()
    stale.add([{ id: 2n, name: 'b' }], { walSeq: 2n })
    // Another engine: ALTER TABLE ... ADD PARTITION FIELD name.
    await w.catalog.commitTable(w.id, {
      requirements: [],
      updates: [
        { action: 'add-spec', spec: { 'spec-id': 1, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'name', transform: 'identity' }] } },
        { action: 'set-default-spec', 'spec-id': -1 },
      ],
    })
    await stale.flush()
    const metadata = stale.table.metadata
    expect(metadata['default-spec-id']).toBe(1)
    const manifests = await decodeManifestList(await w.io.read(currentSnapshot(metadata)!['manifest-list']))
    expect(manifests.map((m) => m['partition-spec-id']).sort()).toEqual([0, 1])
    const newest = manifests.find((m) => m['partition-spec-id'] === 1)!
    const [entry] = (await decodeManifest(await w.io.read(newest['manifest-path']))).entries
    expect(entry!['data-file'].partition).toEqual(['b'])
    expect(entry!['data-file']['file-path']).toContain('/data/name=b/')
    expect((await w.rows()).map((r) => r.id)).toEqual([1n, 2n])
    w.catalog.close()
  })
})
