/** `tables create --format-version 3` on the embedded catalog: a v3 table with row lineage, v3 column types only there. */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openCatalog } from '../../scripts/cli/catalog.ts'
import { parseConfig } from '../../src/config/config.ts'
import { embeddedCli } from './embedded-cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'tables-v3-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const tables = embeddedCli('tables.ts', dir)

test('--format-version 3 creates a v3 table (next-row-id 0) that may hold timestamp_ns and variant; v2 refuses them', async () => {
  const created = await tables('create', 'lab.v3', '--schema', 'id long not null, at timestamp_ns, body variant', '--format-version', '3')
  expect(created).toMatchObject({ code: 0 })
  expect(created.out).toContain('  format       v3')
  const { catalog, close } = openCatalog(parseConfig({ dataDir: dir, tables: [{ name: 'lab.v3', schema: 'id long' }] }))
  try {
    const { metadata } = await catalog.loadTable({ namespace: ['lab'], name: 'v3' })
    expect([metadata['format-version'], metadata['next-row-id']]).toEqual([3, 0n])
    expect(metadata.properties['format-version']).toBeUndefined()
  } finally {
    close()
  }
  expect((await tables('describe', 'lab.v3')).out).toContain('format v3')

  const v2 = await tables('create', 'lab.v2', '--schema', 'id long, body variant')
  expect(v2.code).toBe(2)
  expect(v2.err).toContain('field body has type variant, which needs a format-version 3 table (this one is v2)')
  const bad = await tables('create', 'lab.v4', '--schema', 'id long', '--format-version', '4')
  expect(bad.err).toContain('--format-version is 2 or 3, got "4"')
  expect((await tables('describe', 'lab.v3', '--format-version', '3')).err).toContain('belong to `tables create`')
})
