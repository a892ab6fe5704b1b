/**
 * Which catalog and warehouse a config writes to, resolved as the worker opens them (HOST-ONLY:
 * paths are made absolute). The WAL records it (wal-log.ts) so that records acknowledged for one
 * catalog are never replayed into another.
 */
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Config } from '../config/schema.ts'

export interface CatalogBinding {
  /** `embedded <sqlite path> (catalog <name>)` or `rest <uri>`. */
  catalog: string
  /** The warehouse URI, or `(the catalog's default)` for a REST catalog that names none. */
  warehouse: string
}

/** `file:///abs/dir` for a directory, the URI itself for `file://` and `s3://` warehouses. */
export function warehouseUri(warehouse: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(warehouse)) return warehouse.replace(/\/+$/, '')
  return pathToFileURL(resolve(warehouse)).href.replace(/\/+$/, '')
}

/** Where the embedded catalog keeps its SQLite file and warehouse: the config's, else under dataDir. */
export function embeddedLocations(config: Config & { catalog: { type: 'embedded' } }): { sqlitePath: string; warehouse: string } {
  const dataDir = resolve(config.dataDir)
  return {
    sqlitePath: resolve(config.catalog.path ?? join(dataDir, 'catalog.db')),
    warehouse: warehouseUri(config.catalog.warehouse ?? join(dataDir, 'warehouse')),
  }
}

export function catalogBinding(config: Config): CatalogBinding {
  const catalog = config.catalog
  if (catalog.type === 'rest') return { catalog: `rest ${catalog.uri.replace(/\/+$/, '')}`, warehouse: catalog.warehouse ?? "(the catalog's default)" }
  const { sqlitePath, warehouse } = embeddedLocations({ ...config, catalog })
  return { catalog: `embedded ${sqlitePath} (catalog ${catalog.name})`, warehouse }
}

export const describeBinding = (binding: CatalogBinding) => `${binding.catalog}, warehouse ${binding.warehouse}`
