/**
 * Reads the deleted row positions of data files from their deletion vectors (one ranged read of the blob) and
 * position-delete files (each read and decoded once per loader, however many data files it covers). Edge-safe: FileIO.
 */
import type { DataFile } from '../iceberg/types.ts'
import type { Decompressors } from '../parquet/read.ts'
import { decodeDeletionVector, mergePositions } from '../puffin/deletion-vector.ts'
import { decodeDeletionVectorFile } from '../puffin/deletion-vector-file.ts'
import type { FileIO } from '../storage/file-io.ts'
import type { ApplicableDeletes } from './delete-index.ts'
import { DeleteError } from './errors.ts'
import { readPositionDeleteFile } from './position-delete-file.ts'

export interface DeleteLoader {
  /**
   * The deleted positions of `dataFile` (its location as the manifest spells it), ascending and distinct.
   * @throws DeleteError `EQUALITY_DELETES` naming the first equality-delete file that applies, `DELETE_FILE_INVALID`
   *   for a DV whose cardinality differs from its manifest entry or a file that cannot be decoded; PuffinError for a
   *   malformed DV; StorageError when a file cannot be read.
   */
  positions(dataFile: string, deletes: ApplicableDeletes): Promise<number[]>
  /**
   * The data files a DV or position-delete file holds deletes for (a DV: its referenced file; a position-delete file:
   * the paths in it, read once). Throws like `positions`.
   */
  referencedDataFiles(deleteFile: DataFile): Promise<string[]>
}

/** Reads the one DV blob of a manifest entry (by its offset and size; by the Puffin footer when a writer left them out). */
async function readDeletionVector(io: FileIO, file: DataFile, dataFile: string): Promise<number[]> {
  const path = file['file-path']
  const offset = file['content-offset']
  const size = file['content-size-in-bytes']
  let positions: number[]
  if (offset !== undefined && size !== undefined) positions = decodeDeletionVector(await io.read(path, { offset, length: size }))
  else {
    const vector = decodeDeletionVectorFile(await io.read(path), path).get(dataFile)
    if (!vector) throw new DeleteError('DELETE_FILE_INVALID', `Puffin file ${path} has no deletion vector for ${dataFile}`, { context: { location: path } })
    positions = vector
  }
  // Spec: a DV's record_count is its cardinality; a mismatch means the entry and the blob disagree.
  if (positions.length !== file['record-count']) {
    throw new DeleteError('DELETE_FILE_INVALID', `deletion vector for ${dataFile} in ${path} holds ${positions.length} positions, its manifest entry says ${file['record-count']}`, {
      context: { location: path },
    })
  }
  return positions
}

export function createDeleteLoader(io: FileIO, options: { decompressors?: Decompressors } = {}): DeleteLoader {
  const positionFiles = new Map<string, Promise<Map<string, number[]>>>()
  const positionFile = (path: string) => {
    let cached = positionFiles.get(path)
    if (!cached) {
      cached = io.read(path).then((bytes) => readPositionDeleteFile(bytes, path, options.decompressors))
      positionFiles.set(path, cached)
      cached.catch(() => positionFiles.delete(path))
    }
    return cached
  }
  return {
    async positions(dataFile, deletes) {
      const equality = deletes.equalityDeletes[0]
      if (equality) {
        throw new DeleteError(
          'EQUALITY_DELETES',
          `equality-delete file ${equality.file['file-path']} applies to data file ${dataFile}; equality deletes are not applied by this reader — read the table with Spark, Trino or Iceberg Java, or rewrite it with one of them`,
          { context: { location: equality.file['file-path'], dataFile } },
        )
      }
      if (deletes.deletionVector) return readDeletionVector(io, deletes.deletionVector.file, dataFile)
      let positions: number[] = []
      for (const live of deletes.positionDeletes) {
        const found = (await positionFile(live.file['file-path'])).get(dataFile)
        if (found) positions = positions.length ? mergePositions(positions, found) : found
      }
      return positions
    },
    async referencedDataFiles(deleteFile) {
      const referenced = deleteFile['referenced-data-file']
      if (referenced !== undefined) return [referenced]
      return [...(await positionFile(deleteFile['file-path'])).keys()]
    },
  }
}
