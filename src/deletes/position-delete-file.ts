/**
 * v2 position-delete files (spec "Position Delete Files"): Parquet rows of (file_path, pos) with the reserved field ids,
 * sorted by file_path then pos, written with the shared Parquet writer and read with the shared reader. Pure.
 */
import type { DataFile, Schema } from '../iceberg/types.ts'
import { writeDataFile, type DataFileMetrics, type ParquetCompression, type ParquetCompressors } from '../parquet/data-file.ts'
import { readParquetColumns, type Decompressors } from '../parquet/read.ts'
import { DeleteError } from './errors.ts'

/** Reserved field ids (spec "Reserved Field IDs"): `file_path` and `pos` of position-delete files. */
export const DELETE_FILE_PATH_ID = 2147483546
export const DELETE_FILE_POS_ID = 2147483545

export const POSITION_DELETE_SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: DELETE_FILE_PATH_ID, name: 'file_path', required: true, type: 'string', doc: 'Path of a file in which a deleted row is stored' },
    { id: DELETE_FILE_POS_ID, name: 'pos', required: true, type: 'long', doc: 'Ordinal position of a deleted row in the data file' },
  ],
}

export interface PositionDeletes {
  /** The data file's location exactly as its manifest entry spells it. */
  dataFile: string
  /** Deleted positions, ascending and distinct. */
  positions: readonly number[]
}

/** Whether a delete file is a deletion vector (v3) rather than a position-delete or equality-delete file. */
export const isDeletionVector = (file: DataFile): boolean => file.content === 1 && file['file-format'] === 'PUFFIN'

const utf8 = new TextEncoder()
const compareUtf8 = (a: string, b: string): number => {
  const x = utf8.encode(a)
  const y = utf8.encode(b)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!
  return x.length - y.length
}

/**
 * One position-delete file for `deletes`, rows sorted by file_path (UTF-8 byte order, as Java compares) then pos. The
 * file_path bounds are the full first and last paths, not truncated, so a reader can tell which data files it covers.
 * @throws DeleteError `POSITIONS_INVALID` for no positions at all; ValidationError from the Parquet writer.
 */
export function encodePositionDeleteFile(
  deletes: readonly PositionDeletes[],
  options: { compression?: ParquetCompression; compressors?: ParquetCompressors } = {},
): { bytes: Uint8Array; metrics: DataFileMetrics } {
  const sorted = deletes.filter((d) => d.positions.length > 0).sort((a, b) => compareUtf8(a.dataFile, b.dataFile))
  if (sorted.length === 0) throw new DeleteError('POSITIONS_INVALID', 'a position-delete file needs at least one deleted position')
  const paths: string[] = []
  const positions: bigint[] = []
  for (const d of sorted) {
    for (const p of d.positions) {
      paths.push(d.dataFile)
      positions.push(BigInt(p))
    }
  }
  const written = writeDataFile({
    schema: POSITION_DELETE_SCHEMA,
    columns: { file_path: paths, pos: positions },
    rowCount: paths.length,
    ...(options.compression ? { compression: options.compression } : {}),
    ...(options.compressors ? { compressors: options.compressors } : {}),
  })
  const lower = new Map(written.metrics['lower-bounds'])
  const upper = new Map(written.metrics['upper-bounds'])
  lower.set(DELETE_FILE_PATH_ID, utf8.encode(sorted[0]!.dataFile))
  upper.set(DELETE_FILE_PATH_ID, utf8.encode(sorted.at(-1)!.dataFile))
  return { bytes: written.bytes, metrics: { ...written.metrics, 'lower-bounds': lower, 'upper-bounds': upper } }
}

/**
 * The positions a position-delete file deletes, by data file path, each ascending and distinct.
 * @throws DeleteError `DELETE_FILE_INVALID` naming the file when it cannot be decoded or lacks file_path/pos.
 */
export async function readPositionDeleteFile(bytes: Uint8Array, location: string, decompressors?: Decompressors): Promise<Map<string, number[]>> {
  let read
  try {
    read = await readParquetColumns(bytes, POSITION_DELETE_SCHEMA.fields, decompressors ? { decompressors } : {})
  } catch (cause) {
    throw new DeleteError('DELETE_FILE_INVALID', `cannot read position-delete file ${location}: ${(cause as Error).message}`, { cause, context: { location } })
  }
  const [paths, positions] = read.columns as [(string | null)[], (bigint | null)[]]
  const out = new Map<string, number[]>()
  for (let i = 0; i < read.rowCount; i++) {
    const path = paths[i]
    const pos = positions[i]
    if (typeof path !== 'string' || typeof pos !== 'bigint') {
      throw new DeleteError('DELETE_FILE_INVALID', `position-delete file ${location} row ${i} has no file_path (${DELETE_FILE_PATH_ID}) or pos (${DELETE_FILE_POS_ID})`, { context: { location } })
    }
    let list = out.get(path)
    if (!list) out.set(path, (list = []))
    list.push(Number(pos))
  }
  for (const [path, list] of out) {
    // Sorted on write by the spec, but a reader must not rely on another engine's file for correctness.
    list.sort((a, b) => a - b)
    out.set(path, list.filter((p, i) => i === 0 || p !== list[i - 1]))
  }
  return out
}
