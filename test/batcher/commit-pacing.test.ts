/**
 * Commit pacing, driven end to end in-process: a pipeline on the embedded SQLite catalog whose commits
 * are made slow (each commitTable call waits, as Glue's or Unity's would), rows arriving all the time.
 * The interval stretches to the catalog, /metrics shows latency and interval, and the table gets a few
 * large commits where the same load with pacing off makes one per commit latency.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Catalog } from '../../src/catalog/catalog.ts'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { Pipeline } from '../../src/pipeline/pipeline.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { createWorkerMetrics } from '../../src/worker/metrics.ts'
import { unusedRecordLog } from '../pipeline/unused-record-log.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const CATALOG_LATENCY_MS = 200
const RUN_MS = 2_000

const unusedLog = unusedRecordLog('pacing')

/** Runs RUN_MS of steady Kafka rows into a table whose catalog takes CATALOG_LATENCY_MS per commit. */
async function run(maxIntervalMs: number | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'commit-pacing-'))
  dirs.push(dir)
  const io = createFileIO([createFsStore(join(dir, 'wh'))])
  const sqlite = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: `file://${join(dir, 'wh')}`, io })
  let commitCalls = 0
  const catalog: Catalog = {
    ...sqlite,
    commitTable: async (id, request) => {
      commitCalls++
      await Bun.sleep(CATALOG_LATENCY_MS)
      return sqlite.commitTable(id, request)
    },
  }
  const lines: string[] = []
  const pipeline = await Pipeline.start({
    catalog,
    io,
    log: unusedLog,
    logLine: (line) => lines.push(line),
    tables: [{ identifier: { namespace: ['ns'], name: 't' }, schema: parseSchemaDsl('id long'), triggers: { intervalMs: 100, maxRows: 1_000_000, maxBytes: 1 << 30, ...(maxIntervalMs ? { maxIntervalMs } : {}) } }],
  })
  const table = pipeline.table(['ns'], 't')!
  const metrics = createWorkerMetrics(pipeline, unusedLog, () => [])
  commitCalls = 0 // table creation is not what is measured
  let offset = 0
  const started = Date.now()
  while (Date.now() - started < RUN_MS) {
    for (let i = 0; i < 50; i++, offset++) table.intake.accept([{ id: BigInt(offset) }], { kafka: { topic: 'events', partition: 0, offset: BigInt(offset) } })
    await Bun.sleep(10)
  }
  const scraped = metrics()
  const stats = { ...table.batcher.stats }
  const commitsDuringRun = commitCalls
  await pipeline.stop()
  const committed = table.batcher.committedKafkaOffsets('events').get(0)
  sqlite.close()
  return { stats, commitsDuringRun, scraped, lines, offset, committed }
}

describe('commit pacing against a slow catalog', () => {
  test('the interval stretches to four commit latencies, shows in /metrics, and cuts the commits; every row still lands', async () => {
    const paced = await run(undefined)
    const unpaced = await run(100)

    // Median latency is the catalog's wait plus the manifest writes; the interval follows it (×4), under the default cap of 1 s.
    expect(paced.stats.commitLatencyMs!).toBeGreaterThanOrEqual(CATALOG_LATENCY_MS)
    expect(paced.stats.effectiveIntervalMs).toBeGreaterThanOrEqual(4 * CATALOG_LATENCY_MS)
    expect(paced.stats.effectiveIntervalMs).toBeLessThanOrEqual(1_000)
    expect(paced.scraped).toMatch(new RegExp(`ingest_commit_latency_ms\\{table="ns\\.t"\\} ${paced.stats.commitLatencyMs}\\n`))
    expect(paced.scraped).toContain(`ingest_effective_interval_ms{table="ns.t"} ${paced.stats.effectiveIntervalMs}\n`)
    expect(paced.scraped).toContain('ingest_commit_latency_ms{table="ns.t_dead_letters"} -1\n')
    expect(paced.lines.some((line) => /table ns\.t: commits take \d+ ms .*roll interval stretched to \d+ ms \(configured 100 ms, cap 1000 ms\)/.test(line))).toBe(true)

    // Pacing off (cap = interval): the interval stays put and the table commits back to back.
    expect(unpaced.stats.effectiveIntervalMs).toBe(100)
    expect(unpaced.commitsDuringRun).toBeGreaterThanOrEqual(7)
    // Paced: the batches rolled before the first commit told the latency (one per 100 ms, 2-3 of them), then one per stretched interval.
    expect(paced.commitsDuringRun).toBeLessThanOrEqual(5)
    expect(paced.commitsDuringRun * 3).toBeLessThanOrEqual(unpaced.commitsDuringRun * 2)

    // Nothing waits forever or gets lost: the final flush commits every offset in both modes.
    expect(paced.committed).toBe(BigInt(paced.offset))
    expect(unpaced.committed).toBe(BigInt(unpaced.offset))
  }, 30_000)
})
