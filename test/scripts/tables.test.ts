/** `tables` end to end on the embedded catalog (the worker's default): create, list, describe, snapshots, drop. */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../../src/config/config.ts'
import { loadTable } from '../../src/table/table.ts'
import { openCatalog } from '../../scripts/cli/catalog.ts'
import { applySchemaChanges, type SchemaChange } from '../../src/iceberg/schema-evolution.ts'
import { currentSchema } from '../../src/iceberg/table-metadata.ts'
import { embeddedCli } from './embedded-cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'tables-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const tables = embeddedCli('tables.ts', dir)

test('create, list, describe, snapshots and drop through the configured (embedded) catalog', async () => {
  const created = await tables('create', 'lab.events', '--schema', 'id long not null, at timestamptz, tags list<string>', '--partition-by', 'day(at), bucket(8, id)', '--property', 'commit.retry.num-retries=7')
  expect(created).toMatchObject({ code: 0 })
  expect(created.out).toContain(`created lab.events in embedded:${join(dir, 'catalog.db')}`)
  expect(created.out).toContain('partitioned  by day(at), bucket(8, id)')
  expect((await tables('create', 'lab.events', '--schema', 'id long', '--if-not-exists')).out).toBe('lab.events exists already; left as it is\n')
  expect((await tables('create', 'lab.other', '--schema', 'x int')).code).toBe(0)
  expect((await tables('list')).out).toBe('lab.events\nlab.other\n')
  expect((await tables('list', 'lab')).out).toBe('lab.events\nlab.other\n')

  // The worker would append; the table API writes the same way.
  const config = parseConfig({ dataDir: dir, tables: [{ name: 'lab.events', schema: 'id long' }] })
  const { catalog, io, close } = openCatalog(config)
  const table = await loadTable({ catalog, io }, { namespace: ['lab'], name: 'events' })
  await table.append([{ id: 1n, at: 1_767_225_600_000_000n, tags: ['a'] }, { id: 2n, at: 1_767_312_000_000_000n, tags: null }])
  await table.append([{ id: 3n, at: null, tags: [] }])
  close()

  const described = (await tables('describe', 'lab.events')).out
  expect(described).toContain('schema      id long not null, at timestamptz, tags list<string>')
  expect(described).toMatch(/ {2}3 {3}tags +list<string> +no/)
  expect(described).toContain('partitioned by day(at), bucket(8, id)  (spec 0)')
  expect(described).toContain('  commit.retry.num-retries = 7')
  expect(described).toMatch(/files {7}\d+ data files, [\d.]+ KB/)
  expect(described).toContain('rows        3')
  expect(described).toMatch(/snapshot {4}\d+ \(append, 20\d\d-.*\); 2 snapshots in all/)
  const snapshots = (await tables('snapshots', 'lab.events')).out.split('\n')
  expect(snapshots[0]).toMatch(/^snapshot_id +committed_at +operation +added_files +added_rows +total_rows +parent_id$/)
  expect(snapshots[2]).toMatch(/^\d+ +\S+Z +append +\d+ +2 +2$/)
  expect(snapshots[3]).toMatch(/^\d+ \* +\S+Z +append +1 +1 +3 +\d+$/)

  expect((await tables('drop', 'lab.events')).out).toBe('dropped lab.events\n')
  const again = await tables('drop', 'lab.events')
  expect(again.code).toBe(3)
  expect(again.err).toContain('tables drop: table lab.events does not exist in catalog embedded:')
  expect(again.err).toContain('(or pass --if-exists)')
  expect((await tables('drop', 'lab.events', '--if-exists')).out).toBe('lab.events does not exist; nothing to drop\n')
  expect((await tables('list')).out).toBe('lab.other\n')
}, 60_000)

test('schemas: each version with its id and what it changed (added, renamed, retyped)', async () => {
  expect((await tables('create', 'lab.evolving', '--schema', 'id long not null, count int, reading double')).code).toBe(0)
  const config = parseConfig({ dataDir: dir, tables: [{ name: 'lab.evolving', schema: 'id long' }] })
  const { catalog, close } = openCatalog(config)
  const id = { namespace: ['lab'], name: 'evolving' }
  const evolve = async (changes: SchemaChange[], rename?: [string, string]) => {
    const { metadata } = await catalog.loadTable(id)
    const evolved = applySchemaChanges(currentSchema(metadata), changes, metadata['last-column-id'])!
    const schema = rename ? { ...evolved.schema, fields: evolved.schema.fields.map((f) => (f.name === rename[0] ? { ...f, name: rename[1] } : f)) } : evolved.schema
    await catalog.commitTable(id, { requirements: [], updates: [{ action: 'add-schema', schema: { ...schema, 'schema-id': metadata.schemas.length }, 'last-column-id': evolved.lastColumnId }, { action: 'set-current-schema', 'schema-id': -1 }] })
  }
  await evolve([{ kind: 'add', path: [], field: { id: 0, name: 'humidity', required: false, type: 'long' } }, { kind: 'widen', path: ['count'], from: 'int', to: 'long' }])
  await evolve([{ kind: 'add', path: [], field: { id: 0, name: 'site', required: false, type: 'string' } }], ['reading', 'value'])
  close()
  const lines = (await tables('schemas', 'lab.evolving')).out.split('\n')
  expect(lines[0]).toMatch(/^schema_id +change +columns$/)
  expect(lines[2]).toMatch(/^0 +\(created\) +id long not null, count int, reading double$/)
  expect(lines[3]).toMatch(/^1 +count: int→long, \+humidity +id long not null, count long, reading double, humidity long$/)
  expect(lines[4]).toMatch(/^2 \* +reading→value, \+site +id long not null, count long, value double, humidity long, site string$/)
})
