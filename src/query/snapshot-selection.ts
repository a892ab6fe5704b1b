/** Which snapshot a scan reads: the current one, one by id, or the one current at a time (time travel), and its schema. */
import { formatTimestamp } from '../iceberg/datetime.ts'
import { ancestorsOf, currentSchema, currentSnapshot, snapshotById } from '../iceberg/table-metadata.ts'
import type { Schema, Snapshot, TableMetadata } from '../iceberg/types.ts'
import { QueryError } from './errors.ts'

export interface SnapshotChoice {
  /** Read exactly this snapshot. */
  snapshotId?: bigint
  /** Read the snapshot that was current on main at this instant (epoch milliseconds). */
  asOfMs?: number
}

const isoMs = (ms: number) => formatTimestamp(BigInt(ms) * 1000n, true)

/**
 * The snapshot to read: by id, as of a time, or the current one; undefined for a table without snapshots.
 * "As of" follows the snapshot log of main (Spark's and PyIceberg's rule), falling back to the ancestry of the
 * current snapshot when the log is empty.
 * @throws QueryError `SNAPSHOT_NOT_FOUND` for an unknown id (the message lists the newest ids),
 *   `NO_SNAPSHOT_AS_OF` when the time is before the first snapshot.
 */
export function selectSnapshot(metadata: TableMetadata, choice: SnapshotChoice = {}): Snapshot | undefined {
  if (choice.snapshotId !== undefined) {
    const snapshot = snapshotById(metadata, choice.snapshotId)
    if (snapshot) return snapshot
    const recent = [...metadata.snapshots].sort((a, b) => b['timestamp-ms'] - a['timestamp-ms']).slice(0, 5)
    throw new QueryError(
      'SNAPSHOT_NOT_FOUND',
      `snapshot ${choice.snapshotId} is not in the table (${metadata.snapshots.length} snapshots; newest: ${recent.map((s) => `${s['snapshot-id']} at ${isoMs(s['timestamp-ms'])}`).join(', ') || 'none'}); list them with \`tables snapshots\``,
      { context: { snapshotId: String(choice.snapshotId) } },
    )
  }
  if (choice.asOfMs !== undefined) {
    const asOf = choice.asOfMs
    const log = metadata['snapshot-log'].length
      ? metadata['snapshot-log']
      : (() => {
          const current = metadata['current-snapshot-id']
          return current === undefined ? [] : ancestorsOf(metadata, current).map((s) => ({ 'snapshot-id': s['snapshot-id'], 'timestamp-ms': s['timestamp-ms'] }))
        })()
    let best: { 'snapshot-id': bigint; 'timestamp-ms': number } | undefined
    for (const entry of log) {
      if (entry['timestamp-ms'] <= asOf && (best === undefined || entry['timestamp-ms'] >= best['timestamp-ms'])) best = entry
    }
    const snapshot = best && snapshotById(metadata, best['snapshot-id'])
    if (snapshot) return snapshot
    const first = log.reduce<number | undefined>((min, e) => (min === undefined || e['timestamp-ms'] < min ? e['timestamp-ms'] : min), undefined)
    throw new QueryError(
      'NO_SNAPSHOT_AS_OF',
      `no snapshot was current at ${isoMs(asOf)}: ${first === undefined ? 'the table has no snapshots' : `the first is from ${isoMs(first)}`}; pass a later --as-of`,
      { context: { asOfMs: asOf } },
    )
  }
  return currentSnapshot(metadata)
}

/** The schema a snapshot was written with (its `schema-id`), else the table's current schema. */
export function snapshotSchema(metadata: TableMetadata, snapshot: Snapshot | undefined): Schema {
  const id = snapshot?.['schema-id']
  return (id === undefined ? undefined : metadata.schemas.find((s) => s['schema-id'] === id)) ?? currentSchema(metadata)
}
