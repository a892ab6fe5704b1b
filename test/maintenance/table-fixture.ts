/** Test fixture: an embedded catalog on an in-memory store, small appends, and an independent row reader. */
import type { Catalog } from '../../src/catalog/catalog.ts'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import type { Row, TableIdentifier } from '../../src/iceberg/types.ts'
import { createFileIO, type FileIO } from '../../src/storage/file-io.ts'
import { createMemoryStore } from '../../src/storage/memory.ts'
import { createTable, type Table } from '../../src/table/table.ts'
import { readRows } from '../parquet/read-back.ts'

export const schema = parseSchemaDsl('id long not null, sensor_id string, reading double, at timestamptz')
export const spec = parsePartitionDsl('sensor_id', schema)
export const identifier: TableIdentifier = { namespace: ['ns'], name: 't' }

export function rows(from: number, count: number, sensors = 3): Row[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k
    return { id: BigInt(i), sensor_id: `s${i % sensors}`, reading: i / 4, at: 1_767_225_600_000_000n + BigInt(i) }
  })
}

export interface Fixture {
  io: FileIO
  catalog: Catalog & { close(): void }
  table: Table
}


export async function fixture(properties: Record<string, string> = {}, partitioned = true): Promise<Fixture> {
  const io = createFileIO([createMemoryStore('memory://wh')])
  // An in-memory SQLite database, like the in-memory warehouse: nothing is left on disk.
  const catalog = createSqliteCatalog({ path: ':memory:', warehouse: 'memory://wh', io })
  const table = await createTable({ catalog, io }, identifier, { schema, ...(partitioned ? { partitionSpec: spec } : {}), properties, createNamespace: true })
  return { io, catalog, table }
}

/** `commits` appends of `perCommit` rows each (ids consecutive from 0), with an ingest marker per commit. */
export async function appendMany(f: Fixture, commits: number, perCommit: number, firstId = 0): Promise<void> {
  for (let c = 0; c < commits; c++) {
    const from = firstId + c * perCommit
    await f.table.append(rows(from, perCommit), { summary: { 'ingest.wal.w1.seq': String(from + perCommit) } })
  }
}

/** Live data file paths of a snapshot (default: current), read with the decoders directly. */
export async function liveFiles(f: Fixture, snapshotId?: bigint): Promise<string[]> {
  const metadata = (await f.catalog.loadTable(identifier)).metadata
  const id = snapshotId ?? metadata['current-snapshot-id']
  const snapshot = metadata.snapshots.find((s) => s['snapshot-id'] === id)
  if (!snapshot) return []
  const out: string[] = []
  for (const manifest of await decodeManifestList(await f.io.read(snapshot['manifest-list']))) {
    for (const entry of (await decodeManifest(await f.io.read(manifest['manifest-path']))).entries) {
      if (entry.status !== 2) out.push(entry['data-file']['file-path'])
    }
  }
  return out.sort()
}

/** Every row of a snapshot, sorted by id, read with hyparquet directly (not the code under test). */
export async function tableRows(f: Fixture, snapshotId?: bigint): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = []
  for (const path of await liveFiles(f, snapshotId)) all.push(...(await readRows(await f.io.read(path))))
  return all.sort((a, b) => (BigInt(a.id as bigint) < BigInt(b.id as bigint) ? -1 : 1))
}

/** Every object under the table location. */
export async function storedObjects(f: Fixture): Promise<string[]> {
  const location = (await f.catalog.loadTable(identifier)).metadata.location
  const out: string[] = []
  for await (const object of f.io.list(`${location}/`)) out.push(object.location)
  return out.sort()
}

/** `catalog`, but the first commit runs `race` first — another writer winning just before us. */
export function racingCatalog(catalog: Catalog, race: () => Promise<void>): Catalog {
  let raced = false
  return {
    ...catalog,
    async commitTable(...args: Parameters<Catalog['commitTable']>) {
      if (!raced) {
        raced = true
        await race()
      }
      return catalog.commitTable(...args)
    },
  }
}
