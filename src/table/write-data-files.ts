/**
 * Rows → Parquet data files on the table's FileIO: split by partition, then by the target file
 * size, named from a caller-chosen stem so a replay of the same batch writes the same keys.
 */
import { partitionPath, partitionValues } from '../iceberg/transforms.ts'
import { currentSchema, defaultSpec } from '../iceberg/table-metadata.ts'
import type { DataFile, IcebergValue, Row, TableMetadata } from '../iceberg/types.ts'
import { estimateRowBytes, writeDataFile, type ParquetCompression, type ParquetCompressors } from '../parquet/data-file.ts'
import type { FileIO } from '../storage/file-io.ts'

export interface WriteDataFilesInput {
  io: FileIO
  metadata: TableMetadata
  rows: Row[]
  /** Unique per batch, e.g. `wal-00000000000000000042-00000000000000001041` or a UUID. */
  fileStem: string
  compression?: ParquetCompression
  compressors?: ParquetCompressors
  /** Defaults to the table property `write.target-file-size-bytes`, else 128 MiB. */
  targetFileBytes?: number
}

const DEFAULT_TARGET_FILE_BYTES = 128 * 1024 * 1024

function partitionKey(values: IcebergValue[]): string {
  // Fast path for the common single string or number partition: this runs once per row.
  if (values.length === 1) {
    const value = values[0]
    if (typeof value === 'string') return `s${value}`
    if (typeof value === 'number') return `n${value}`
  }
  return JSON.stringify(values, (_, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Array.from(v) : v))
}

/**
 * The table's `write.parquet.compression-codec` (Java's REST server sets zstd on every table).
 * zstd needs a host compressor (Bun has one, edge runtimes do not); without it the file is
 * written with snappy, which every reader handles — a table property is a preference, not a contract.
 */
function codecFromProperty(value: string | undefined, compressors: ParquetCompressors | undefined): ParquetCompression {
  const codec = value?.toLowerCase()
  if (codec === 'zstd') return compressors?.zstd ? 'zstd' : 'snappy'
  if (codec === 'uncompressed' || codec === 'none') return 'uncompressed'
  return 'snappy'
}

/** The data directory: `write.data.path` when set, else `<location>/data`. */
export function dataLocation(metadata: TableMetadata): string {
  return (metadata.properties['write.data.path'] ?? `${metadata.location.replace(/\/+$/, '')}/data`).replace(/\/+$/, '')
}

/** Writes the files and returns their DataFile entries (partition tuple, metrics, size). */
export async function writeDataFiles(input: WriteDataFilesInput): Promise<DataFile[]> {
  const { metadata } = input
  const schema = currentSchema(metadata)
  const spec = defaultSpec(metadata)
  const targetBytes =
    input.targetFileBytes ?? (Number(metadata.properties['write.target-file-size-bytes']) || DEFAULT_TARGET_FILE_BYTES)
  const compression = input.compression ?? codecFromProperty(metadata.properties['write.parquet.compression-codec'], input.compressors)

  const groups = new Map<string, { partition: IcebergValue[]; rows: Row[] }>()
  for (const row of input.rows) {
    const partition = spec.fields.length ? partitionValues(spec, schema, row) : []
    const key = partitionKey(partition)
    let group = groups.get(key)
    if (!group) groups.set(key, (group = { partition, rows: [] }))
    group.rows.push(row)
  }

  const base = dataLocation(metadata)
  const dataFiles: DataFile[] = []
  for (const { partition, rows } of groups.values()) {
    const directory = spec.fields.length ? `${base}/${partitionPath(spec, schema, partition)}` : base
    let start = 0
    let fileIndex = 0
    while (start < rows.length) {
      // Roll to a new file once the estimate reaches the target; the estimate is of uncompressed
      // bytes, so files land at or below the target, never far above.
      let end = start
      let bytes = 0
      while (end < rows.length && (end === start || bytes < targetBytes)) bytes += estimateRowBytes(schema, rows[end++]!)
      const chunk = rows.slice(start, end)
      // Encoding is synchronous CPU work: yield between files so requests arriving meanwhile (HTTP
      // acks, Kafka heartbeats) wait for one file's encoding, not the whole batch's.
      await new Promise((resolve) => setTimeout(resolve, 0))
      const { bytes: fileBytes, metrics } = writeDataFile({ schema, rows: chunk, compression, compressors: input.compressors })
      const location = `${directory}/${input.fileStem}-${String(fileIndex).padStart(5, '0')}.parquet`
      await input.io.write(location, fileBytes)
      dataFiles.push({ content: 0, 'file-path': location, 'file-format': 'PARQUET', partition, ...metrics })
      start = end
      fileIndex++
    }
  }
  return dataFiles
}
