/**
 * Rows → Parquet data files on the table's FileIO: split by partition, then by the target file
 * size, named from a caller-chosen stem so a replay of the same batch writes the same keys.
 */
import { partitionPath } from '../iceberg/transforms.ts'
import { currentSchema, defaultSpec } from '../iceberg/table-metadata.ts'
import type { DataFile, Row, TableMetadata } from '../iceberg/types.ts'
import type { ParquetCompression, ParquetCompressors } from '../parquet/data-file.ts'
import type { FileIO } from '../storage/file-io.ts'
import type { RowColumns } from './row-columns.ts'
import { encodeBatch, type BatchEncoder } from './encode-batch.ts'
import { mapConcurrent } from '../async/map-concurrent.ts'

export interface WriteDataFilesInput {
  io: FileIO
  metadata: TableMetadata
  /** Row objects, or a batch's columns (row-columns.ts) keyed by the table's current schema. */
  rows: Row[] | RowColumns
  /** Unique per batch, e.g. `wal-00000000000000000042-00000000000000001041` or a UUID. */
  fileStem: string
  compression?: ParquetCompression
  compressors?: ParquetCompressors
  /** Defaults to the table property `write.target-file-size-bytes`, else 128 MiB. */
  targetFileBytes?: number
  /** Where the Parquet encoding runs; default: this thread (`encodeBatch` with `compressors`). */
  encoder?: BatchEncoder
}

const DEFAULT_TARGET_FILE_BYTES = 128 * 1024 * 1024

/**
 * The table's `write.parquet.compression-codec` (Java's REST server sets zstd on every table).
 * zstd needs a host compressor (Bun has one, edge runtimes do not); without it the file is
 * written with snappy, which every reader handles — a table property is a preference, not a contract.
 */
export function compressionFor(properties: Record<string, string>, compressors: ParquetCompressors | undefined): ParquetCompression {
  const codec = properties['write.parquet.compression-codec']?.toLowerCase()
  if (codec === 'zstd') return compressors?.zstd ? 'zstd' : 'snappy'
  if (codec === 'uncompressed' || codec === 'none') return 'uncompressed'
  return 'snappy'
}

/** The data directory: `write.data.path` when set, else `<location>/data`. */
export function dataLocation(metadata: TableMetadata): string {
  return (metadata.properties['write.data.path'] ?? `${metadata.location.replace(/\/+$/, '')}/data`).replace(/\/+$/, '')
}

/** Data files written at once: enough to overlap S3 round trips, few enough not to flood a small store. */
const WRITE_CONCURRENCY = 8

/** Writes the files and returns their DataFile entries (partition tuple, metrics, size). */
export async function writeDataFiles(input: WriteDataFilesInput): Promise<DataFile[]> {
  const { metadata } = input
  const schema = currentSchema(metadata)
  const spec = defaultSpec(metadata)
  const targetBytes =
    input.targetFileBytes ?? (Number(metadata.properties['write.target-file-size-bytes']) || DEFAULT_TARGET_FILE_BYTES)
  const compression = input.compression ?? compressionFor(metadata.properties, input.compressors)

  const encode: BatchEncoder = input.encoder ?? ((batch) => encodeBatch(batch, input.compressors))
  const encoded = await encode({ schema, spec, rows: input.rows, compression, targetFileBytes: targetBytes })

  const base = dataLocation(metadata)
  const written: { dataFile: DataFile; bytes: Uint8Array }[] = []
  for (const { partition, files } of encoded) {
    const directory = spec.fields.length ? `${base}/${partitionPath(spec, schema, partition)}` : base
    for (const [fileIndex, { bytes, metrics }] of files.entries()) {
      const location = `${directory}/${input.fileStem}-${String(fileIndex).padStart(5, '0')}.parquet`
      written.push({ dataFile: { content: 0, 'file-path': location, 'file-format': 'PARQUET', partition, ...metrics }, bytes })
    }
  }
  // Concurrently: each write is a turn of the event loop, and on a busy intake thread (a Kafka fetch
  // parsed in one turn) ten partitions' files one after another held a commit up for over a second.
  await mapConcurrent(written, WRITE_CONCURRENCY, ({ dataFile, bytes }) => input.io.write(dataFile['file-path'], bytes))
  return written.map(({ dataFile }) => dataFile)
}
