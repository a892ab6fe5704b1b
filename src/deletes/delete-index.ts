/**
 * Which delete files apply to which data file (spec "Scan Planning", "Delete File Stats"), pure: a deletion vector or
 * a position-delete file applies to data files of the same partition whose data sequence number is at most its own
 * (DVs and file-scoped position deletes only to the file they reference); an equality-delete file to data files of
 * its partition (or of every partition when it is unpartitioned) whose data sequence number is strictly lower.
 */
import type { DataFile } from '../iceberg/types.ts'
import { partitionKey } from '../maintenance/compaction-plan.ts'
import { DELETE_FILE_PATH_ID, isDeletionVector } from './position-delete-file.ts'

/** A live manifest entry's file, its spec, and its data sequence number (inherited from the manifest list when null). */
export interface LiveFile {
  file: DataFile
  specId: number
  sequenceNumber: number
}

export interface ApplicableDeletes {
  /** The file's deletion vector. When there is one, position-delete files are not applied: a v3 DV merges them. */
  deletionVector?: LiveFile
  positionDeletes: LiveFile[]
  equalityDeletes: LiveFile[]
}

export interface DeleteIndex {
  forDataFile(data: LiveFile): ApplicableDeletes
  /** Delete files indexed. */
  readonly size: number
}

const utf8 = new TextEncoder()

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/** Whether a position-delete file may hold rows of `path`: its referenced file, else its file_path bounds. */
function mayReference(deletes: DataFile, path: string): boolean {
  const referenced = deletes['referenced-data-file']
  if (referenced !== undefined) return referenced === path
  const lower = deletes['lower-bounds']?.get(DELETE_FILE_PATH_ID)
  const upper = deletes['upper-bounds']?.get(DELETE_FILE_PATH_ID)
  if (!lower && !upper) return true
  const bytes = utf8.encode(path)
  // A truncated lower bound is a prefix (still <=); a truncated upper bound was rounded up (still >=).
  return (!lower || compareBytes(lower, bytes) <= 0) && (!upper || compareBytes(bytes, upper) <= 0)
}

/** Indexes the live delete files of one snapshot (content 1 and 2 entries; status DELETED left out by the caller). */
export function buildDeleteIndex(deletes: readonly LiveFile[]): DeleteIndex {
  const vectors = new Map<string, LiveFile>()
  const positionsByPartition = new Map<string, LiveFile[]>()
  const equalityByPartition = new Map<string, LiveFile[]>()
  const globalEquality: LiveFile[] = []
  for (const live of deletes) {
    const { file } = live
    if (file.content === 1 && isDeletionVector(file)) {
      const path = file['referenced-data-file']
      if (path === undefined) continue
      const seen = vectors.get(path)
      if (!seen || seen.sequenceNumber < live.sequenceNumber) vectors.set(path, live)
    } else if (file.content === 1) {
      const key = partitionKey(live.specId, file.partition)
      positionsByPartition.set(key, [...(positionsByPartition.get(key) ?? []), live])
    } else if (file.content === 2) {
      if (file.partition.length === 0) globalEquality.push(live)
      else {
        const key = partitionKey(live.specId, file.partition)
        equalityByPartition.set(key, [...(equalityByPartition.get(key) ?? []), live])
      }
    }
  }
  return {
    size: deletes.length,
    forDataFile(data) {
      const path = data.file['file-path']
      const key = partitionKey(data.specId, data.file.partition)
      const out: ApplicableDeletes = { positionDeletes: [], equalityDeletes: [] }
      const vector = vectors.get(path)
      if (vector && vector.sequenceNumber >= data.sequenceNumber && partitionKey(vector.specId, vector.file.partition) === key) out.deletionVector = vector
      else {
        for (const live of positionsByPartition.get(key) ?? []) {
          if (live.sequenceNumber >= data.sequenceNumber && mayReference(live.file, path)) out.positionDeletes.push(live)
        }
      }
      for (const live of [...(equalityByPartition.get(key) ?? []), ...globalEquality]) {
        if (live.sequenceNumber > data.sequenceNumber) out.equalityDeletes.push(live)
      }
      return out
    },
  }
}

/** Whether nothing applies. */
export const noDeletes = (applicable: ApplicableDeletes): boolean =>
  !applicable.deletionVector && applicable.positionDeletes.length === 0 && applicable.equalityDeletes.length === 0
