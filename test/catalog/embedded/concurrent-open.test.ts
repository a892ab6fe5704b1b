/** The embedded catalog opened while another process holds the file's lock waits for it instead of failing. */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteCatalog } from '../../../src/catalog/embedded/sqlite-catalog.ts'
import { createFileIO } from '../../../src/storage/file-io.ts'
import { createFsStore } from '../../../src/storage/fs.ts'

const dir = mkdtempSync(join(tmpdir(), 'sqlite-open-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// The CLIs (tables, query, maintain) each open the catalog file; several at once, or one beside a
// starting worker, met "database is locked" when the first of them was still turning the file to WAL.
test('a catalog file (not yet WAL) locked by another process for 300 ms: opening it waits and then works', async () => {
  const path = join(dir, 'catalog.db')
  const holder = Bun.spawn(
    ['bun', '-e', `const { Database } = require('bun:sqlite'); const db = new Database(${JSON.stringify(path)}, { create: true });
      db.exec('CREATE TABLE held (a INT); BEGIN EXCLUSIVE; INSERT INTO held VALUES (1)'); console.log('locked'); await Bun.sleep(300); db.exec('COMMIT'); db.close()`],
    { stdout: 'pipe', stderr: 'inherit' },
  )
  const reader = holder.stdout.getReader()
  expect(new TextDecoder().decode((await reader.read()).value)).toContain('locked')
  const started = performance.now()
  const catalog = createSqliteCatalog({ path, warehouse: `file://${dir}/warehouse`, io: createFileIO([createFsStore(join(dir, 'warehouse'))]) })
  try {
    expect(await catalog.listNamespaces()).toEqual([])
    expect(performance.now() - started).toBeGreaterThan(100)
  } finally {
    catalog.close()
    expect(await holder.exited).toBe(0)
  }
})
