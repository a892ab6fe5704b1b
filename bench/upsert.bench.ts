/**
 * Upsert benchmark, in this process on the embedded catalog and local disk (no stack needed):
 *   1. rows/s committed into an upsert table (v2 position deletes, v3 deletion vectors) beside an append-only table,
 *      the same rows through the same pipeline intake in the same run: each batch updates keys spread over the table
 *      (a `--update-ratio` share of its rows, default 0.5) and inserts new ones;
 *   2. the key index: heap bytes per million keys (8-digit numeric keys and 36-char UUID keys), bytes on disk per
 *      million keys, and its encode / decode time;
 *   3. the key index rebuilt from the v2 table of (1) (every live data file's key column, minus deletes).
 * Prints medians of `--runs`; never passes or fails on time.
 * Usage: bun run bench/upsert.bench.ts [--rows N] [--batch N] [--runs N] [--update-ratio R]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { hostDecompressors } from '../src/adapter/bun/decompress.ts'
import { zstdCompress } from '../src/adapter/bun/zstd.ts'
import { createSqliteCatalog } from '../src/catalog/embedded/sqlite-catalog.ts'
import { parseSchemaDsl } from '../src/iceberg/schema-dsl.ts'
import type { Row } from '../src/iceberg/types.ts'
import { Pipeline } from '../src/pipeline/pipeline.ts'
import type { RecordLog } from '../src/pipeline/record-log.ts'
import { createFileIO } from '../src/storage/file-io.ts'
import { createFsStore } from '../src/storage/fs.ts'
import { decodeKeyIndex, encodeKeyIndex } from '../src/upsert/key-index-codec.ts'
import { KeyIndex } from '../src/upsert/key-index.ts'
import { syncKeyIndex } from '../src/upsert/key-index-sync.ts'
import { tableFiles } from '../src/upsert/table-files.ts'
import { upsertKey, withIdentifierFields } from '../src/upsert/upsert-key.ts'
import { upsertServices } from '../src/upsert/upsert-services.ts'

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '500000' }, batch: { type: 'string', default: '50000' }, runs: { type: 'string', default: '3' }, 'update-ratio': { type: 'string', default: '0.5' } },
})
const ROWS = Number(values.rows)
const BATCH = Number(values.batch)
const RUNS = Number(values.runs)
const UPDATE_RATIO = Number(values['update-ratio'])
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

const schema = parseSchemaDsl('id long not null, name string, reading double, version long')
const keyed = withIdentifierFields(schema, upsertKey(schema, ['id']))
const triggers = { intervalMs: 3_600_000, maxRows: 10_000_000, maxBytes: 1 << 30 }
const noLog: RecordLog = { id: 'bench', append: async () => ({ firstSeq: 1n, lastSeq: 1n }), replay: async function* () {}, truncateThrough: async () => 0, lastSeq: 0n, bytes: 0, segmentCount: 0 }

/** Batch `b`'s rows: updates of keys written before (spread over every earlier batch), then new keys. */
function batchRows(b: number, seed: number): Row[] {
  const rows: Row[] = []
  const existing = b * BATCH
  let state = seed + b
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const updates = existing ? Math.floor(BATCH * UPDATE_RATIO) : 0
  for (let i = 0; i < updates; i++) rows.push({ id: BigInt(Math.floor(random() * existing)), name: 'updated', reading: random(), version: BigInt(b) })
  for (let i = rows.length; i < BATCH; i++) rows.push({ id: BigInt(existing + i), name: `user-${existing + i}`, reading: random(), version: BigInt(b) })
  return rows
}

/** One run: the same batches into an append table and an upsert table (v2 or v3); rows/s of each, commit time only counted. */
async function throughputRun(formatVersion: 2 | 3, run: number): Promise<{ append: number; upsert: number; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'upsert-bench-'))
  const io = createFileIO([createFsStore(join(dir, 'wh'))])
  const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: `file://${join(dir, 'wh')}`, io })
  const properties: Record<string, string> = formatVersion === 3 ? { 'format-version': '3' } : {}
  const pipeline = await Pipeline.start({
    catalog,
    io,
    log: noLog,
    compressors: { zstd: zstdCompress },
    tables: [
      { identifier: { namespace: ['bench'], name: 'appends' }, schema, triggers, properties },
      { identifier: { namespace: ['bench'], name: 'upserts' }, schema: keyed, triggers, properties, upsert: { key: ['id'], httpEnvelope: 'none', kafkaEnvelope: 'none' } },
    ],
    upserts: upsertServices(io, { compressors: { zstd: zstdCompress }, decompressors: hostDecompressors }),
  })
  const timed = { append: 0, upsert: 0 }
  let offset = 0n
  for (let b = 0; b < ROWS / BATCH; b++) {
    const rows = batchRows(b, run * 7919)
    for (const [name, kind] of [['appends', 'append'], ['upserts', 'upsert']] as const) {
      const table = pipeline.table(['bench'], name)!
      const start = performance.now()
      for (const row of rows) table.intake.accept([{ ...row }], { kafka: { topic: name, partition: 0, offset: offset++ } })
      await table.batcher.flush('interval')
      timed[kind] += performance.now() - start
    }
  }
  await pipeline.stop()
  catalog.close()
  return { append: ROWS / (timed.append / 1000), upsert: ROWS / (timed.upsert / 1000), dir }
}

/** An index of `count` keys over 100 files, as a sync or our commits would build it. */
function buildIndex(count: number, key: (i: number) => string): KeyIndex {
  const index = new KeyIndex()
  for (let f = 0; f < 100; f++) index.addFile(`s3://warehouse/bench/upserts/data/00000000000000000000-${f}-00000.parquet`)
  for (let i = 0; i < count; i++) index.set(key(i), `s3://warehouse/bench/upserts/data/00000000000000000000-${i % 100}-00000.parquet`, Math.floor(i / 100))
  return index
}

/**
 * Heap bytes of an index of `count` keys (median of RUNS builds, each after a full GC: JSC scans the stack
 * conservatively, so a build now and then shows the previous index freed under it), and its encoding.
 */
async function indexFigures(count: number, key: (i: number) => string) {
  const heaps: number[] = []
  let index: KeyIndex | undefined
  for (let r = 0; r < RUNS; r++) {
    index = undefined
    Bun.gc(true)
    const before = process.memoryUsage().heapUsed
    index = buildIndex(count, key)
    Bun.gc(true)
    heaps.push(process.memoryUsage().heapUsed - before)
  }
  const heap = median(heaps)
  const identity = { tableUuid: crypto.randomUUID(), keyFieldIds: [1] }
  const encodes: number[] = []
  const decodes: number[] = []
  let bytes = 0
  for (let r = 0; r < RUNS; r++) {
    let start = performance.now()
    const encoded = await encodeKeyIndex(index!, identity)
    encodes.push(performance.now() - start)
    bytes = encoded.length
    start = performance.now()
    const decoded = await decodeKeyIndex(encoded, identity)
    decodes.push(performance.now() - start)
    if (!('index' in decoded) || decoded.index.size !== count) throw new Error('index round trip lost keys')
  }
  return { heapPerMillion: (heap / count) * 1e6, diskPerMillion: (bytes / count) * 1e6, encodeMs: median(encodes), decodeMs: median(decodes) }
}

console.log(`upsert bench: ${fmt(ROWS)} rows in batches of ${fmt(BATCH)}, ${UPDATE_RATIO * 100}% of each batch after the first updating earlier keys; ${RUNS} runs, medians`)
const dirs: string[] = []
try {
  // Warm-up (JIT, file system caches), not counted.
  dirs.push((await throughputRun(2, RUNS)).dir)
  for (const formatVersion of [2, 3] as const) {
    const runs = []
    for (let run = 0; run < RUNS; run++) {
      const result = await throughputRun(formatVersion, run)
      dirs.push(result.dir)
      runs.push(result)
    }
    const append = median(runs.map((r) => r.append))
    const upsert = median(runs.map((r) => r.upsert))
    console.log(`v${formatVersion}: append ${fmt(append)} rows/s, upsert ${fmt(upsert)} rows/s (${(upsert / append).toFixed(2)}x of append; ${formatVersion === 3 ? 'deletion vectors' : 'position-delete files'})`)
  }

  const numeric = await indexFigures(1_000_000, (i) => String(10_000_000 + i))
  console.log(`key index, 1M 8-digit keys: ${fmt(numeric.heapPerMillion / 2 ** 20)} MiB heap per million keys, ${fmt(numeric.diskPerMillion / 2 ** 20)} MiB on disk per million; encode ${fmt(numeric.encodeMs)} ms, decode ${fmt(numeric.decodeMs)} ms`)
  const uuids = await indexFigures(1_000_000, () => crypto.randomUUID())
  console.log(`key index, 1M UUID keys: ${fmt(uuids.heapPerMillion / 2 ** 20)} MiB heap per million keys, ${fmt(uuids.diskPerMillion / 2 ** 20)} MiB on disk per million; encode ${fmt(uuids.encodeMs)} ms, decode ${fmt(uuids.decodeMs)} ms`)

  // Rebuild from the last v2 run's upsert table: what a start without an index file (or a stale one) costs.
  const dir = dirs[RUNS]!
  const io = createFileIO([createFsStore(join(dir, 'wh'))])
  const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: `file://${join(dir, 'wh')}`, io })
  const table = await catalog.loadTable({ namespace: ['bench'], name: 'upserts' })
  const rebuilds: number[] = []
  let size = 0
  for (let r = 0; r < RUNS; r++) {
    const index = new KeyIndex()
    const start = performance.now()
    const report = await syncKeyIndex(index, table.metadata, upsertKey(schema, ['id']), tableFiles(io, hostDecompressors))
    rebuilds.push(performance.now() - start)
    size = index.size
    if (!report.changed) throw new Error('nothing rebuilt')
  }
  catalog.close()
  console.log(`key index rebuilt from the v2 table (${fmt(size)} keys): ${fmt(median(rebuilds))} ms (${fmt(size / (median(rebuilds) / 1000))} keys/s)`)
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
}
