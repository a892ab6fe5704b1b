/**
 * The upsert services over this toolkit's own parts (edge-safe): the row-delta commit of
 * transaction/row-delta.ts (one manifest reader per table, so its immutable manifests stay cached
 * across commits), the table reader over the scan planner, and index files in an ObjectStore.
 */
import type { ManifestReader } from '../maintenance/manifest-reader.ts'
import { createManifestReader } from '../maintenance/manifest-reader.ts'
import type { ParquetCompressors } from '../parquet/data-file.ts'
import type { Decompressors } from '../parquet/read.ts'
import { tableName } from '../iceberg/table-identifier.ts'
import type { FileIO } from '../storage/file-io.ts'
import type { ObjectStore } from '../storage/object-store.ts'
import { commitRowDelta } from '../transaction/row-delta.ts'
import { keyIndexStore } from './key-index-store.ts'
import { tableFiles } from './table-files.ts'
import type { UpsertServices } from './upsert-pipeline.ts'

export interface UpsertServiceOptions {
  compressors?: ParquetCompressors
  /** For reading data and delete files the worker wrote with zstd. */
  decompressors?: Decompressors
  /** Where key indexes are kept between runs (the worker: an fs store on `<dataDir>/upsert-index`); none: rebuilt every start. */
  indexStore?: ObjectStore
  persistEveryMs?: number
}

export function upsertServices(io: FileIO, options: UpsertServiceOptions = {}): UpsertServices {
  const readers = new Map<string, ManifestReader>()
  const { indexStore } = options
  return {
    rowDelta: (context, request) => {
      const name = tableName(context.table.identifier)
      let manifestReader = readers.get(name)
      if (!manifestReader) readers.set(name, (manifestReader = createManifestReader(io)))
      return commitRowDelta(
        {
          ...context,
          manifestReader,
          ...(options.compressors ? { compressors: options.compressors } : {}),
          ...(options.decompressors ? { decompressors: options.decompressors } : {}),
        },
        request,
      )
    },
    files: tableFiles(io, options.decompressors),
    ...(indexStore ? { store: (name: string) => keyIndexStore(indexStore, name) } : {}),
    ...(options.persistEveryMs !== undefined ? { persistEveryMs: options.persistEveryMs } : {}),
  }
}
