/**
 * The embedded catalog: Iceberg's JDBC catalog layout in a SQLite file (bun:sqlite), metadata JSON
 * on a FileIO. PyIceberg's SqlCatalog and Java's JdbcCatalog can open the same file.
 * A commit is a compare-and-swap: `UPDATE ... WHERE metadata_location = <the one we read>`.
 */
import { Database } from 'bun:sqlite'
import { AlreadyExistsError, CommitConflictError, NoSuchEntityError } from '../../errors.ts'
import { parseJson, stringifyJson } from '../../iceberg/serde/json.ts'
import { tableMetadataFromJson, tableMetadataToJson } from '../../iceberg/serde/table-metadata.ts'
import { applyUpdates, checkRequirements, newTableMetadata, withMetadataLog } from '../../iceberg/table-metadata.ts'
import type { TableIdentifier, TableMetadata } from '../../iceberg/types.ts'
import type { FileIO } from '../../storage/file-io.ts'
import type { Catalog, CommitTableRequest, CreateTableRequest, LoadedTable, Namespace } from '../catalog.ts'
import { tableName } from '../../iceberg/table-identifier.ts'

export interface SqliteCatalogOptions {
  /** Path of the SQLite file (created when absent). */
  path: string
  /** The JDBC layout's `catalog_name` column; PyIceberg's `SqlCatalog(name, ...)` must use the same. */
  catalogName?: string
  /** Root URI under which tables get their default location, e.g. `file:///srv/warehouse` or `s3://bucket/wh`. */
  warehouse: string
  io: FileIO
  now?: () => number
}

interface TableRow {
  metadata_location: string
  previous_metadata_location: string | null
}

// Java's JdbcCatalog schema (V1 adds iceberg_type); PyIceberg creates the same tables without it and ignores extra columns.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS iceberg_tables (
  catalog_name VARCHAR(255) NOT NULL,
  table_namespace VARCHAR(255) NOT NULL,
  table_name VARCHAR(255) NOT NULL,
  metadata_location VARCHAR(1000),
  previous_metadata_location VARCHAR(1000),
  iceberg_type VARCHAR(5),
  PRIMARY KEY (catalog_name, table_namespace, table_name)
);
CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
  catalog_name VARCHAR(255) NOT NULL,
  namespace VARCHAR(255) NOT NULL,
  property_key VARCHAR(255) NOT NULL,
  property_value VARCHAR(1000),
  PRIMARY KEY (catalog_name, namespace, property_key)
);`

/** `00001-<uuid>.metadata.json`: the version number Java and PyIceberg use, so listings sort by version. */
function nextMetadataLocation(tableLocation: string, previous: string | undefined): string {
  const version = previous ? Number(/(\d+)-[^/]*\.metadata\.json$/.exec(previous)?.[1] ?? -1) + 1 : 0
  return `${tableLocation.replace(/\/+$/, '')}/metadata/${String(version).padStart(5, '0')}-${crypto.randomUUID()}.metadata.json`
}

export function createSqliteCatalog(options: SqliteCatalogOptions): Catalog & { close(): void } {
  const db = new Database(options.path, { create: true })
  // busy_timeout first: switching a fresh file to WAL takes a lock, and another process (a CLI beside the
  // worker, or several at once) opening the same file would otherwise fail at once with "database is locked".
  db.exec('PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;')
  db.exec(SCHEMA)
  const catalogName = options.catalogName ?? 'default'
  const now = options.now ?? Date.now
  const io = options.io
  const nsKey = (namespace: Namespace) => namespace.join('.')

  const selectTable = db.query<TableRow, [string, string, string]>(
    'SELECT metadata_location, previous_metadata_location FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?',
  )
  const namespaceExists = (namespace: Namespace): boolean => {
    const key = nsKey(namespace)
    const hit =
      db.query('SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ? LIMIT 1').get(catalogName, key) ??
      db.query('SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? LIMIT 1').get(catalogName, key)
    return hit !== null
  }
  const readMetadata = async (location: string): Promise<TableMetadata> =>
    tableMetadataFromJson(parseJson(new TextDecoder().decode(await io.read(location))))
  const writeMetadata = async (location: string, metadata: TableMetadata) =>
    io.write(location, new TextEncoder().encode(stringifyJson(tableMetadataToJson(metadata), 2)), { contentType: 'application/json' })

  const loadTable = async (identifier: TableIdentifier): Promise<LoadedTable> => {
    const row = selectTable.get(catalogName, nsKey(identifier.namespace), identifier.name)
    if (!row) throw new NoSuchEntityError('table', tableName(identifier))
    return { identifier, metadataLocation: row.metadata_location, metadata: await readMetadata(row.metadata_location), config: {} }
  }

  return {
    name: `embedded:${options.path}`,

    async listNamespaces(parent = []) {
      const rows = db
        .query<{ namespace: string }, [string, string]>(
          'SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = ? UNION SELECT table_namespace FROM iceberg_tables WHERE catalog_name = ?',
        )
        .all(catalogName, catalogName)
      const depth = parent.length + 1
      const seen = new Set<string>()
      const result: Namespace[] = []
      for (const { namespace } of rows) {
        const parts = namespace.split('.')
        if (parts.length < depth || parent.some((p, i) => parts[i] !== p)) continue
        const child = parts.slice(0, depth)
        if (!seen.has(child.join('.'))) {
          seen.add(child.join('.'))
          result.push(child)
        }
      }
      return result
    },

    async createNamespace(namespace, properties = {}) {
      if (namespaceExists(namespace)) throw new AlreadyExistsError('namespace', nsKey(namespace))
      const insert = db.query('INSERT INTO iceberg_namespace_properties VALUES (?, ?, ?, ?)')
      db.transaction(() => {
        // PyIceberg marks an empty namespace with exists=true; keep that so it sees ours.
        for (const [key, value] of Object.entries({ exists: 'true', ...properties })) insert.run(catalogName, nsKey(namespace), key, value)
      })()
    },

    async loadNamespaceProperties(namespace) {
      if (!namespaceExists(namespace)) throw new NoSuchEntityError('namespace', nsKey(namespace))
      const rows = db
        .query<{ property_key: string; property_value: string }, [string, string]>(
          'SELECT property_key, property_value FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?',
        )
        .all(catalogName, nsKey(namespace))
      return Object.fromEntries(rows.map((r) => [r.property_key, r.property_value]))
    },

    async dropNamespace(namespace) {
      if (!namespaceExists(namespace)) throw new NoSuchEntityError('namespace', nsKey(namespace))
      db.query('DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?').run(catalogName, nsKey(namespace))
    },

    async listTables(namespace) {
      if (!namespaceExists(namespace)) throw new NoSuchEntityError('namespace', nsKey(namespace))
      return db
        .query<{ table_name: string }, [string, string]>('SELECT table_name FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? ORDER BY table_name')
        .all(catalogName, nsKey(namespace))
        .map((row) => ({ namespace, name: row.table_name }))
    },

    async createTable(namespace, request: CreateTableRequest) {
      const identifier = { namespace, name: request.name }
      if (!namespaceExists(namespace)) throw new NoSuchEntityError('namespace', nsKey(namespace))
      if (selectTable.get(catalogName, nsKey(namespace), request.name)) throw new AlreadyExistsError('table', tableName(identifier))
      const location = request.location ?? `${options.warehouse.replace(/\/+$/, '')}/${namespace.join('/')}/${request.name}`
      const metadata = newTableMetadata(request, { location, tableUuid: crypto.randomUUID(), nowMs: now() })
      const metadataLocation = nextMetadataLocation(location, undefined)
      await writeMetadata(metadataLocation, metadata)
      try {
        db.query('INSERT INTO iceberg_tables VALUES (?, ?, ?, ?, NULL, ?)').run(catalogName, nsKey(namespace), request.name, metadataLocation, 'TABLE')
      } catch (cause) {
        await io.delete(metadataLocation)
        throw new AlreadyExistsError('table', tableName(identifier), { cause })
      }
      return { identifier, metadataLocation, metadata, config: {} }
    },

    loadTable,

    async tableExists(identifier) {
      return selectTable.get(catalogName, nsKey(identifier.namespace), identifier.name) !== null
    },

    async commitTable(identifier, request: CommitTableRequest) {
      const current = await loadTable(identifier)
      checkRequirements(current.metadata, request.requirements)
      const nowMs = now()
      const updated = withMetadataLog(applyUpdates(current.metadata, request.updates, nowMs), current.metadataLocation, current.metadata['last-updated-ms'])
      const metadataLocation = nextMetadataLocation(updated.location, current.metadataLocation)
      await writeMetadata(metadataLocation, updated)
      const result = db
        .query(
          'UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?',
        )
        .run(metadataLocation, current.metadataLocation, catalogName, nsKey(identifier.namespace), identifier.name, current.metadataLocation)
      if (result.changes === 0) {
        // Someone committed between our read and our swap: our metadata file is unreferenced, so deleting it is safe.
        await io.delete(metadataLocation)
        throw new CommitConflictError(`table ${tableName(identifier)} changed during commit (expected metadata ${current.metadataLocation})`)
      }
      return { identifier, metadataLocation, metadata: updated, config: {} }
    },

    async dropTable(identifier, dropOptions = {}) {
      const table = await loadTable(identifier)
      db.query('DELETE FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?').run(
        catalogName,
        nsKey(identifier.namespace),
        identifier.name,
      )
      if (dropOptions.purge) {
        for await (const object of io.list(`${table.metadata.location.replace(/\/+$/, '')}/`)) await io.delete(object.location)
      }
    },

    close() {
      db.close()
    },
  }
}
