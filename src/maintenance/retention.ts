/**
 * Which snapshots and refs expiry removes (pure), with the semantics of Java's ExpireSnapshots:
 * main is always kept; another ref goes when its snapshot is older than its max-ref-age; on each
 * kept branch, ancestors are kept while fewer than min-snapshots-to-keep are kept or while they
 * are newer than max-snapshot-age (the first one failing both ends the walk); a tag keeps its
 * snapshot; a snapshot no ref reaches is kept only while newer than the age limit. One addition:
 * a snapshot that was main's current snapshot less than `headGraceMs` ago is kept, because a
 * writer holding slightly stale metadata (an ingest batcher) still builds on it and reads its
 * manifest list before it learns of the newer state.
 */
import { ancestorsOf } from '../iceberg/table-metadata.ts'
import type { TableMetadata } from '../iceberg/types.ts'

export const MIN_SNAPSHOTS_TO_KEEP = 'history.expire.min-snapshots-to-keep'
export const MAX_SNAPSHOT_AGE_MS = 'history.expire.max-snapshot-age-ms'
export const MAX_REF_AGE_MS = 'history.expire.max-ref-age-ms'
/** Iceberg's defaults: keep 1 snapshot, expire after 5 days, refs never. */
export const RETENTION_DEFAULTS = { minSnapshotsToKeep: 1, maxSnapshotAgeMs: 5 * 24 * 3600 * 1000, maxRefAgeMs: Number.MAX_SAFE_INTEGER, headGraceMs: 60_000 }

export interface RetentionPolicy {
  /** Keep at least this many snapshots on each branch (`--retain-last`). */
  minSnapshotsToKeep: number
  /** Keep branch ancestors newer than this (`--older-than` as an age). */
  maxSnapshotAgeMs: number
  maxRefAgeMs: number
  /** Keep snapshots that stopped being main's current snapshot less than this long ago (default 1 min). */
  headGraceMs: number
}

export interface ExpiryPlan {
  expire: bigint[]
  keep: bigint[]
  removeRefs: string[]
}

const positive = (value: string | undefined): number | undefined => {
  const parsed = Number(value)
  return value !== undefined && Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : undefined
}

/** The table's `history.expire.*` properties with Iceberg's defaults, overridden by `overrides`. */
export function retentionPolicy(properties: Record<string, string>, overrides: Partial<RetentionPolicy> = {}): RetentionPolicy {
  return {
    minSnapshotsToKeep: Math.max(1, overrides.minSnapshotsToKeep ?? positive(properties[MIN_SNAPSHOTS_TO_KEEP]) ?? RETENTION_DEFAULTS.minSnapshotsToKeep),
    maxSnapshotAgeMs: overrides.maxSnapshotAgeMs ?? positive(properties[MAX_SNAPSHOT_AGE_MS]) ?? RETENTION_DEFAULTS.maxSnapshotAgeMs,
    maxRefAgeMs: overrides.maxRefAgeMs ?? positive(properties[MAX_REF_AGE_MS]) ?? RETENTION_DEFAULTS.maxRefAgeMs,
    headGraceMs: overrides.headGraceMs ?? RETENTION_DEFAULTS.headGraceMs,
  }
}

/** The snapshots to expire at `nowMs`. A ref's own retention settings win over the policy. */
export function planExpiry(metadata: TableMetadata, policy: RetentionPolicy, nowMs: number): ExpiryPlan {
  const byId = new Map(metadata.snapshots.map((s) => [s['snapshot-id'], s]))
  const keep = new Set<bigint>()
  const removeRefs: string[] = []
  const reachable = new Set<bigint>()
  for (const [name, ref] of Object.entries(metadata.refs)) {
    const snapshot = byId.get(ref['snapshot-id'])
    if (name !== 'main') {
      const maxRefAge = ref['max-ref-age-ms'] ?? policy.maxRefAgeMs
      if (!snapshot || nowMs - snapshot['timestamp-ms'] > maxRefAge) {
        removeRefs.push(name)
        continue
      }
    }
    if (ref.type === 'tag') {
      keep.add(ref['snapshot-id'])
      reachable.add(ref['snapshot-id'])
      continue
    }
    const olderThan = nowMs - (ref['max-snapshot-age-ms'] ?? policy.maxSnapshotAgeMs)
    const minKeep = ref['min-snapshots-to-keep'] ?? policy.minSnapshotsToKeep
    let kept = 0
    let walking = true
    for (const ancestor of ancestorsOf(metadata, ref['snapshot-id'])) {
      reachable.add(ancestor['snapshot-id'])
      if (walking && (kept < minKeep || ancestor['timestamp-ms'] >= olderThan)) {
        keep.add(ancestor['snapshot-id'])
        kept++
      } else walking = false
    }
  }
  const defaultOlderThan = nowMs - policy.maxSnapshotAgeMs
  for (const snapshot of metadata.snapshots) {
    if (!reachable.has(snapshot['snapshot-id']) && snapshot['timestamp-ms'] >= defaultOlderThan) keep.add(snapshot['snapshot-id'])
  }
  // Why: main's current snapshot is the table's state; whatever the settings say, it stays.
  const current = metadata['current-snapshot-id']
  if (current !== undefined) keep.add(current)
  // A snapshot-log entry says when a snapshot became current; the next entry, when it stopped.
  const log = metadata['snapshot-log']
  for (let i = 0; i + 1 < log.length; i++) {
    if (nowMs - log[i + 1]!['timestamp-ms'] < policy.headGraceMs) keep.add(log[i]!['snapshot-id'])
  }
  const expire = metadata.snapshots.map((s) => s['snapshot-id']).filter((id) => !keep.has(id))
  return { expire, keep: [...keep], removeRefs: removeRefs.sort() }
}
