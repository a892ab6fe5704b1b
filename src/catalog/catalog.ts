/**
 * The catalog port: the part of the Iceberg REST catalog API the toolkit uses. Implemented
 * by the REST client (`rest/`) and the embedded SQLite catalog (`embedded/`), and checked
 * by one contract suite against both.
 */
import type { TableRequirement } from '../iceberg/requirements.ts'
import type { CreateTableRequest } from '../iceberg/table-metadata.ts'
import type { TableIdentifier, TableMetadata } from '../iceberg/types.ts'
import type { TableUpdate } from '../iceberg/updates.ts'

// Part of the port's signature, so the port's users keep importing it from here.
export type { CreateTableRequest }

export type Namespace = string[]

export interface LoadedTable {
  identifier: TableIdentifier
  metadataLocation: string
  metadata: TableMetadata
  /** Table-level config from the catalog (e.g. vended `s3.*` credentials). */
  config: Record<string, string>
}

export interface CommitTableRequest {
  requirements: TableRequirement[]
  updates: TableUpdate[]
}

export interface Catalog {
  /** A short name for logs, e.g. `rest:http://127.0.0.1:8181` or `embedded:/data/catalog.db`. */
  readonly name: string
  listNamespaces(parent?: Namespace): Promise<Namespace[]>
  /** Throws AlreadyExistsError. */
  createNamespace(namespace: Namespace, properties?: Record<string, string>): Promise<void>
  /** Throws NoSuchEntityError. */
  loadNamespaceProperties(namespace: Namespace): Promise<Record<string, string>>
  dropNamespace(namespace: Namespace): Promise<void>
  listTables(namespace: Namespace): Promise<TableIdentifier[]>
  /** Throws AlreadyExistsError, NoSuchEntityError (namespace). */
  createTable(namespace: Namespace, request: CreateTableRequest): Promise<LoadedTable>
  /** Throws NoSuchEntityError. */
  loadTable(identifier: TableIdentifier): Promise<LoadedTable>
  tableExists(identifier: TableIdentifier): Promise<boolean>
  /**
   * Atomically checks `requirements` and applies `updates`.
   * Throws CommitConflictError (a requirement failed: reload and retry) or
   * CommitStateUnknownError (no definite answer: never delete the commit's files).
   */
  commitTable(identifier: TableIdentifier, request: CommitTableRequest): Promise<LoadedTable>
  /** `purge` also deletes the table's files where the catalog supports it. */
  dropTable(identifier: TableIdentifier, options?: { purge?: boolean }): Promise<void>
}
