/**
 * The ingest app's deps for runtimes without a disk (workerd): every request is written straight to Iceberg as
 * one append (Parquet to S3, commit through the REST catalog) before it is acknowledged. No WAL, no buffering
 * across requests: at-least-once, one commit per request — the low-volume edge mode (docs/runtimes.md).
 */
import type { Catalog } from '../../catalog/catalog.ts'
import type { TableConfig } from '../../config/schema.ts'
import { currentSchema } from '../../iceberg/table-metadata.ts'
import type { Row, TableIdentifier } from '../../iceberg/types.ts'
import type { ParquetCompression } from '../../parquet/data-file.ts'
import { deadLetterRow } from '../../pipeline/dead-letters.ts'
import { deadLetterTableCreate, deadLetterTableIdentifier, loadOrCreateTable } from '../../pipeline/table-set.ts'
import { createRecordCoercer, type RecordCoercer } from '../../records/coerce.ts'
import type { IngestAppDeps } from '../../sources/http/deps.ts'
import { createMetricsRegistry } from '../../sources/http/metrics.ts'
import type { FileIO } from '../../storage/file-io.ts'
import type { CreateTableOptions, Table } from '../../table/table.ts'

/** Snapshot-summary key holding the request's Idempotency-Key, so a retried request is found in the table itself. */
export const IDEMPOTENCY_SUMMARY_KEY = 'ingest.idempotency-key'

export interface DirectAppendOptions {
  catalog: Catalog
  io: FileIO
  /** The tables the endpoint serves; created on first use when missing, like the WAL-backed worker does. */
  tables: readonly TableConfig[]
  /** Undefined: the table's `write.parquet.compression-codec`, snappy when it asks for zstd (no zstd on the edge). */
  compression?: ParquetCompression
  log: (line: string) => void
}

interface OpenTable {
  table: Table
  coerce: RecordCoercer
}

const dotted = (id: TableIdentifier) => [...id.namespace, id.name].join('.')

export type DirectAppendDeps = Pick<IngestAppDeps, 'tables' | 'accept' | 'deadLetter' | 'health' | 'metrics'>

export function createDirectAppendDeps(options: DirectAppendOptions): DirectAppendDeps {
  const configs = new Map(options.tables.filter((table) => table.http !== false).map((table) => [table.name, table]))
  // Per isolate: table handles keep the metadata of our last commit, so a lone writer never commits on a stale base.
  // Only opened handles are shared, never an open in flight: on workerd a promise that waits on another request's
  // I/O never settles once that request is cancelled.
  const open = new Map<string, OpenTable>()
  const tableOptions = { catalog: options.catalog, io: options.io, compression: options.compression, log: options.log }

  const registry = createMetricsRegistry()
  const accepted = registry.counter({ name: 'ingest_records_accepted_total', help: 'Records committed to Iceberg by this isolate', labelNames: ['source'] })
  const rejected = registry.counter({ name: 'ingest_records_rejected_total', help: 'Records sent to dead letters by this isolate', labelNames: ['source'] })
  const commits = registry.counter({ name: 'ingest_commits_total', help: 'Iceberg commits by this isolate', labelNames: ['table'] })
  const failures = registry.counter({ name: 'ingest_commit_failures_total', help: 'Requests whose append failed (the client gets 5xx and retries)', labelNames: ['table'] })

  async function ensure(identifier: TableIdentifier, create: CreateTableOptions): Promise<OpenTable> {
    const table = await loadOrCreateTable(tableOptions, identifier, create, options.log)
    return { table, coerce: createRecordCoercer(currentSchema(table.current().metadata)) }
  }

  async function openTable(identifier: TableIdentifier, create: () => CreateTableOptions): Promise<OpenTable> {
    const key = dotted(identifier)
    const cached = open.get(key)
    if (cached !== undefined) return cached
    // Concurrent first requests each open the table; the first handle stored wins, the others are dropped.
    const opened = await ensure(identifier, create())
    if (!open.has(key)) open.set(key, opened)
    return open.get(key)!
  }

  const mainTable = (identifier: TableIdentifier, config: TableConfig): Promise<OpenTable> =>
    openTable(identifier, () => ({
      schema: config.resolved.schema,
      properties: config.properties,
      ...(config.resolved.partitionSpec ? { partitionSpec: config.resolved.partitionSpec } : {}),
    }))
  /** The configured table an (already admitted) request addresses. */
  const admitted = (identifier: TableIdentifier): Promise<OpenTable> => mainTable(identifier, configs.get(dotted(identifier))!)
  const deadLetterTable = (identifier: TableIdentifier) => openTable(deadLetterTableIdentifier(identifier), deadLetterTableCreate)

  /** Whether a snapshot of the table (as freshly loaded) carries `key`: a retry of a request that already landed. */
  async function landed(table: Table, key: string | undefined): Promise<boolean> {
    if (key === undefined) return false
    // Reload: the retry may reach another isolate than the one that committed.
    await table.refresh()
    return table.snapshots().some((snapshot) => snapshot.summary[IDEMPOTENCY_SUMMARY_KEY] === key)
  }

  async function append(table: Table, rows: Row[], key: string | undefined): Promise<void> {
    const label = { table: dotted(table.identifier) }
    try {
      const result = await table.append(rows, key === undefined ? {} : { summary: { [IDEMPOTENCY_SUMMARY_KEY]: key } })
      commits.inc(label)
      options.log(`table ${label.table}: committed ${rows.length} rows as snapshot ${result.snapshot['snapshot-id']} (${result.attempts} attempt(s))`)
    } catch (error) {
      failures.inc(label)
      throw error
    }
  }

  return {
    async tables(namespace, name) {
      const config = configs.get(dotted({ namespace, name }))
      if (config === undefined || config.http === false) return undefined
      const { coerce } = await mainTable({ namespace, name }, config)
      return { coerce, ...(config.http.tokens.length > 0 ? { tokens: config.http.tokens } : {}) }
    },
    async accept(input) {
      const { table } = await admitted(input.table)
      if (await landed(table, input.idempotencyKey)) return { duplicate: true, response: input.response }
      await append(table, input.rows, input.idempotencyKey)
      accepted.inc({ source: 'http' }, input.rows.length)
      return { duplicate: false }
    },
    async deadLetter(input) {
      const { table } = await deadLetterTable(input.table)
      if (await landed(table, input.idempotencyKey)) return
      const receivedAtMs = Date.now()
      const rows = input.records.map((record) => deadLetterRow({ source: 'http', receivedAtMs, error: record.reason, raw: record.raw, recordIndex: record.index }))
      await append(table, rows, input.idempotencyKey)
      rejected.inc({ source: 'http' }, rows.length)
    },
    // Nothing is held between requests, so there is nothing to be unhealthy about here; commit failures are 5xx.
    health: () => ({ ready: true, reasons: [] }),
    metrics: () => registry.render(),
  }
}
