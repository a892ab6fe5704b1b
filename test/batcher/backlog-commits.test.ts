/**
 * TableBatcher's backlog: batches that queued while a commit ran go in the next snapshot together
 * (one catalog commit, each batch's own files, markers advanced by all of them), and a snapshot whose
 * answer was lost takes exactly the batches it first took on every retry, so nothing lands twice.
 * Against the embedded SQLite catalog on a temp dir; the table is read back with our scan.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { DEFAULT_ROLL_TRIGGERS } from '../../src/batcher/policy.ts'
import { TableBatcher, type CommittedEvent } from '../../src/batcher/table-batcher.ts'
import { markersProperty } from '../../src/batcher/table-markers.ts'
import type { Catalog } from '../../src/catalog/catalog.ts'
import { CommitStateUnknownError } from '../../src/errors.ts'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { hostDecompressors } from '../../src/adapter/bun/decompress.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import type { TableIdentifier } from '../../src/iceberg/types.ts'
import { scanTable } from '../../src/query/scan-table.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { createTable } from '../../src/table/table.ts'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/**
 * A table on a catalog whose commits wait for `gate` (null: go at once) and can lose the answer of
 * one that landed (`loseNextAnswer`: a 503 after the write, then the catalog unreachable for the
 * next load, so the commit loop, with no retries left, hands the unknown outcome to the batcher).
 */
async function warehouse() {
  const dir = mkdtempSync(join(tmpdir(), 'backlog-commits-'))
  dirs.push(dir)
  const io = createFileIO([createFsStore(join(dir, 'wh'))])
  const sqlite = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: pathToFileURL(join(dir, 'wh')).href, io })
  const control = { gate: null as Promise<void> | null, loseNextAnswer: false, unreachableLoads: 0, commits: 0 }
  const catalog: Catalog = {
    ...sqlite,
    loadTable: async (id) => {
      if (control.unreachableLoads > 0) {
        control.unreachableLoads--
        throw new Error('connect ECONNREFUSED (catalog unreachable)')
      }
      return sqlite.loadTable(id)
    },
    commitTable: async (id, request) => {
      control.commits++
      if (control.gate) await control.gate
      const result = await sqlite.commitTable(id, request)
      if (control.loseNextAnswer) {
        control.loseNextAnswer = false
        control.unreachableLoads = 1
        throw new CommitStateUnknownError('503 Service Unavailable (the commit landed)', { status: 503 })
      }
      return result
    },
  }
  const id: TableIdentifier = { namespace: ['ns'], name: 't' }
  await createTable({ catalog, io }, id, { schema: parseSchemaDsl('id long not null'), createNamespace: true, properties: { 'commit.retry.num-retries': '0' } })
  const events: CommittedEvent[] = []
  const lines: string[] = []
  const batcher = new TableBatcher({
    catalog,
    io,
    table: await catalog.loadTable(id),
    triggers: DEFAULT_ROLL_TRIGGERS,
    walId: 'w',
    onCommitted: (event) => events.push(event),
    log: (line) => lines.push(line),
  })
  const ids = async () => {
    const out: number[] = []
    for await (const batch of scanTable(await sqlite.loadTable(id), { io, compressors: hostDecompressors })) out.push(...batch.toArray().map((r) => Number(r.id)))
    return out.sort((a, b) => a - b)
  }
  const dataSnapshots = async () => (await sqlite.loadTable(id)).metadata.snapshots.length
  const markers = async () => markersProperty((await sqlite.loadTable(id)).metadata.properties)?.markers
  return { control, batcher, events, lines, ids, dataSnapshots, markers }
}

/** One batch of Kafka rows, offsets `from`..`to` of partition 0 of topic `events`, rolled into the queue. */
function rollKafka(batcher: TableBatcher, from: number, to: number) {
  for (let offset = from; offset <= to; offset++) batcher.add([{ id: BigInt(offset) }], { kafka: { topic: 'events', partition: 0, offset: BigInt(offset) } })
  batcher.roll('rows')
}

describe('a backlog of batches', () => {
  test('queued behind a running commit, it lands in one snapshot with each batch’s files and every marker', async () => {
    const w = await warehouse()
    let open!: () => void
    w.control.gate = new Promise<void>((resolve) => (open = resolve))
    rollKafka(w.batcher, 0, 9) // the head: its commit waits at the gate
    await Bun.sleep(50)
    rollKafka(w.batcher, 10, 19)
    rollKafka(w.batcher, 20, 29)
    rollKafka(w.batcher, 30, 39)
    expect(w.batcher.pending().batches).toBe(4)
    w.control.gate = null
    open()
    await w.batcher.flush()

    expect(await w.ids()).toEqual(Array.from({ length: 40 }, (_, i) => i))
    // Table creation aside: one snapshot for the head, one for the three behind it.
    expect(await w.dataSnapshots()).toBe(2)
    expect(w.control.commits).toBe(2)
    expect(w.events.map((e) => e.rows)).toEqual([10, 30])
    expect(w.events.map((e) => e.files)).toEqual([1, 3])
    expect(w.events[1]!.markers.kafka.get('events')?.get(0)).toEqual({ first: 10n, next: 40n })
    expect(await w.markers()).toEqual({ 'ingest.kafka.events': '{"0":40}' })
    expect(w.lines.some((line) => line.includes('30 rows in 3 files (rows, with the 2 batches queued behind it'))).toBe(true)
    expect(w.batcher.pending()).toEqual({ rows: 0, bytes: 0, memoryBytes: 0, batches: 0 })
  })

  test('a snapshot whose answer was lost takes the same batches on its retry, not the ones queued since: no row twice', async () => {
    const w = await warehouse()
    let open!: () => void
    w.control.gate = new Promise<void>((resolve) => (open = resolve))
    rollKafka(w.batcher, 0, 9)
    await Bun.sleep(50)
    rollKafka(w.batcher, 10, 19)
    rollKafka(w.batcher, 20, 29)
    w.control.gate = null
    open()
    while (w.events.length < 1) await Bun.sleep(1)
    // The head is in; the snapshot of the two behind it is next: it lands, and its answer is lost.
    w.control.loseNextAnswer = true
    while (w.batcher.stats.commitFailures < 1) await Bun.sleep(1)
    // Queued while that snapshot waits for its retry (250 ms): it must not ride on a snapshot that already landed.
    rollKafka(w.batcher, 30, 39)
    await w.batcher.flush()

    expect(await w.ids()).toEqual(Array.from({ length: 40 }, (_, i) => i))
    expect(w.events.map((e) => [e.rows, e.markers.kafka.get('events')?.get(0)])).toEqual([
      [10, { first: 0n, next: 10n }],
      [20, { first: 10n, next: 30n }],
      [10, { first: 30n, next: 40n }],
    ])
    expect(await w.dataSnapshots()).toBe(3)
    expect(await w.markers()).toEqual({ 'ingest.kafka.events': '{"0":40}' })
  })
})
