/**
 * The programmatic query API: `scanTable(table, {columns, filter, snapshot})` plans with partition and bounds pruning,
 * reads the selected Parquet files, drops the rows their deletion vectors and position deletes remove, applies the
 * filter to the rest and yields Arrow record batches (one per file).
 */
import type { RecordBatch } from 'apache-arrow'
import type { LoadedTable } from '../catalog/catalog.ts'
import { createDeleteLoader } from '../deletes/delete-loader.ts'
import type { NestedField, TableMetadata } from '../iceberg/types.ts'
import { readParquetColumns, type Decompressors } from '../parquet/read.ts'
import type { FileIO } from '../storage/file-io.ts'
import type { Table } from '../table/table.ts'
import { recordBatch } from './arrow.ts'
import { kindOfIceberg, type ResultColumn } from './columns.ts'
import { QueryError } from './errors.ts'
import { planScan, type ScanPlan } from './plan.ts'
import { holds, type Predicate } from './predicate.ts'

export interface ScanTableOptions {
  io: FileIO
  /** Top-level columns to return, in this order; default all columns of the snapshot's schema. */
  columns?: readonly string[]
  /** A conjunction of simple predicates; used to prune files and then applied to every row. */
  filter?: readonly Predicate[]
  /** Time travel: a snapshot id, or the snapshot current at a time. Default: the current snapshot. */
  snapshot?: bigint
  asOf?: Date | number
  /** Decompressors for codecs hyparquet lacks (zstd, gzip); pass `hostDecompressors` (src/adapter/bun/decompress.ts) on a Bun host. */
  compressors?: Decompressors
  /** Called once, with the plan, before the first file is read. */
  onPlan?: (plan: ScanPlan) => void
}

function metadataOf(table: Table | LoadedTable): TableMetadata {
  return 'current' in table ? table.current().metadata : table.metadata
}

/**
 * Yields the rows of `table` that match `filter`, as Arrow record batches (timestamps in µs, decimals 128-bit).
 * Files are read one at a time, the next one prefetched while the current one is decoded.
 * @throws QueryError `UNKNOWN_COLUMN`, `INVALID_FILTER`, `SNAPSHOT_NOT_FOUND`, `NO_SNAPSHOT_AS_OF`,
 *   `UNSUPPORTED_DELETES` (equality deletes), `UNSUPPORTED_TYPE` (a struct, list or map column selected),
 *   `DATA_FILE_INVALID`; DeleteError / PuffinError for a delete file that cannot be read; StorageError when a file
 *   cannot be fetched.
 */
export async function* scanTable(table: Table | LoadedTable, options: ScanTableOptions): AsyncGenerator<RecordBatch> {
  const asOfMs = options.asOf instanceof Date ? options.asOf.getTime() : options.asOf
  const plan = await planScan({
    io: options.io,
    metadata: metadataOf(table),
    ...(options.filter ? { filter: options.filter } : {}),
    ...(options.snapshot !== undefined ? { snapshotId: options.snapshot } : {}),
    ...(asOfMs !== undefined ? { asOfMs } : {}),
  })
  options.onPlan?.(plan)
  const schema = plan.schema
  const selected: NestedField[] = (options.columns ?? schema.fields.map((f) => f.name)).map((name) => {
    const field = schema.fields.find((f) => f.name === name)
    if (!field) {
      throw new QueryError('UNKNOWN_COLUMN', `no column ${JSON.stringify(name)} in the table (columns: ${schema.fields.map((f) => f.name).join(', ')})`, { context: { column: name } })
    }
    return field
  })
  const result: ResultColumn[] = selected.map((f) => ({ name: f.name, type: kindOfIceberg(f.type, f.name) }))
  // Filter columns are read even when not returned.
  const needed = [...selected]
  for (const p of plan.predicates) {
    if (!needed.some((f) => f.id === p.fieldId)) needed.push(schema.fields.find((f) => f.id === p.fieldId)!)
  }
  const files = plan.files.map((f) => f.dataFile['file-path'])
  const deletes = createDeleteLoader(options.io, options.compressors ? { decompressors: options.compressors } : {})
  const deletedOf = (i: number) => {
    const planned = plan.files[i]!
    return planned.deletes ? deletes.positions(files[i]!, planned.deletes) : Promise.resolve([])
  }
  const read = (i: number) => Promise.all([options.io.read(files[i]!), deletedOf(i)])
  let next = files.length ? read(0) : undefined
  for (let i = 0; i < files.length; i++) {
    const [bytes, deleted] = await next!
    next = i + 1 < files.length ? read(i + 1) : undefined
    next?.catch(() => {}) // surfaced when awaited; do not let an early rejection go unhandled
    const { rowCount, columns } = await readDataFile(bytes, files[i]!, needed, options.compressors)
    let keep: number[] | undefined
    if (plan.predicates.length || deleted.length) {
      keep = []
      const tests = plan.predicates.map((p) => ({ p, values: columns[needed.findIndex((f) => f.id === p.fieldId)]! }))
      // `deleted` is ascending: walk it alongside the rows.
      let d = 0
      for (let r = 0; r < rowCount; r++) {
        while (d < deleted.length && deleted[d]! < r) d++
        if (d < deleted.length && deleted[d] === r) continue
        if (tests.every(({ p, values }) => holds(p.type, p.op, p.values, values[r]))) keep.push(r)
      }
      if (keep.length === 0) continue
    }
    const out = selected.map((_, c) => (keep ? keep.map((r) => columns[c]![r]) : columns[c]!))
    yield recordBatch(result, out)
  }
}

/** @throws QueryError `DATA_FILE_INVALID` naming the file and hyparquet's reason (e.g. zstd without `compressors.ZSTD`). */
async function readDataFile(bytes: Uint8Array, path: string, fields: readonly NestedField[], decompressors?: Decompressors) {
  try {
    return await readParquetColumns(bytes, fields, decompressors ? { decompressors } : {})
  } catch (cause) {
    throw new QueryError('DATA_FILE_INVALID', `cannot read data file ${path}: ${(cause as Error).message}`, { cause, context: { path } })
  }
}
