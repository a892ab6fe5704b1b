/**
 * Upsert tables in-process on the embedded catalog and real files: changes through the pipeline's intake (as the Kafka
 * source hands them over), committed by the batcher through the row delta, read back by scanTable (which applies the
 * deletes) and compared with a model of the final state per key. v2 (position deletes) and v3 (deletion vectors); the
 * key index stored and loaded across a restart, or rebuilt from the table without its file; and a concurrent commit
 * between resolution and commit, after which the batch is resolved again on the winner.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RecordBatch } from 'apache-arrow'
import { hostDecompressors } from '../../src/adapter/bun/decompress.ts'
import type { Catalog } from '../../src/catalog/catalog.ts'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { currentSnapshot } from '../../src/iceberg/table-metadata.ts'
import { Pipeline } from '../../src/pipeline/pipeline.ts'
import type { RecordLog } from '../../src/pipeline/record-log.ts'
import { scanTable } from '../../src/query/scan-table.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { loadTable } from '../../src/table/table.ts'
import { compactTable } from '../../src/maintenance/compact.ts'
import { upsertServices } from '../../src/upsert/upsert-services.ts'
import { withIdentifierFields, upsertKey } from '../../src/upsert/upsert-key.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const schema = parseSchemaDsl('id long not null, name string, version int')
const keyed = withIdentifierFields(schema, upsertKey(schema, ['id']))
const id = { namespace: ['cdc'], name: 'users' }
const triggers = { intervalMs: 3_600_000, maxRows: 1_000_000, maxBytes: 1 << 30 }
const noLog: RecordLog = { id: 'test-log', append: async () => ({ firstSeq: 1n, lastSeq: 1n }), replay: async function* () {}, truncateThrough: async () => 0, lastSeq: 0n, bytes: 0, segmentCount: 0 }
const bytes = (text: string) => new TextEncoder().encode(text)

function warehouse() {
  const dir = mkdtempSync(join(tmpdir(), 'upsert-pipeline-'))
  dirs.push(dir)
  const io = createFileIO([createFsStore(join(dir, 'wh'))])
  const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: `file://${join(dir, 'wh')}`, io })
  return { dir, io, catalog }
}

type Warehouse = ReturnType<typeof warehouse>

async function start(wh: Warehouse, options: { formatVersion?: 2 | 3; catalog?: Catalog; store?: boolean; lines?: string[] } = {}) {
  return Pipeline.start({
    catalog: options.catalog ?? wh.catalog,
    io: wh.io,
    log: noLog,
    tables: [{ identifier: id, schema: keyed, triggers, properties: options.formatVersion === 3 ? { 'format-version': '3' } : {}, upsert: { key: ['id'], httpEnvelope: 'op', kafkaEnvelope: 'debezium' } }],
    upserts: upsertServices(wh.io, { decompressors: hostDecompressors, ...(options.store === false ? {} : { indexStore: createFsStore(join(wh.dir, 'upsert-index')) }) }),
    logLine: (line) => options.lines?.push(line),
  })
}

/** The model: key → the row it has now, or absent. */
type Model = Map<number, { id: number; name: string; version: number }>
type Event = { op: 'c' | 'u' | 'r'; id: number; version: number } | { op: 'd' | 'tombstone'; id: number }

/** Feeds Debezium events (and tombstones) as the Kafka source does, at consecutive offsets, applying them to the model. */
function feeder(pipeline: Pipeline, model: Model) {
  let offset = 0n
  return (events: Event[]) => {
    const table = pipeline.intake.table('cdc.users')!
    for (const event of events) {
      const origin = { kafka: { topic: 'users', partition: 0, offset: offset++ } }
      const key = bytes(JSON.stringify({ id: event.id }))
      const admission =
        'version' in event
          ? table.upsert!.admitMessage({ op: event.op, before: null, after: { id: event.id, name: `n${event.id}`, version: event.version }, source: {} }, key)
          : event.op === 'tombstone'
            ? table.upsert!.admitMessage(undefined, key)
            : table.upsert!.admitMessage({ op: 'd', before: { id: event.id, name: 'x', version: 0 }, after: null, source: {} }, key)
      if (!admission.ok) throw new Error(JSON.stringify(admission))
      table.accept([admission.row], origin)
      if ('version' in event) model.set(event.id, { id: event.id, name: `n${event.id}`, version: event.version })
      else model.delete(event.id)
    }
  }
}

async function rows(wh: Warehouse): Promise<{ id: number; name: string; version: number }[]> {
  const loaded = await wh.catalog.loadTable(id)
  const out: { id: number; name: string; version: number }[] = []
  for await (const batch of scanTable(loaded, { io: wh.io, compressors: hostDecompressors }) as AsyncIterable<RecordBatch>) {
    const ids = batch.getChild('id')!.toArray() as BigInt64Array
    const names = batch.getChild('name')!.toArray() as string[]
    const versions = batch.getChild('version')!.toArray() as Int32Array
    for (let i = 0; i < batch.numRows; i++) out.push({ id: Number(ids[i]), name: names[i]!, version: versions[i]! })
  }
  return out.sort((a, b) => a.id - b.id)
}

const expected = (model: Model) => [...model.values()].sort((a, b) => a.id - b.id)

/** The content of the current snapshot's delete files: DVs (PUFFIN) or position-delete files. */
async function deleteFormats(wh: Warehouse): Promise<string[]> {
  const loaded = await wh.catalog.loadTable(id)
  const formats: string[] = []
  for (const manifest of await decodeManifestList(await wh.io.read(currentSnapshot(loaded.metadata)!['manifest-list']))) {
    if (manifest.content !== 1) continue
    for (const entry of (await decodeManifest(await wh.io.read(manifest['manifest-path']))).entries) if (entry.status !== 2) formats.push(entry['data-file']['file-format'])
  }
  return [...new Set(formats)]
}

/** A deterministic mix over `keys` keys: inserts first, then updates, deletes and tombstones, re-inserts. */
function events(seed: number, count: number, keys: number): Event[] {
  let state = seed
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  return Array.from({ length: count }, (_, i) => {
    const key = Math.floor(random() * keys)
    const r = random()
    if (r < 0.12) return { op: 'd' as const, id: key }
    if (r < 0.18) return { op: 'tombstone' as const, id: key }
    return { op: (r < 0.5 ? 'c' : 'u') as 'c' | 'u', id: key, version: seed * 10_000 + i }
  })
}

describe('upsert tables through the pipeline', () => {
  for (const formatVersion of [2, 3] as const) {
    test(`v${formatVersion}: several batches of inserts, updates, deletes and tombstones leave the last state per key, once`, async () => {
      const wh = warehouse()
      const pipeline = await start(wh, { formatVersion })
      const model: Model = new Map()
      const feed = feeder(pipeline, model)
      for (let batch = 0; batch < 5; batch++) {
        feed(events(batch + 1, 400, 150))
        await pipeline.table(['cdc'], 'users')!.batcher.flush('interval')
      }
      await pipeline.stop()
      const read = await rows(wh)
      expect(read).toEqual(expected(model))
      expect(new Set(read.map((r) => r.id)).size).toBe(read.length)
      expect(await deleteFormats(wh)).toEqual([formatVersion === 3 ? 'PUFFIN' : 'PARQUET'])
      const loaded = await wh.catalog.loadTable(id)
      expect(loaded.metadata['format-version']).toBe(formatVersion)
      // identifier-field-ids set at create, so other engines know the key too
      expect(loaded.metadata.schemas[0]!['identifier-field-ids']).toEqual([1])
      wh.catalog.close()
    })
  }

  test('a batch that changes nothing (deletes of absent keys) still commits its offsets', async () => {
    const wh = warehouse()
    const model: Model = new Map()
    const pipeline = await start(wh)
    const feed = feeder(pipeline, model)
    feed([{ op: 'c', id: 1, version: 1 }])
    await pipeline.table(['cdc'], 'users')!.batcher.flush('interval')
    feed([{ op: 'tombstone', id: 7 }, { op: 'd', id: 8 }])
    await pipeline.table(['cdc'], 'users')!.batcher.flush('interval')
    await pipeline.stop()
    const loaded = await wh.catalog.loadTable(id)
    expect(currentSnapshot(loaded.metadata)!.summary['ingest.kafka.users']).toBe('{"0":3}')
    expect(await rows(wh)).toEqual([{ id: 1, name: 'n1', version: 1 }])
    wh.catalog.close()
  })

  test('the key index is stored at stop and loaded at start; without its file it is rebuilt from the table; same result', async () => {
    const wh = warehouse()
    const model: Model = new Map()
    let pipeline = await start(wh)
    let feed = feeder(pipeline, model)
    feed(events(7, 500, 100))
    await pipeline.stop()
    const lines: string[] = []
    pipeline = await start(wh, { lines })
    // The offsets go on from the table's marker, as the Kafka source's would.
    feed = feeder(pipeline, model)
    const more = events(8, 300, 100)
    const offsetBase = 500
    const table = pipeline.intake.table('cdc.users')!
    more.forEach((event, i) => {
      const key = bytes(JSON.stringify({ id: event.id }))
      const a = 'version' in event ? table.upsert!.admitMessage({ op: event.op, after: { id: event.id, name: `n${event.id}`, version: event.version } }, key) : table.upsert!.admitMessage(undefined, key)
      if (!a.ok) throw new Error('refused')
      table.accept([a.row], { kafka: { topic: 'users', partition: 0, offset: BigInt(offsetBase + i) } })
      if ('version' in event) model.set(event.id, { id: event.id, name: `n${event.id}`, version: event.version })
      else model.delete(event.id)
    })
    await pipeline.stop()
    expect(lines.some((l) => /key index loaded \(\d+ keys at snapshot \d+\)/.test(l))).toBe(true)
    expect(lines.some((l) => l.includes('key index synced'))).toBe(false)
    expect(await rows(wh)).toEqual(expected(model))

    // No index file: the next start reads the table's key column (minus deletes) and resolves the same way.
    rmSync(join(wh.dir, 'upsert-index'), { recursive: true, force: true })
    const rebuilt: string[] = []
    pipeline = await start(wh, { lines: rebuilt })
    const t = pipeline.intake.table('cdc.users')!
    const survivor = [...model.keys()][0]!
    const a = t.upsert!.admitMessage({ op: 'u', after: { id: survivor, name: 'last', version: 1 } }, undefined)
    if (!a.ok) throw new Error('refused')
    t.accept([a.row], { kafka: { topic: 'users', partition: 0, offset: 10_000n } })
    await pipeline.stop()
    model.set(survivor, { id: survivor, name: 'last', version: 1 })
    expect(rebuilt.some((l) => /key index synced to snapshot \d+ \(\d+ keys; \d+ files read/.test(l))).toBe(true)
    expect(await rows(wh)).toEqual(expected(model))
    wh.catalog.close()
  })

  test('another writer commits between resolution and commit: the batch is resolved again on the winner, no key twice', async () => {
    const wh = warehouse()
    const model: Model = new Map()
    let foreignOnce = true
    // The first commit of our second batch: before it reaches the catalog, another writer appends key 1 again.
    const racing: Catalog = {
      ...wh.catalog,
      commitTable: async (identifier, request) => {
        const ours = request.updates.some((u) => u.action === 'add-snapshot')
        const loaded = await wh.catalog.loadTable(identifier)
        if (ours && foreignOnce && loaded.metadata.snapshots.length === 1) {
          foreignOnce = false
          const other = await loadTable({ catalog: wh.catalog, io: wh.io }, identifier)
          await other.append([{ id: 1n, name: 'foreign', version: -1 }])
        }
        return wh.catalog.commitTable(identifier, request)
      },
    }
    const lines: string[] = []
    const pipeline = await start(wh, { catalog: racing, lines })
    const feed = feeder(pipeline, model)
    feed([{ op: 'c', id: 1, version: 1 }, { op: 'c', id: 2, version: 1 }])
    await pipeline.table(['cdc'], 'users')!.batcher.flush('interval')
    feed([{ op: 'u', id: 1, version: 2 }, { op: 'd', id: 2 }])
    await pipeline.table(['cdc'], 'users')!.batcher.flush('interval')
    await pipeline.stop()
    expect(foreignOnce).toBe(false)
    expect(lines.some((l) => l.includes('UPSERT_BASE_MOVED') || l.includes('resolving it again'))).toBe(true)
    // Key 1: our update replaced both the first insert and the foreign row; key 2 is gone.
    expect(await rows(wh)).toEqual([{ id: 1, name: 'n1', version: 2 }])
    wh.catalog.close()
  })

  for (const formatVersion of [2, 3] as const) {
    test(`v${formatVersion}: a compaction between resolution and commit moves the rows; the batch is resolved on the compacted files, no deleted key comes back`, async () => {
      const wh = warehouse()
      const model: Model = new Map()
      let compactOnce = true
      let compaction: Awaited<ReturnType<typeof compactTable>> | undefined
      const racing: Catalog = {
        ...wh.catalog,
        commitTable: async (identifier, request) => {
          const loaded = await wh.catalog.loadTable(identifier)
          // Before our third batch reaches the catalog: the table's files (and their deletes) are rewritten.
          if (identifier.name === 'users' && compactOnce && loaded.metadata.snapshots.length === 2) {
            compactOnce = false
            compaction = await compactTable({ catalog: wh.catalog, io: wh.io }, identifier, { minFileBytes: 1 << 30, minInputFiles: 1, decompressors: hostDecompressors })
          }
          return wh.catalog.commitTable(identifier, request)
        },
      }
      const lines: string[] = []
      const pipeline = await start(wh, { catalog: racing, formatVersion, lines })
      const feed = feeder(pipeline, model)
      const flush = () => pipeline.table(['cdc'], 'users')!.batcher.flush('interval')
      feed(Array.from({ length: 50 }, (_, id) => ({ op: 'c' as const, id, version: 1 })))
      await flush()
      feed([...Array.from({ length: 10 }, (_, id) => ({ op: 'd' as const, id })), ...Array.from({ length: 10 }, (_, i) => ({ op: 'u' as const, id: 10 + i, version: 2 }))])
      await flush()
      // Deletes and updates of keys whose rows the compaction is about to move.
      feed([...Array.from({ length: 5 }, (_, i) => ({ op: 'd' as const, id: 20 + i })), ...Array.from({ length: 5 }, (_, i) => ({ op: 'u' as const, id: 10 + i, version: 3 }))])
      await flush()
      await pipeline.stop()
      expect(compaction?.snapshotId).toBeDefined()
      expect(compaction!.tableFilesAfter).toBeLessThan(compaction!.tableFilesBefore)
      // The batch met the compaction's snapshot instead of its own parent: the row delta found a file it deletes from
      // gone (or the parent check saw the base move), and the batch was resolved again on the compacted files.
      expect(lines.some((l) => l.includes('compute the deletes again') || l.includes('resolving it again'))).toBe(true)
      expect(lines.some((l) => /key index synced to snapshot \d+ \(\d+ keys; 1 files read, 2 dropped/.test(l))).toBe(true)
      expect(await rows(wh)).toEqual(expected(model))
      wh.catalog.close()
    })
  }
})
