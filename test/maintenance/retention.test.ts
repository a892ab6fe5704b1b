/** Retention planning: Java's ExpireSnapshots rules on hand-built metadata. */
import { describe, expect, test } from 'bun:test'
import type { Snapshot, SnapshotRef, TableMetadata } from '../../src/iceberg/types.ts'
import { planExpiry, retentionPolicy, type RetentionPolicy } from '../../src/maintenance/retention.ts'

const HOUR = 3_600_000
const NOW = 100 * HOUR

/** Snapshots 1..n, each the parent of the next, one hour apart, the last at NOW - 1h. */
function chain(n: number, refs: Record<string, SnapshotRef> = {}): TableMetadata {
  const snapshots: Snapshot[] = Array.from({ length: n }, (_, i) => ({
    'snapshot-id': BigInt(i + 1),
    ...(i ? { 'parent-snapshot-id': BigInt(i) } : {}),
    'sequence-number': i + 1,
    'timestamp-ms': NOW - (n - i) * HOUR,
    'manifest-list': `m${i + 1}`,
    summary: { operation: 'append' },
  }))
  return {
    'current-snapshot-id': BigInt(n),
    snapshots,
    'snapshot-log': snapshots.map((s) => ({ 'snapshot-id': s['snapshot-id'], 'timestamp-ms': s['timestamp-ms'] })),
    refs: { main: { 'snapshot-id': BigInt(n), type: 'branch' }, ...refs },
  } as unknown as TableMetadata
}

const ids = (xs: bigint[]) => xs.map(Number).sort((a, b) => a - b)
const policy = (p: Partial<RetentionPolicy>): RetentionPolicy => ({ minSnapshotsToKeep: 1, maxSnapshotAgeMs: 0, maxRefAgeMs: Infinity, headGraceMs: 0, ...p })

describe('planExpiry', () => {
  test('keeps the last N on main, then those newer than the age; stops at the first that fails both', () => {
    const m = chain(10)
    expect(ids(planExpiry(m, policy({ minSnapshotsToKeep: 3, maxSnapshotAgeMs: 0 }), NOW).keep)).toEqual([8, 9, 10])
    expect(ids(planExpiry(m, policy({ minSnapshotsToKeep: 1, maxSnapshotAgeMs: 4.5 * HOUR }), NOW).keep)).toEqual([7, 8, 9, 10])
    expect(ids(planExpiry(m, policy({ minSnapshotsToKeep: 1, maxSnapshotAgeMs: 0 }), NOW).expire)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  test('a tag keeps its snapshot; an aged-out tag is removed with it', () => {
    const m = chain(6, { keep: { 'snapshot-id': 2n, type: 'tag' }, old: { 'snapshot-id': 1n, type: 'tag', 'max-ref-age-ms': HOUR } })
    const plan = planExpiry(m, policy({ minSnapshotsToKeep: 1, maxSnapshotAgeMs: 0 }), NOW)
    expect(ids(plan.keep)).toEqual([2, 6])
    expect(plan.removeRefs).toEqual(['old'])
  })

  test('a branch keeps its own history by its own settings', () => {
    const m = chain(6, { dev: { 'snapshot-id': 3n, type: 'branch', 'min-snapshots-to-keep': 2 } })
    expect(ids(planExpiry(m, policy({ minSnapshotsToKeep: 1, maxSnapshotAgeMs: 0 }), NOW).keep)).toEqual([2, 3, 6])
  })

  test('table properties with Iceberg defaults: keep 1, 5 days', () => {
    expect(retentionPolicy({})).toMatchObject({ minSnapshotsToKeep: 1, maxSnapshotAgeMs: 432_000_000 })
    expect(retentionPolicy({ 'history.expire.min-snapshots-to-keep': '5', 'history.expire.max-snapshot-age-ms': '60000' })).toMatchObject({ minSnapshotsToKeep: 5, maxSnapshotAgeMs: 60_000 })
    expect(retentionPolicy({ 'history.expire.min-snapshots-to-keep': '5' }, { minSnapshotsToKeep: 2 }).minSnapshotsToKeep).toBe(2)
    // Nothing is older than 5 days here.
    expect(planExpiry(chain(10), retentionPolicy({}), NOW).expire).toEqual([])
  })

  test('snapshots that were current within the grace period are kept (stale writers build on them)', () => {
    const plan = planExpiry(chain(6), policy({ headGraceMs: 2.5 * HOUR }), NOW)
    // 6 is current; 5 stopped being current 1h ago, 4 two hours ago, 3 three hours ago.
    expect(ids(plan.keep)).toEqual([4, 5, 6])
    expect(retentionPolicy({}).headGraceMs).toBe(60_000)
  })

  test('the current snapshot is kept even with min 0 requested', () => {
    expect(ids(planExpiry(chain(3), policy({ minSnapshotsToKeep: 0, maxSnapshotAgeMs: 0 }), NOW).keep)).toEqual([3])
  })
})
