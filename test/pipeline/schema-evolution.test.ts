/**
 * Schema evolution in-process: the real HTTP app over the real pipeline, WAL and embedded catalog; rows read
 * back with our scanner (PyIceberg reads them in test/e2e/schema-evolution.test.ts).
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../../src/config/config.ts'
import { applySchemaChanges } from '../../src/iceberg/schema-evolution.ts'
import { currentSchema } from '../../src/iceberg/table-metadata.ts'
import { Pipeline } from '../../src/pipeline/pipeline.ts'
import { hostDecompressors } from '../../src/adapter/bun/decompress.ts'
import { scanTable } from '../../src/query/scan-table.ts'
import { createIngestApp } from '../../src/sources/http/app.ts'
import { tryLockFile } from '../../src/adapter/bun/dir-lock.ts'
import { pipelineAppDeps, pipelineTables } from '../../src/worker/pipeline-app.ts'
import { openCatalog } from '../../src/worker/resources.ts'
import { openWalLog } from '../../src/worker/wal-log.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'schema-evolution-'))
  dirs.push(dir)
  return dir
}
const id = { namespace: ['ns'], name: 'events' }

/** A worker's pipeline and HTTP app on `dataDir`; `shared` points the catalog and warehouse at another worker's. */
async function start(dataDir: string, table: Record<string, unknown>, shared?: string) {
  const base = shared ?? dataDir
  const config = parseConfig({
    dataDir,
    catalog: { type: 'embedded', path: join(base, 'catalog.db'), warehouse: join(base, 'warehouse') },
    tables: [{ name: 'ns.events', schema: 'id long not null', roll: { intervalMs: 3_600_000 }, ...table }],
  })
  const access = openCatalog(config)
  const wal = await openWalLog(config, dataDir, () => {}, { tryLock: tryLockFile, pid: process.pid })
  const lines: string[] = []
  const pipeline = await Pipeline.start({ catalog: access.catalog, io: access.io, log: wal, tables: pipelineTables(config), logLine: (line) => lines.push(line) })
  const app = createIngestApp(pipelineAppDeps(config, pipeline, () => '', () => {}))
  return {
    lines,
    pipeline,
    catalog: access.catalog,
    post: async (body: unknown) => {
      const response = await app.request('/v1/tables/ns/events/records', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return { status: response.status, body: (await response.json()) as { accepted: number; rejected: { index: number; reason: string }[] } }
    },
    schema: async () => currentSchema((await access.catalog.loadTable(id)).metadata),
    /** Primitive columns only (our scanner's limit; PyIceberg reads the nested ones in the e2e test). */
    rows: async (columns?: string[]) => {
      const out: Record<string, unknown>[] = []
      for await (const batch of scanTable(await access.catalog.loadTable(id), { io: access.io, compressors: hostDecompressors, ...(columns ? { columns } : {}) })) out.push(...batch.toArray().map((r) => ({ ...r })))
      return out.sort((a, b) => Number(a.id) - Number(b.id))
    },
    async stop() {
      await pipeline.stop()
      await wal.close()
    },
    close: () => access.close(),
  }
}

const fields = (schema: { fields: { name: string; type: unknown }[] }) => schema.fields.map((f) => [f.name, typeof f.type === 'string' ? f.type : (f.type as { type: string }).type])

describe('schema evolution (add-columns, the default)', () => {
  test('a field the table lacks becomes an optional column, committed before its rows; earlier rows read it as null', async () => {
    const run = await start(tempDir(), {})
    expect((await run.post({ id: 1 })).body.accepted).toBe(1)
    const second = await run.post([{ id: 2, humidity: 40, loc: { lat: 1.5 } }, { id: 3, loc: { lat: 2.5, alt: 7 } }])
    expect(second.body).toEqual({ accepted: 2, rejected: [] })
    expect(fields(await run.schema())).toEqual([['id', 'long'], ['humidity', 'long'], ['loc', 'struct']])
    expect(JSON.stringify((await run.schema()).fields[2])).toContain('"alt"')
    await run.stop()
    const rows = await run.rows(['id', 'humidity'])
    expect(rows.map((r) => [r.id, r.humidity])).toEqual([
      [1n, null],
      [2n, 40n],
      [3n, null],
    ])
    expect(run.lines.some((line) => line.includes('table ns.events: schema 1: added humidity (long), loc (struct<lat: double>)'))).toBe(true)
    run.close()
  })

  test('a value of another kind in a column is a dead letter naming the field, the column type and the value; its neighbours land', async () => {
    const run = await start(tempDir(), { schema: 'id long not null, reading double' })
    const answer = await run.post([{ id: 1, reading: 1.5 }, { id: 2, reading: 'hot' }, { id: 3, reading: 2 }])
    expect(answer.body.accepted).toBe(2)
    expect(answer.body.rejected).toEqual([{ index: 1, reason: 'field "reading": expected double, got string "hot"' }])
    expect(fields(await run.schema())).toEqual([['id', 'long'], ['reading', 'double']])
    await run.stop()
    expect((await run.rows()).map((r) => r.id)).toEqual([1n, 3n])
    run.close()
  })

  test('add-and-widen promotes int to long for a value past int; add-columns leaves it a dead letter', async () => {
    const wide = await start(tempDir(), { schema: 'id long not null, count int', schemaEvolution: 'add-and-widen' })
    expect((await wide.post([{ id: 1, count: 5 }])).body.accepted).toBe(1)
    expect((await wide.post([{ id: 2, count: 3_000_000_000 }])).body.accepted).toBe(1)
    expect(fields(await wide.schema())).toEqual([['id', 'long'], ['count', 'long']])
    await wide.stop()
    expect((await wide.rows()).map((r) => r.count)).toEqual([5n, 3_000_000_000n])
    wide.close()
    const narrow = await start(tempDir(), { schema: 'id long not null, count int' })
    const refused = await narrow.post([{ id: 2, count: 3_000_000_000 }])
    expect(refused.body.rejected[0]!.reason).toContain('field "count"')
    await narrow.stop()
    narrow.close()
  })
})

describe('schemaEvolution "off"', () => {
  test('an unknown field is a dead letter with its reason, not a silent drop; extraFields "ignore" drops it by choice', async () => {
    const off = await start(tempDir(), { schemaEvolution: 'off' })
    const answer = await off.post([{ id: 1 }, { id: 2, humidity: 40 }, { id: 3, note: null }])
    expect(answer.body.accepted).toBe(2)
    expect(answer.body.rejected).toEqual([{ index: 1, reason: 'unknown field "humidity": table ns.events has no such column and its schemaEvolution is "off"' }])
    expect(fields(await off.schema())).toEqual([['id', 'long']])
    await off.stop()
    off.close()
    const ignore = await start(tempDir(), { schemaEvolution: 'off', extraFields: 'ignore' })
    expect((await ignore.post([{ id: 2, humidity: 40 }])).body).toEqual({ accepted: 1, rejected: [] })
    await ignore.stop()
    ignore.close()
  })
})

describe('other writers', () => {
  test('two workers adding the same column and a different one at once: one schema with all of them, every row present', async () => {
    const a = tempDir()
    const b = tempDir()
    const first = await start(a, {})
    const second = await start(b, {}, a)
    const answers = await Promise.all([
      first.post([{ id: 1, shared: 'x', only_a: 1 }]),
      second.post([{ id: 2, shared: 'y', only_b: true }]),
    ])
    expect(answers.map((x) => x.body.accepted)).toEqual([1, 1])
    const schema = await first.schema()
    expect(fields(schema).sort()).toEqual([['id', 'long'], ['only_a', 'long'], ['only_b', 'boolean'], ['shared', 'string']])
    await first.stop()
    await second.stop()
    const rows = await first.rows()
    expect(rows.map((r) => [r.id, r.shared, r.only_a ?? null, r.only_b ?? null])).toEqual([
      [1n, 'x', 1n, null],
      [2n, 'y', null, true],
    ])
    first.close()
    second.close()
  })

  test('a column another engine adds is filled from then on; one it renames keeps being filled by its former name (by id)', async () => {
    const run = await start(tempDir(), { schema: 'id long not null, reading double' })
    await run.post([{ id: 1, reading: 1 }])
    await run.pipeline.table(['ns'], 'events')!.batcher.flush('interval')
    // Another engine: adds `site`, renames `reading` to `value` (one commit, as an ALTER TABLE would).
    const table = await run.catalog.loadTable(id)
    const before = currentSchema(table.metadata)
    const added = applySchemaChanges(before, [{ kind: 'add', path: [], field: { id: 0, name: 'site', required: false, type: 'string' } }], table.metadata['last-column-id'])!
    const renamed = { ...added.schema, 'schema-id': 1, fields: added.schema.fields.map((f) => (f.name === 'reading' ? { ...f, name: 'value' } : f)) }
    await run.catalog.commitTable(id, {
      requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': before['schema-id'] }],
      updates: [{ action: 'add-schema', schema: renamed, 'last-column-id': added.lastColumnId }, { action: 'set-current-schema', 'schema-id': -1 }],
    })
    // Buffered under the old schema, committed after the change: carried over by field id.
    await run.post([{ id: 2, reading: 2 }])
    await run.pipeline.table(['ns'], 'events')!.batcher.flush('interval')
    // The worker follows the new schema after that commit: `site` is filled, `reading` lands in `value`.
    const answer = await run.post([{ id: 3, reading: 3, site: 'north' }])
    expect(answer.body).toEqual({ accepted: 1, rejected: [] })
    expect(fields(await run.schema())).toEqual([['id', 'long'], ['value', 'double'], ['site', 'string']])
    await run.stop()
    expect((await run.rows()).map((r) => [r.id, r.value, r.site ?? null])).toEqual([
      [1n, 1, null],
      [2n, 2, null],
      [3n, 3, 'north'],
    ])
    run.close()
  })
})
