/**
 * Config → the concrete catalog, FileIO and WAL the worker runs on (HOST-ONLY: local disk,
 * bun:sqlite). The embedded default needs no services: SQLite catalog + warehouse under dataDir.
 */
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Catalog } from '../catalog/catalog.ts'
import { createSqliteCatalog } from '../catalog/embedded/sqlite-catalog.ts'
import type { Config } from '../config/schema.ts'
import { restCatalogFor, s3StoresFor, type RemoteCallObserver } from '../config/remote.ts'
import { createFileIO, type FileIO } from '../storage/file-io.ts'
import { createFsStore } from '../storage/fs.ts'
import { withRecentManifestLists } from '../storage/recent-manifest-lists.ts'
import { embeddedLocations } from './catalog-binding.ts'
import { openWalLog, type WalLogOptions, type WorkerLog } from './wal-log.ts'

export interface WorkerResources {
  catalog: Catalog
  io: FileIO
  log: WorkerLog
  close(): Promise<void>
}

export function createFileIOFor(config: Config, localRoots: string[], observer?: RemoteCallObserver): FileIO {
  const stores = localRoots.map((dir) => {
    mkdirSync(dir, { recursive: true })
    return createFsStore(dir)
  })
  return createFileIO(stores, s3StoresFor(config, observer))
}

export interface CatalogAccess {
  catalog: Catalog
  io: FileIO
  close(): void
}

/**
 * The catalog and FileIO for `config`, without the WAL — what the worker writes through, and what
 * commands (tables, query, maintain) open beside a running worker. Embedded: SQLite file +
 * warehouse under dataDir; REST: the URI with its auth. `observer` hears of retried and failed S3 and catalog calls.
 */
export function openCatalog(config: Config, observer?: RemoteCallObserver): CatalogAccess {
  if (config.catalog.type === 'rest') {
    const rest = config.catalog
    return {
      catalog: restCatalogFor(rest, observer),
      io: createFileIOFor(config, [], observer),
      close() {},
    }
  }
  mkdirSync(resolve(config.dataDir), { recursive: true })
  const { sqlitePath, warehouse } = embeddedLocations({ ...config, catalog: config.catalog })
  const io = createFileIOFor(config, warehouse.startsWith('file://') ? [new URL(warehouse).pathname] : [], observer)
  const catalog = createSqliteCatalog({ path: sqlitePath, catalogName: config.catalog.name, warehouse, io })
  return { catalog, io, close: () => catalog.close() }
}

/** The WAL first: its lock keeps a second worker on the same data dir from opening anything else. */
export async function openResources(
  config: Config,
  log: (line: string) => void,
  walOptions: WalLogOptions,
  observer?: RemoteCallObserver,
): Promise<WorkerResources> {
  const recordLog = await openWalLog(config, resolve(config.dataDir), log, walOptions)
  let access: CatalogAccess
  try {
    access = openCatalog(config, observer)
  } catch (error) {
    await recordLog.close()
    throw error
  }
  const { catalog, close } = access
  return {
    catalog,
    // The worker's commits read back the manifest list of the snapshot it committed just before: from memory.
    io: withRecentManifestLists(access.io),
    log: recordLog,
    async close() {
      await recordLog.close()
      close()
    },
  }
}
