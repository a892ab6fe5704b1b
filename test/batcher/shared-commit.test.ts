/**
 * Shared commits in one process: three TableBatchers (three "workers") on one embedded-catalog table,
 * their handoffs over an in-memory channel. One snapshot per interval holds every worker's batch;
 * the committer commits handoffs alone when it has no rows; a sender whose committer is gone falls
 * back; a handoff whose offsets another owner committed after a rebalance is not committed twice.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { attemptCommit } from '../../src/batcher/batch-committer.ts'
import { dispatchHandoffs, HANDOFFS_SUMMARY_KEY, SharedCommit, type CommitChannel } from '../../src/batcher/shared-commit.ts'
import { TableBatcher } from '../../src/batcher/table-batcher.ts'
import { tableMarkers } from '../../src/batcher/table-markers.ts'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import type { Catalog } from '../../src/catalog/catalog.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { scanTable } from '../../src/query/scan-table.ts'
import { createFileIO, type FileIO } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { createTable } from '../../src/table/table.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const schema = parseSchemaDsl('id long not null')
const id = { namespace: ['ns'], name: 't' }
const TOPIC = 'events'

/** Every subscriber gets every message, asynchronously, as a topic read from its end would. */
function memoryChannel(): CommitChannel & { sent: number } {
  const listeners: ((table: string, message: string) => void)[] = []
  const channel = {
    sent: 0,
    async send(table: string, message: string) {
      channel.sent++
      for (const listener of listeners) setTimeout(() => listener(table, message), 1)
    },
    subscribe: (listener: (table: string, message: string) => void) => void listeners.push(listener),
  }
  return channel
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'shared-commit-'))
  dirs.push(dir)
  const io = createFileIO([createFsStore(join(dir, 'wh'))])
  const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: pathToFileURL(join(dir, 'wh')).href, io })
  await createTable({ catalog, io }, id, { schema, createNamespace: true })
  return { catalog, io, channel: memoryChannel() }
}

interface Worker {
  name: string
  batcher: TableBatcher
  shared: SharedCommit
  committer: boolean
  add(partition: number, from: number, to: number): void
}

async function worker(s: { catalog: Catalog; io: FileIO; channel: CommitChannel }, name: string, options: { committer?: boolean; intervalMs?: number; timeoutMs?: number } = {}): Promise<Worker> {
  const w = { name, committer: options.committer ?? false } as Worker
  const log = () => {}
  w.shared = new SharedCommit({ table: 'ns.t', worker: name, channel: s.channel, catalog: s.catalog, io: s.io, isCommitter: () => w.committer, handoffTimeoutMs: options.timeoutMs ?? 5_000, pollMs: 20, log })
  dispatchHandoffs(s.channel, new Map([['ns.t', w.shared]]), log)
  w.batcher = new TableBatcher({
    catalog: s.catalog,
    io: s.io,
    table: await s.catalog.loadTable(id),
    triggers: { intervalMs: options.intervalMs ?? 60_000, maxRows: 1_000_000, maxBytes: 1 << 30 },
    walId: `wal-${name}`,
    attempt: w.shared.attempt,
    log,
  })
  w.shared.start(w.batcher)
  w.add = (partition, from, to) => {
    for (let offset = from; offset < to; offset++) w.batcher.add([{ id: BigInt(partition * 1_000_000 + offset) }], { kafka: { topic: TOPIC, partition, offset: BigInt(offset) } })
  }
  return w
}

async function appendSnapshots(catalog: Catalog) {
  const table = await catalog.loadTable(id)
  return table.metadata.snapshots.filter((s) => s.summary.operation === 'append' && Number(s.summary['added-records'] ?? 0) > 0)
}

async function ids(s: { catalog: Catalog; io: FileIO }): Promise<bigint[]> {
  const out: bigint[] = []
  for await (const batch of scanTable(await s.catalog.loadTable(id), { io: s.io })) for (const row of batch.toArray()) out.push(row.id as bigint)
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

const expected = (...ranges: [number, number, number][]) =>
  ranges.flatMap(([partition, from, to]) => Array.from({ length: to - from }, (_, i) => BigInt(partition * 1_000_000 + from + i))).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))

/** Until each worker's handed-off batches are in the table (a sender's flush returns once they are handed off). */
async function settled(...workers: Worker[]) {
  const deadline = Date.now() + 10_000
  while (workers.some((w) => w.shared.outstandingHandoffs > 0)) {
    if (Date.now() > deadline) throw new Error(`handoffs still outstanding: ${workers.map((w) => `${w.name} ${w.shared.outstandingHandoffs}`).join(', ')}`)
    await Bun.sleep(10)
  }
}

async function stop(...workers: Worker[]) {
  for (const w of workers) w.shared.close()
  await Promise.all(workers.map((w) => w.shared.settle()))
}


/** The partition's new owner after a rebalance commits its first `count` offsets on its own (ids 1,000,000 × partition + offset). */
async function commitAsNewOwner(s: Awaited<ReturnType<typeof setup>>, partition: number, count: number): Promise<void> {
  const owner = new TableBatcher({ catalog: s.catalog, io: s.io, table: await s.catalog.loadTable(id), triggers: { intervalMs: 60_000, maxRows: 1e6, maxBytes: 1 << 30 }, walId: 'wal-owner', attempt: attemptCommit })
  for (let offset = 0; offset < count; offset++) owner.add([{ id: BigInt(1_000_000 * partition + offset) }], { kafka: { topic: TOPIC, partition, offset: BigInt(offset) } })
  await owner.flush('interval')
}
describe('shared commit', () => {
  test('three workers, one snapshot: the committer folds both handoffs into its own commit, complete markers, every row once', async () => {
    const s = await setup()
    const [a, b, c] = [await worker(s, 'a', { committer: true }), await worker(s, 'b'), await worker(s, 'c')]
    b.add(1, 0, 50)
    c.add(2, 0, 70)
    const flushed = Promise.all([b.batcher.flush('interval'), c.batcher.flush('interval')])
    while (a.shared.pendingHandoffs < 2) await Bun.sleep(5)
    a.add(0, 0, 30)
    await a.batcher.flush('interval')
    await flushed
    await settled(b, c)
    const snapshots = await appendSnapshots(s.catalog)
    expect(snapshots).toHaveLength(1)
    expect(snapshots[0]!.summary['added-records']).toBe('150')
    expect(snapshots[0]!.summary[HANDOFFS_SUMMARY_KEY]!.split(',')).toHaveLength(2)
    expect(tableMarkers((await s.catalog.loadTable(id)).metadata).markers[`ingest.kafka.${TOPIC}`]).toBe('{"0":30,"1":50,"2":70}')
    expect(await ids(s)).toEqual(expected([0, 0, 30], [1, 0, 50], [2, 0, 70]))
    expect([b.shared.stats.handoffsSent, c.shared.stats.handoffsSent, a.shared.stats.handoffsFolded, b.shared.stats.fallbacks]).toEqual([1, 1, 2, 0])
    await stop(a, b, c)
  })

  test('a committer with no rows of its own still commits the handoffs on its interval', async () => {
    const s = await setup()
    const [a, b, c] = [await worker(s, 'a', { committer: true, intervalMs: 150 }), await worker(s, 'b', { intervalMs: 150 }), await worker(s, 'c', { intervalMs: 150 })]
    b.add(1, 0, 10)
    c.add(2, 0, 20)
    await Promise.all([b.batcher.flush('interval'), c.batcher.flush('interval')])
    await settled(b, c)
    const snapshots = await appendSnapshots(s.catalog)
    expect(snapshots.map((snap) => snap.summary['added-records'])).toEqual(['30'])
    expect(await ids(s)).toEqual(expected([1, 0, 10], [2, 0, 20]))
    expect(a.batcher.stats.commits).toBe(0)
    await stop(a, b, c)
  })

  test('no committer (it died): each sender commits its own files after the timeout, once', async () => {
    const s = await setup()
    const [b, c] = [await worker(s, 'b', { timeoutMs: 300 }), await worker(s, 'c', { timeoutMs: 300 })]
    b.add(1, 0, 10)
    c.add(2, 0, 20)
    await Promise.all([b.batcher.flush('interval'), c.batcher.flush('interval')])
    await settled(b, c)
    expect((await appendSnapshots(s.catalog)).map((snap) => snap.summary['added-records']).sort()).toEqual(['10', '20'])
    expect(await ids(s)).toEqual(expected([1, 0, 10], [2, 0, 20]))
    expect([b.shared.stats.fallbacks, c.shared.stats.fallbacks]).toEqual([1, 1])
    await stop(b, c)
  })

  test('a sender that becomes the committer while it waits commits its handoff itself (and what others handed it)', async () => {
    const s = await setup()
    const [b, c] = [await worker(s, 'b', { intervalMs: 150 }), await worker(s, 'c', { intervalMs: 150 })]
    c.add(2, 0, 20)
    const cDone = c.batcher.flush('interval')
    while (b.shared.pendingHandoffs < 1) await Bun.sleep(5)
    b.add(1, 0, 10)
    const bDone = b.batcher.flush('interval')
    await Promise.all([bDone, cDone])
    expect(b.shared.outstandingHandoffs).toBe(1)
    b.committer = true
    await settled(b, c)
    expect((await appendSnapshots(s.catalog)).map((snap) => snap.summary['added-records'])).toEqual(['30'])
    expect(await ids(s)).toEqual(expected([1, 0, 10], [2, 0, 20]))
    await stop(b, c)
  })

  test('a rebalance: the handoff\'s partition moved and its new owner committed the offsets itself; the committer drops the handoff, no row twice', async () => {
    const s = await setup()
    const a = await worker(s, 'a')
    const b = await worker(s, 'b')
    b.add(5, 0, 10)
    const bDone = b.batcher.flush('interval')
    while (a.shared.pendingHandoffs < 1) await Bun.sleep(5)
    // The new owner of partition 5 read it again from the table's marker and committed independently, further than b had read.
    const owner = new TableBatcher({ catalog: s.catalog, io: s.io, table: await s.catalog.loadTable(id), triggers: { intervalMs: 60_000, maxRows: 1e6, maxBytes: 1 << 30 }, walId: 'wal-owner', attempt: attemptCommit })
    for (let offset = 0; offset < 15; offset++) owner.add([{ id: BigInt(5_000_000 + offset) }], { kafka: { topic: TOPIC, partition: 5, offset: BigInt(offset) } })
    await owner.flush('interval')
    a.committer = true
    a.add(0, 0, 5)
    await a.batcher.flush('interval')
    await bDone
    await settled(b)
    expect(await ids(s)).toEqual(expected([0, 0, 5], [5, 0, 15]))
    expect(a.shared.stats.handoffsFolded).toBe(0)
    await stop(a, b)
  })

  test("a handoff continuing a commit the committer has not seen yet is folded, not left to time out (the fold looks again on fresh metadata)", async () => {
    const s = await setup()
    const a = await worker(s, 'a', { committer: true })
    // Another writer commits partition 1 up to 10; a's metadata predates it.
    const owner = new TableBatcher({ catalog: s.catalog, io: s.io, table: await s.catalog.loadTable(id), triggers: { intervalMs: 60_000, maxRows: 1e6, maxBytes: 1 << 30 }, walId: 'wal-owner', attempt: attemptCommit })
    for (let offset = 0; offset < 10; offset++) owner.add([{ id: BigInt(1_000_000 + offset) }], { kafka: { topic: TOPIC, partition: 1, offset: BigInt(offset) } })
    await owner.flush('interval')
    const b = await worker(s, 'b')
    b.add(1, 10, 20)
    await b.batcher.flush('interval')
    while (a.shared.pendingHandoffs < 1) await Bun.sleep(5)
    a.add(0, 0, 5)
    await a.batcher.flush('interval')
    expect(a.shared.stats.handoffsFolded).toBe(1)
    await settled(b)
    expect(await ids(s)).toEqual(expected([0, 0, 5], [1, 0, 20]))
    await stop(a, b)
  })

  test('an older outstanding batch partly committed elsewhere is trimmed and lands before the younger one that continues it', async () => {
    const s = await setup()
    const b = await worker(s, 'b', { timeoutMs: 200 })
    b.add(4, 0, 10)
    b.add(5, 0, 10)
    await b.batcher.flush('interval')
    b.add(5, 10, 20)
    await b.batcher.flush('interval')
    // Partition 4 moved: its new owner committed it (and further) before b's handoffs time out.
    await commitAsNewOwner(s, 4, 12)
    await settled(b)
    expect(await ids(s)).toEqual(expected([4, 0, 12], [5, 0, 20]))
    expect(tableMarkers((await s.catalog.loadTable(id)).metadata).markers[`ingest.kafka.${TOPIC}`]).toBe('{"4":12,"5":20}')
    await stop(b)
  })

  test('a stopping worker commits by itself instead of waiting', async () => {
    const s = await setup()
    const b = await worker(s, 'b', { timeoutMs: 60_000 })
    b.shared.close()
    b.add(1, 0, 10)
    const started = Date.now()
    await b.batcher.flush('shutdown')
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(await ids(s)).toEqual(expected([1, 0, 10]))
    await stop(b)
  })

  test('a sender keeps handing off without waiting; the committer folds its batches of one partition in offset order, whatever order they arrive in', async () => {
    const s = await setup()
    // Handoffs reach the committer last first.
    const reversed = memoryChannel()
    const held: [string, string][] = []
    const a = await worker({ ...s, channel: { send: async () => {}, subscribe: () => {} } }, 'a', { committer: true })
    const b = await worker({ ...s, channel: { ...reversed, send: async (table, message) => void held.push([table, message]) } }, 'b')
    for (const [from, to] of [[0, 10], [10, 25], [25, 40]] as const) {
      b.add(3, from, to)
      await b.batcher.flush('interval')
    }
    expect(b.shared.outstandingHandoffs).toBe(3)
    const { decodeHandoff } = await import('../../src/batcher/handoff.ts')
    for (const [, message] of held.reverse()) a.shared.receive(decodeHandoff(message))
    a.add(0, 0, 5)
    await a.batcher.flush('interval')
    await settled(b)
    const snapshots = await appendSnapshots(s.catalog)
    expect(snapshots.map((snap) => snap.summary['added-records'])).toEqual(['45'])
    expect(tableMarkers((await s.catalog.loadTable(id)).metadata).markers[`ingest.kafka.${TOPIC}`]).toBe('{"0":5,"3":40}')
    expect(await ids(s)).toEqual(expected([0, 0, 5], [3, 0, 40]))
    await stop(a, b)
  })

  test('a committer whose commits fell behind its rolls folds the queued batches into one snapshot, not one each', async () => {
    const s = await setup()
    const a = await worker(s, 'a', { committer: true })
    for (const [from, to] of [[0, 10], [10, 25]] as const) {
      a.add(0, from, to)
      a.batcher.roll('interval')
    }
    a.add(0, 25, 30)
    await a.batcher.flush('interval')
    expect((await appendSnapshots(s.catalog)).map((snap) => snap.summary['added-records'])).toEqual(['30'])
    expect(tableMarkers((await s.catalog.loadTable(id)).metadata).markers[`ingest.kafka.${TOPIC}`]).toBe('{"0":30}')
    expect(await ids(s)).toEqual(expected([0, 0, 30]))
    expect(a.shared.outstandingHandoffs).toBe(0)
    await stop(a)
  })

  test('a sender that becomes the committer with a batch outstanding of a partition it reads on: its next batch continues it in one snapshot', async () => {
    const s = await setup()
    const b = await worker(s, 'b')
    b.add(1, 0, 10)
    await b.batcher.flush('interval')
    expect(b.shared.outstandingHandoffs).toBe(1)
    b.committer = true
    b.add(1, 10, 20)
    await b.batcher.flush('interval')
    await settled(b)
    expect((await appendSnapshots(s.catalog)).map((snap) => snap.summary['added-records'])).toEqual(['20'])
    expect(await ids(s)).toEqual(expected([1, 0, 20]))
    expect(b.shared.stats.fallbacks).toBe(0)
    await stop(b)
  })

  test('after a rebalance a sender hands its outstanding batch again, to a new committer that never saw it, instead of committing it itself', async () => {
    const s = await setup()
    const b = await worker(s, 'b', { timeoutMs: 1_500 })
    b.add(1, 0, 10)
    await b.batcher.flush('interval')
    // The committer it went to is dead; its successor starts now and reads the channel from here on.
    const c = await worker(s, 'c', { committer: true, intervalMs: 100 })
    await Bun.sleep(300)
    expect(c.shared.pendingHandoffs).toBe(0)
    b.shared.rebalanced()
    await settled(b)
    const snapshots = await appendSnapshots(s.catalog)
    expect(snapshots.map((snap) => snap.summary['added-records'])).toEqual(['10'])
    expect(snapshots[0]!.summary[HANDOFFS_SUMMARY_KEY]).toBeDefined()
    expect([b.shared.stats.fallbacks, c.shared.stats.handoffsFolded]).toEqual([0, 1])
    expect(await ids(s)).toEqual(expected([1, 0, 10]))
    await stop(b, c)
  })

  test("a handoff partly committed by its partition's new owner is trimmed and handed off again; the committer folds the rest, no row twice", async () => {
    const s = await setup()
    const b = await worker(s, 'b', { timeoutMs: 3_000 })
    b.add(4, 0, 10)
    b.add(5, 0, 10)
    await b.batcher.flush('interval')
    // Partition 4 moved: its new owner committed it (and further) on its own.
    await commitAsNewOwner(s, 4, 12)
    const a = await worker(s, 'a', { committer: true, intervalMs: 100 })
    await settled(b)
    expect(b.shared.stats.fallbacks).toBe(0)
    expect(a.shared.stats.handoffsFolded).toBe(1)
    expect((await appendSnapshots(s.catalog)).map((snap) => snap.summary['added-records'])).toEqual(['12', '10'])
    expect(await ids(s)).toEqual(expected([4, 0, 12], [5, 0, 10]))
    await stop(a, b)
  })

  test('with no committer, a sender commits its outstanding batches itself, in one snapshot where their offsets chain, each row once', async () => {
    const s = await setup()
    const b = await worker(s, 'b', { timeoutMs: 200 })
    for (const [from, to] of [[0, 10], [10, 25]] as const) {
      b.add(4, from, to)
      await b.batcher.flush('interval')
    }
    await settled(b)
    expect(b.shared.stats.fallbacks).toBe(2)
    expect((await appendSnapshots(s.catalog)).map((snap) => snap.summary['added-records'])).toEqual(['25'])
    expect(await ids(s)).toEqual(expected([4, 0, 25]))
    await stop(b)
  })
})
