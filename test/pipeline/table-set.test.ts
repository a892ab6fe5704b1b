/** loadOrCreateTable on the embedded catalog: a missing table is created once, an existing one keeps its schema. */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { currentSchema } from '../../src/iceberg/table-metadata.ts'
import { deadLetterTableCreate, deadLetterTableIdentifier, loadOrCreateTable } from '../../src/pipeline/table-set.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'

const dir = mkdtempSync(join(tmpdir(), 'table-set-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('loadOrCreateTable', () => {
  test('concurrent first uses create the table once; both get it; a later config schema does not change it', async () => {
    const io = createFileIO([createFsStore(join(dir, 'wh'))])
    const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: `file://${join(dir, 'wh')}`, io })
    const lines: string[] = []
    const identifier = { namespace: ['ns'], name: 'events' }
    const create = { schema: parseSchemaDsl('id long not null') }
    const [a, b] = await Promise.all([
      loadOrCreateTable({ catalog, io }, identifier, create, (line) => lines.push(line)),
      loadOrCreateTable({ catalog, io }, identifier, create, (line) => lines.push(line)),
    ])
    expect(a.current().metadata['table-uuid']).toBe(b.current().metadata['table-uuid'])
    const again = await loadOrCreateTable({ catalog, io }, identifier, { schema: parseSchemaDsl('id long not null, other string') }, (line) => lines.push(line))
    expect(currentSchema(again.current().metadata).fields.map((f) => f.name)).toEqual(['id'])
    const dead = await loadOrCreateTable({ catalog, io }, deadLetterTableIdentifier(identifier), deadLetterTableCreate(), () => {})
    expect(dead.identifier).toEqual({ namespace: ['ns'], name: 'events_dead_letters' })
    expect(lines.filter((line) => line === 'creating table ns.events').length).toBeGreaterThanOrEqual(1)
    catalog.close()
  })
})
