/**
 * /metrics says where the worker's memory is, beside the buffered estimate maxPendingBytes caps: the
 * process's resident memory and the main thread's heap, which grow when rows are held and shrink
 * back when they are committed and collected. In-process, on the embedded catalog.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { Pipeline } from '../../src/pipeline/pipeline.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { createWorkerMetrics } from '../../src/worker/metrics.ts'
import { unusedRecordLog } from '../pipeline/unused-record-log.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const unusedLog = unusedRecordLog('memory')

const gauge = (scraped: string, line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(scraped)?.[1] ?? NaN)

describe('memory in /metrics', () => {
  test('resident memory and the heap beside the buffered estimate, following rows in and out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memory-metrics-'))
    dirs.push(dir)
    const io = createFileIO([createFsStore(join(dir, 'wh'))])
    const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: `file://${join(dir, 'wh')}`, io })
    const pipeline = await Pipeline.start({
      catalog,
      io,
      log: unusedLog,
      tables: [{ identifier: { namespace: ['ns'], name: 't' }, schema: parseSchemaDsl('id long, note string'), triggers: { intervalMs: 3_600_000, maxRows: 10_000_000, maxBytes: 1 << 30 } }],
    })
    const metrics = createWorkerMetrics(pipeline, unusedLog, () => [])
    try {
      const before = metrics()
      expect(gauge(before, 'ingest_heap_external_bytes')).toBeGreaterThanOrEqual(0)
      expect(gauge(before, 'process_resident_memory_bytes')).toBeGreaterThan(gauge(before, 'ingest_heap_bytes'))

      const table = pipeline.table(['ns'], 't')!
      const rows = Array.from({ length: 200_000 }, (_, i) => ({ id: BigInt(i), note: `note ${i} ${'x'.repeat(40)}` }))
      table.batcher.add(rows, { kafka: { topic: 'events', partition: 0, offset: 0n } })
      Bun.gc(true)
      const held = metrics()
      expect(gauge(held, 'ingest_pending_bytes')).toBeGreaterThan(5_000_000)
      expect(gauge(held, 'ingest_heap_bytes')).toBeGreaterThan(gauge(before, 'ingest_heap_bytes') + 5_000_000)

      await table.batcher.flush()
      rows.length = 0
      Bun.gc(true)
      const after = metrics()
      expect(gauge(after, 'ingest_pending_bytes')).toBe(0)
      expect(gauge(after, 'ingest_heap_bytes')).toBeLessThan(gauge(held, 'ingest_heap_bytes'))
    } finally {
      await pipeline.stop()
      catalog.close?.()
    }
  })
})
