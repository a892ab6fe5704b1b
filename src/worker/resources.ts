/**
 * Config → the concrete catalog, FileIO and WAL the worker runs on (HOST-ONLY: local disk,
 * bun:sqlite). The embedded default needs no services: SQLite catalog + warehouse under dataDir.
 */
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Catalog } from '../catalog/catalog.ts'
import { createSqliteCatalog } from '../catalog/embedded/sqlite-catalog.ts'
import type { Config } from '../config/schema.ts'
import type { Env } from '../config/config.ts'
import { restCatalogFor, s3StoresFor } from '../config/remote.ts'
import { createFileIO, type FileIO } from '../storage/file-io.ts'
import { createFsStore } from '../storage/fs.ts'
import type { RecordLog } from '../pipeline/record-log.ts'
import { openWalLog } from './wal-log.ts'

export interface WorkerResources {
  catalog: Catalog
  io: FileIO
  log: RecordLog & { close(): Promise<void> }
  close(): Promise<void>
}

/** `file:///abs/dir` for a directory, the URI itself for `file://` and `s3://` warehouses. */
export function warehouseUri(warehouse: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(warehouse)) return warehouse.replace(/\/+$/, '')
  return pathToFileURL(resolve(warehouse)).href.replace(/\/+$/, '')
}

export function createFileIOFor(config: Config, env: Env, localRoots: string[]): FileIO {
  const stores = localRoots.map((dir) => {
    mkdirSync(dir, { recursive: true })
    return createFsStore(dir)
  })
  return createFileIO(stores, s3StoresFor(config, env))
}

export interface CatalogAccess {
  catalog: Catalog
  io: FileIO
  close(): void
}

/**
 * The catalog and FileIO for `config`, without the WAL — what the worker writes through, and what
 * commands (tables, query, maintain) open beside a running worker. Embedded: SQLite file +
 * warehouse under dataDir; REST: the URI with its auth.
 */
export function openCatalog(config: Config, env: Env): CatalogAccess {
  if (config.catalog.type === 'rest') {
    const rest = config.catalog
    return {
      catalog: restCatalogFor(rest),
      io: createFileIOFor(config, env, []),
      close() {},
    }
  }
  const dataDir = resolve(config.dataDir)
  mkdirSync(dataDir, { recursive: true })
  const warehouse = warehouseUri(config.catalog.warehouse ?? join(dataDir, 'warehouse'))
  const io = createFileIOFor(config, env, warehouse.startsWith('file://') ? [new URL(warehouse).pathname] : [])
  const catalog = createSqliteCatalog({ path: resolve(config.catalog.path ?? join(dataDir, 'catalog.db')), catalogName: config.catalog.name, warehouse, io })
  return { catalog, io, close: () => catalog.close() }
}

export async function openResources(config: Config, env: Env, log: (line: string) => void): Promise<WorkerResources> {
  const { catalog, io, close } = openCatalog(config, env)
  const recordLog = await openWalLog(config, resolve(config.dataDir), log)
  return {
    catalog,
    io,
    log: recordLog,
    async close() {
      await recordLog.close()
      close()
    },
  }
}
