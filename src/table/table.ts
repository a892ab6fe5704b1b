/**
 * The table API: create, load, append rows as one snapshot, list snapshots, drop.
 * A thin layer over the catalog port, the FileIO, the Parquet writer and fast append.
 */
import type { Catalog, CreateTableRequest, LoadedTable } from '../catalog/catalog.ts'
import { AlreadyExistsError } from '../errors.ts'
import type { PartitionSpec, Row, Schema, Snapshot, TableIdentifier } from '../iceberg/types.ts'
import type { ParquetCompression, ParquetCompressors } from '../parquet/data-file.ts'
import type { FileIO } from '../storage/file-io.ts'
import { fastAppend, type AppendResult } from '../transaction/fast-append.ts'
import { writeDataFiles } from './write-data-files.ts'

export interface TableOptions {
  catalog: Catalog
  io: FileIO
  compression?: ParquetCompression
  compressors?: ParquetCompressors
  log?: (line: string) => void
}

export interface AppendOptions {
  /** File name stem; a UUID when omitted. Deterministic stems make replays write the same keys. */
  fileStem?: string
  summary?: Record<string, string>
}

export interface Table {
  readonly identifier: TableIdentifier
  /** The metadata as last loaded or committed. */
  current(): LoadedTable
  refresh(): Promise<LoadedTable>
  /** Writes `rows` as Parquet (split by partition) and commits them as one append snapshot. */
  append(rows: Row[], options?: AppendOptions): Promise<AppendResult>
  /** Snapshots oldest first. */
  snapshots(): Snapshot[]
}

function tableHandle(options: TableOptions, loaded: LoadedTable): Table {
  let table = loaded
  return {
    identifier: loaded.identifier,
    current: () => table,
    async refresh() {
      table = await options.catalog.loadTable(table.identifier)
      return table
    },
    async append(rows, appendOptions = {}) {
      const dataFiles = await writeDataFiles({
        io: options.io,
        metadata: table.metadata,
        rows,
        fileStem: appendOptions.fileStem ?? crypto.randomUUID(),
        compression: options.compression,
        compressors: options.compressors,
      })
      const result = await fastAppend(
        { catalog: options.catalog, io: options.io, table, log: options.log },
        { dataFiles, summary: () => appendOptions.summary ?? {} },
      )
      table = result.table
      return result
    },
    snapshots: () => [...table.metadata.snapshots].sort((a, b) => a['sequence-number'] - b['sequence-number']),
  }
}

export interface CreateTableOptions {
  schema: Schema
  partitionSpec?: PartitionSpec
  properties?: Record<string, string>
  location?: string
  /** Create the namespace when it does not exist. */
  createNamespace?: boolean
}

/** Throws AlreadyExistsError (code ALREADY_EXISTS), NoSuchEntityError for a missing namespace. */
export async function createTable(options: TableOptions, identifier: TableIdentifier, create: CreateTableOptions): Promise<Table> {
  if (create.createNamespace) {
    const existing = await options.catalog.listNamespaces(identifier.namespace.slice(0, -1))
    if (!existing.some((ns) => ns.join('.') === identifier.namespace.join('.'))) {
      // Another writer may create it between the listing and here (two workers' first start): theirs will do.
      await options.catalog.createNamespace(identifier.namespace).catch((error: unknown) => {
        if (!(error instanceof AlreadyExistsError)) throw error
      })
    }
  }
  const request: CreateTableRequest = {
    name: identifier.name,
    schema: create.schema,
    'partition-spec': create.partitionSpec ?? { 'spec-id': 0, fields: [] },
    'write-order': { 'order-id': 0, fields: [] },
    properties: create.properties ?? {},
    ...(create.location ? { location: create.location } : {}),
  }
  return tableHandle(options, await options.catalog.createTable(identifier.namespace, request))
}

/** Throws NoSuchEntityError (code NO_SUCH_TABLE). */
export async function loadTable(options: TableOptions, identifier: TableIdentifier): Promise<Table> {
  return tableHandle(options, await options.catalog.loadTable(identifier))
}

export async function dropTable(options: Pick<TableOptions, 'catalog'>, identifier: TableIdentifier, drop: { purge?: boolean } = {}): Promise<void> {
  await options.catalog.dropTable(identifier, drop)
}
