/** New snapshot ids and snapshot summaries (spec: "Snapshots", Appendix F "Optional Snapshot Summary Fields"). */
import { ValidationError } from '../errors.ts'
import type { SnapshotOperation, SnapshotSummary } from './types.ts'

const MAX_LONG = (1n << 63n) - 1n

/**
 * A random positive 63-bit snapshot id from crypto.getRandomValues. Appendix F asks for ids with a
 * low chance of collision and advises against timestamp-derived ones; callers still check the table.
 */
export function newSnapshotId(): bigint {
  const bytes = new Uint8Array(8)
  const view = new DataView(bytes.buffer)
  for (;;) {
    crypto.getRandomValues(bytes)
    const id = view.getBigUint64(0) & MAX_LONG
    if (id !== 0n) return id
  }
}

/** Totals carried from snapshot to snapshot; each pairs with its added/removed counters. */
const TOTALS = [
  ['total-records', 'added-records', 'deleted-records'],
  ['total-files-size', 'added-files-size', 'removed-files-size'],
  ['total-data-files', 'added-data-files', 'deleted-data-files'],
  ['total-delete-files', 'added-delete-files', 'removed-delete-files'],
  ['total-position-deletes', 'added-position-deletes', 'removed-position-deletes'],
  ['total-equality-deletes', 'added-equality-deletes', 'removed-equality-deletes'],
] as const

const COMPUTED = new Set<string>(['operation', 'changed-partition-count', 'added-dvs', 'removed-dvs', 'added-position-delete-files', 'removed-position-delete-files', ...TOTALS.flat()])

function count(value: number, name: string): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError(`snapshot summary ${name} must be a non-negative integer, got ${value}`, { [name]: value })
  return String(value)
}

/**
 * Builds a summary the way Java's SnapshotProducer does: `extra` first, then this snapshot's
 * counters, then totals = previous total + added - removed. Without a previous snapshot totals
 * start at 0; a previous summary lacking a total (or with an unparseable one) leaves that total out,
 * rather than writing a wrong number.
 */
function buildSummary(operation: SnapshotOperation, previous: SnapshotSummary | undefined, counters: Record<string, string>, extra: Record<string, string>): SnapshotSummary {
  // Computed keys win over `extra`, so a caller may pass a copied summary to carry markers forward.
  const carried = Object.fromEntries(Object.entries(extra).filter(([key]) => !COMPUTED.has(key)))
  const summary: SnapshotSummary = { operation, ...carried, ...counters }
  for (const [total, added, removed] of TOTALS) {
    const before = previous === undefined ? '0' : previous[total]
    if (before === undefined || !/^\d+$/.test(before)) continue
    const value = BigInt(before) + BigInt(counters[added] ?? '0') - BigInt(counters[removed] ?? '0')
    if (value >= 0n) summary[total] = value.toString()
  }
  return summary
}

/** What a fast append adds. */
export interface AppendCounts {
  dataFiles: number
  records: number
  fileSizeBytes: number
  /** Distinct partitions the new files fall in. */
  partitions: number
}

/**
 * Summary of an `append` snapshot: added-data-files, added-records, added-files-size,
 * changed-partition-count, and the six totals from `previous` (the parent's summary; undefined for
 * the first snapshot). `extra` carries markers such as offsets or a commit id.
 * Keys of `extra` that are computed here are ignored. Throws ValidationError (code VALIDATION) for a negative count.
 */
export function appendSummary(previous: SnapshotSummary | undefined, added: AppendCounts, extra: Record<string, string> = {}): SnapshotSummary {
  return buildSummary(
    'append',
    previous,
    {
      'added-data-files': count(added.dataFiles, 'added-data-files'),
      'added-records': count(added.records, 'added-records'),
      'added-files-size': count(added.fileSizeBytes, 'added-files-size'),
      'changed-partition-count': count(added.partitions, 'changed-partition-count'),
    },
    extra,
  )
}

/** What a rewrite (compaction) adds and removes. */
export interface ReplaceCounts {
  addedDataFiles: number
  addedRecords: number
  addedFilesSize: number
  deletedDataFiles: number
  deletedRecords: number
  removedFilesSize: number
  partitions: number
  /** Delete files dropped because the rows they delete were rewritten without them (compaction applied them). */
  removedDeleteFiles?: number
  removedDeletionVectors?: number
  removedPositionDeletes?: number
}

/**
 * Summary of a `replace` snapshot (compaction: same rows, different files), with added and
 * deleted counters and carried totals. Throws ValidationError (code VALIDATION) like appendSummary.
 */
export function replaceSummary(previous: SnapshotSummary | undefined, counts: ReplaceCounts, extra: Record<string, string> = {}): SnapshotSummary {
  return buildSummary(
    'replace',
    previous,
    {
      'added-data-files': count(counts.addedDataFiles, 'added-data-files'),
      'deleted-data-files': count(counts.deletedDataFiles, 'deleted-data-files'),
      'added-records': count(counts.addedRecords, 'added-records'),
      'deleted-records': count(counts.deletedRecords, 'deleted-records'),
      'added-files-size': count(counts.addedFilesSize, 'added-files-size'),
      'removed-files-size': count(counts.removedFilesSize, 'removed-files-size'),
      'changed-partition-count': count(counts.partitions, 'changed-partition-count'),
      ...(counts.removedDeleteFiles
        ? {
            'removed-delete-files': count(counts.removedDeleteFiles, 'removed-delete-files'),
            'removed-position-delete-files': count(counts.removedDeleteFiles - (counts.removedDeletionVectors ?? 0), 'removed-position-delete-files'),
            ...(counts.removedDeletionVectors ? { 'removed-dvs': count(counts.removedDeletionVectors, 'removed-dvs') } : {}),
            'removed-position-deletes': count(counts.removedPositionDeletes ?? 0, 'removed-position-deletes'),
          }
        : {}),
    },
    extra,
  )
}

/** What a row delta (upsert, delete) adds and removes: data files, and delete files (position-delete files or DVs). */
export interface RowDeltaCounts {
  addedDataFiles: number
  addedRecords: number
  /** Bytes of the added data and delete files. */
  addedFilesSize: number
  addedDeleteFiles: number
  /** Of the added delete files, how many are deletion vectors. */
  addedDeletionVectors: number
  /** Deleted positions the added delete files hold. */
  addedPositionDeletes: number
  /** Delete files replaced (a DV merged into its successor). */
  removedDeleteFiles: number
  removedDeletionVectors: number
  removedPositionDeletes: number
  removedFilesSize: number
  partitions: number
}

/**
 * Summary of a row-delta snapshot, operation as Java's BaseRowDelta names it: `append` when it adds only data files,
 * `delete` when it adds only deletes, `overwrite` when both. Counters as Java's SnapshotSummary writes them
 * (added-dvs / removed-dvs for deletion vectors), totals carried. Throws ValidationError (code VALIDATION) like appendSummary.
 */
export function rowDeltaSummary(previous: SnapshotSummary | undefined, counts: RowDeltaCounts, extra: Record<string, string> = {}): SnapshotSummary {
  const operation: SnapshotOperation = counts.addedDeleteFiles === 0 ? 'append' : counts.addedDataFiles === 0 ? 'delete' : 'overwrite'
  const counters: Record<string, string> = {}
  const put = (name: string, value: number, always = false) => {
    if (always || value > 0) counters[name] = count(value, name)
  }
  put('added-data-files', counts.addedDataFiles)
  put('added-records', counts.addedRecords)
  put('added-files-size', counts.addedFilesSize, true)
  put('added-delete-files', counts.addedDeleteFiles)
  put('added-position-delete-files', counts.addedDeleteFiles - counts.addedDeletionVectors)
  put('added-dvs', counts.addedDeletionVectors)
  put('added-position-deletes', counts.addedPositionDeletes)
  put('removed-delete-files', counts.removedDeleteFiles)
  put('removed-position-delete-files', counts.removedDeleteFiles - counts.removedDeletionVectors)
  put('removed-dvs', counts.removedDeletionVectors)
  put('removed-position-deletes', counts.removedPositionDeletes)
  put('removed-files-size', counts.removedFilesSize)
  put('changed-partition-count', counts.partitions, true)
  return buildSummary(operation, previous, counters, extra)
}
