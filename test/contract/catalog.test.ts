/**
 * One suite, every Catalog: the embedded SQLite catalog and the real Iceberg REST catalog of the
 * stack (Iceberg's own REST server on the SigV4-checking S3 server).
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Catalog } from '../../src/catalog/catalog.ts'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { createRestCatalog } from '../../src/catalog/rest/client.ts'
import { AlreadyExistsError, CommitConflictError, NoSuchEntityError } from '../../src/errors.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { newSnapshotId } from '../../src/iceberg/snapshot.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { stackEnv } from '../e2e/stack-env.ts'

// Real services on a 2-core machine: far beyond bun's 5 s default (set per file: bun applies it to the calling file only).
setDefaultTimeout(120_000)

const schema = parseSchemaDsl('id long not null, name string')
const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

function catalogSuite(label: string, make: () => Catalog) {
  describe(`${label} catalog`, () => {
    const ns = [`contract_${crypto.randomUUID().slice(0, 8)}`]

    test('namespaces: create, list, properties, duplicate, missing', async () => {
      const catalog = make()
      await catalog.createNamespace(ns, { owner: 'tests' })
      expect((await catalog.listNamespaces()).map((n) => n.join('.'))).toContain(ns[0]!)
      expect((await catalog.loadNamespaceProperties(ns)).owner).toBe('tests')
      await expect(catalog.createNamespace(ns)).rejects.toBeInstanceOf(AlreadyExistsError)
      await expect(catalog.loadNamespaceProperties(['missing_ns_for_contract'])).rejects.toBeInstanceOf(NoSuchEntityError)
    })

    test('tables: create, load, exists, list, duplicate, missing', async () => {
      const catalog = make()
      const created = await catalog.createTable(ns, { name: 't1', schema, properties: { 'write.format.default': 'parquet' } })
      expect(created.metadata['format-version']).toBe(2)
      expect(created.metadata.schemas[0]!.fields.map((f) => f.name)).toEqual(['id', 'name'])
      const loaded = await catalog.loadTable({ namespace: ns, name: 't1' })
      expect(loaded.metadata['table-uuid']).toBe(created.metadata['table-uuid'])
      expect(loaded.metadata.properties['write.format.default']).toBe('parquet')
      expect(await catalog.tableExists({ namespace: ns, name: 't1' })).toBe(true)
      expect(await catalog.tableExists({ namespace: ns, name: 'nope' })).toBe(false)
      expect((await catalog.listTables(ns)).map((t) => t.name)).toEqual(['t1'])
      await expect(catalog.createTable(ns, { name: 't1', schema })).rejects.toBeInstanceOf(AlreadyExistsError)
      await expect(catalog.loadTable({ namespace: ns, name: 'nope' })).rejects.toBeInstanceOf(NoSuchEntityError)
    })

    test('commits: properties and a snapshot ref land; a stale requirement is a conflict', async () => {
      const catalog = make()
      const id = { namespace: ns, name: 't1' }
      const before = await catalog.loadTable(id)
      const updated = await catalog.commitTable(id, {
        requirements: [{ type: 'assert-table-uuid', uuid: before.metadata['table-uuid'] }],
        updates: [{ action: 'set-properties', updates: { 'commit.retry.num-retries': '7' } }],
      })
      expect(updated.metadata.properties['commit.retry.num-retries']).toBe('7')
      expect(updated.metadataLocation).not.toBe(before.metadataLocation)

      // A snapshot id above 2^53 must survive the round trip exactly.
      const snapshotId = (1n << 62n) + newSnapshotId() % 1000n
      const location = `${before.metadata.location}/metadata/snap-${snapshotId}-contract.avro`
      const withSnapshot = await catalog.commitTable(id, {
        requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
        updates: [
          {
            action: 'add-snapshot',
            snapshot: {
              'snapshot-id': snapshotId,
              'sequence-number': 1,
              'timestamp-ms': Date.now(),
              'manifest-list': location,
              summary: { operation: 'append' },
              'schema-id': 0,
            },
          },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId },
        ],
      })
      expect(withSnapshot.metadata['current-snapshot-id']).toBe(snapshotId)
      expect((await catalog.loadTable(id)).metadata['current-snapshot-id']).toBe(snapshotId)
      const stale = catalog.commitTable(id, {
        requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
        updates: [{ action: 'set-properties', updates: { x: 'y' } }],
      })
      await expect(stale).rejects.toBeInstanceOf(CommitConflictError)
    })

    test('drop table and namespace', async () => {
      const catalog = make()
      await catalog.dropTable({ namespace: ns, name: 't1' })
      expect(await catalog.tableExists({ namespace: ns, name: 't1' })).toBe(false)
      await catalog.dropNamespace(ns)
      expect((await catalog.listNamespaces()).map((n) => n.join('.'))).not.toContain(ns[0]!)
    })
  })
}

const embeddedDir = mkdtempSync(join(tmpdir(), 'catalog-contract-'))
dirs.push(embeddedDir)
const embedded = createSqliteCatalog({
  path: join(embeddedDir, 'catalog.db'),
  warehouse: `file://${embeddedDir}/warehouse`,
  io: createFileIO([createFsStore(join(embeddedDir, 'warehouse'))]),
})
catalogSuite('embedded', () => embedded)
catalogSuite('REST', () => createRestCatalog({ uri: stackEnv().restUri }))
