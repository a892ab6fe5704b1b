/** `tables` end to end on the embedded catalog (the worker's default): create, list, describe, snapshots, drop. */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../../src/config/config.ts'
import { loadTable } from '../../src/table/table.ts'
import { openCatalog } from '../../scripts/cli/catalog.ts'

const ROOT = join(import.meta.dir, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'tables-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function tables(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn(['bun', 'run', join(ROOT, 'scripts', 'tables.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, INGEST_DATA_DIR: dir, INGEST_CONFIG: '', ICEBERG_CATALOG_URI: '', S3_ENDPOINT: '', S3_ACCESS_KEY_ID: '', S3_REGION: '' },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, out, err }
}

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
