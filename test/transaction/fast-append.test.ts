/**
 * The commit loop's three outcomes, on the real embedded catalog (SQLite) with an in-memory store.
 * Failures are injected around the catalog: a lost response after a real commit, a 5xx before one.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Catalog } from '../../src/catalog/catalog.ts'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { CommitStateUnknownError } from '../../src/errors.ts'
import { decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createMemoryStore } from '../../src/storage/memory.ts'
import { createTable, loadTable } from '../../src/table/table.ts'

const schema = parseSchemaDsl('id long not null, sensor_id string, reading double')
const spec = parsePartitionDsl('sensor_id', schema)
const rows = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: BigInt(from + i), sensor_id: `s${(from + i) % 3}`, reading: (from + i) / 2 }))

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

function setup() {
  const io = createFileIO([createMemoryStore('memory://wh')])
  const dir = mkdtempSync(join(tmpdir(), 'fast-append-'))
  dirs.push(dir)
  const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: 'memory://wh', io })
  return { io, catalog }
}

/** Counts data rows reachable from the table's current snapshot, reading our own manifests back. */
async function rowCount(catalog: Catalog, io: ReturnType<typeof createFileIO>, name: string): Promise<number> {
  const table = await catalog.loadTable({ namespace: ['ns'], name })
  const current = table.metadata.snapshots.find((s) => s['snapshot-id'] === table.metadata['current-snapshot-id'])
  if (!current) return 0
  let total = 0
  for (const manifest of await decodeManifestList(await io.read(current['manifest-list']))) {
    for (const entry of (await decodeManifest(await io.read(manifest['manifest-path']))).entries) total += entry['data-file']['record-count']
  }
  return total
}

describe('fastAppend', () => {
  test('a lost commit response is resolved by finding our snapshot: one snapshot, no duplicate', async () => {
    const { io, catalog } = setup()
    let lose = true
    const lossy: Catalog = {
      ...catalog,
      async commitTable(id, request) {
        const result = await catalog.commitTable(id, request)
        if (lose) {
          lose = false
          throw new CommitStateUnknownError('HTTP 504 after the catalog applied the commit')
        }
        return result
      },
    }
    await createTable({ catalog, io }, { namespace: ['ns'], name: 't' }, { schema, partitionSpec: spec, createNamespace: true })
    const table = await loadTable({ catalog: lossy, io, log: () => {} }, { namespace: ['ns'], name: 't' })
    const result = await table.append(rows(0, 30))
    expect(result.attempts).toBe(1)
    const loaded = await catalog.loadTable({ namespace: ['ns'], name: 't' })
    expect(loaded.metadata.snapshots).toHaveLength(1)
    expect(await rowCount(catalog, io, 't')).toBe(30)
  })

  test('a 5xx that did not commit is retried and lands once', async () => {
    const { io, catalog } = setup()
    let failures = 2
    const flaky: Catalog = {
      ...catalog,
      async commitTable(id, request) {
        if (failures-- > 0) throw new CommitStateUnknownError('HTTP 503 before the catalog did anything')
        return catalog.commitTable(id, request)
      },
    }
    await createTable({ catalog, io }, { namespace: ['ns'], name: 't' }, { schema, partitionSpec: spec, createNamespace: true })
    const table = await loadTable({ catalog: flaky, io }, { namespace: ['ns'], name: 't' })
    const result = await table.append(rows(0, 10))
    expect(result.attempts).toBe(3)
    expect((await catalog.loadTable({ namespace: ['ns'], name: 't' })).metadata.snapshots).toHaveLength(1)
    expect(await rowCount(catalog, io, 't')).toBe(10)
  })

  test('a conflicting append is retried on fresh metadata; both land with parents chained', async () => {
    const { io, catalog } = setup()
    await createTable({ catalog, io }, { namespace: ['ns'], name: 't' }, { schema, partitionSpec: spec, createNamespace: true })
    const a = await loadTable({ catalog, io }, { namespace: ['ns'], name: 't' })
    const b = await loadTable({ catalog, io }, { namespace: ['ns'], name: 't' })
    await a.append(rows(0, 5))
    const second = await b.append(rows(5, 7))
    expect(second.attempts).toBe(2)
    const snapshots = (await catalog.loadTable({ namespace: ['ns'], name: 't' })).metadata.snapshots
    expect(snapshots).toHaveLength(2)
    expect(snapshots[1]!['parent-snapshot-id']).toBe(snapshots[0]!['snapshot-id'])
    expect(snapshots[1]!.summary['total-records']).toBe('12')
    expect(await rowCount(catalog, io, 't')).toBe(12)
  })

  test('a stale parent whose manifest list was expired meanwhile is a conflict: reload and land once', async () => {
    const { io, catalog } = setup()
    await createTable({ catalog, io }, { namespace: ['ns'], name: 't' }, { schema, partitionSpec: spec, createNamespace: true })
    const writer = await loadTable({ catalog, io }, { namespace: ['ns'], name: 't' })
    const first = await writer.append(rows(0, 4))
    const stale = await loadTable({ catalog, io, log: () => {} }, { namespace: ['ns'], name: 't' }) // sees the first snapshot
    await writer.append(rows(4, 4))
    await io.delete(first.snapshot['manifest-list']) // as snapshot expiry does
    const result = await stale.append(rows(8, 4))
    expect(result.attempts).toBe(2)
    expect(await rowCount(catalog, io, 't')).toBe(12)
  })
})
