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

const COMPUTED = new Set<string>(['operation', 'changed-partition-count', ...TOTALS.flat()])

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
    },
    extra,
  )
}
