/**
 * Progress markers in snapshot summaries — how a restart knows what a table already holds.
 * Every snapshot carries the COMPLETE markers (the parent's, merged with the batch's), so the
 * newest snapshot alone is enough even after old snapshots expire (peers lose dedup state there).
 *
 *   ingest.wal.<wal-id>.seq   highest WAL sequence number whose records for this table are committed
 *   ingest.kafka.<topic>      JSON {"<partition>": <next offset to consume>, ...}
 */
import { IngestError } from '../errors.ts'
import type { Snapshot } from '../iceberg/types.ts'

export const WAL_MARKER_PREFIX = 'ingest.wal.'
export const KAFKA_MARKER_PREFIX = 'ingest.kafka.'

export const walMarkerKey = (walId: string) => `${WAL_MARKER_PREFIX}${walId}.seq`
export const kafkaMarkerKey = (topic: string) => `${KAFKA_MARKER_PREFIX}${topic}`

/** Offsets a batch consumed from one partition: `first` is the first offset, `next` the one after the last. */
export interface OffsetRange {
  first: bigint
  next: bigint
}

export interface BatchMarkers {
  walSeqMax?: bigint
  /** topic → partition → range */
  kafka: Map<string, Map<number, OffsetRange>>
}

/**
 * Another writer already committed part of this batch's offsets (a partition moved to another
 * worker mid-batch). The batcher trims the overlap from the batch and retries; nothing is dropped
 * that the table does not already hold.
 */
export class OffsetFenceError extends IngestError {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly committedNext: bigint,
    readonly batchFirst: bigint,
  ) {
    super(
      'OFFSET_FENCE',
      `topic ${topic} partition ${partition}: table already holds offsets up to ${committedNext}, batch starts at ${batchFirst}`,
      { context: { topic, partition, committedNext: String(committedNext), batchFirst: String(batchFirst) } },
    )
  }
}

export function committedWalSeq(snapshot: Snapshot | undefined, walId: string): bigint | undefined {
  const value = snapshot?.summary[walMarkerKey(walId)]
  return value === undefined ? undefined : BigInt(value)
}

export function committedKafkaOffsets(snapshot: Snapshot | undefined, topic: string): Map<number, bigint> {
  const value = snapshot?.summary[kafkaMarkerKey(topic)]
  const offsets = new Map<number, bigint>()
  if (value === undefined) return offsets
  for (const [partition, next] of Object.entries(JSON.parse(value) as Record<string, string | number>)) {
    offsets.set(Number(partition), BigInt(next))
  }
  return offsets
}

/**
 * The markers for a snapshot built on `parent`: every `ingest.*` key of the parent, advanced by
 * this batch. Throws OffsetFenceError (code OFFSET_FENCE) when the parent already covers offsets
 * this batch starts before — committing would duplicate them.
 */
export function mergedMarkers(parent: Snapshot | undefined, walId: string, batch: BatchMarkers): Record<string, string> {
  const merged: Record<string, string> = {}
  for (const [key, value] of Object.entries(parent?.summary ?? {})) {
    if (key.startsWith('ingest.')) merged[key] = value
  }
  if (batch.walSeqMax !== undefined) {
    const previous = committedWalSeq(parent, walId)
    merged[walMarkerKey(walId)] = String(previous !== undefined && previous > batch.walSeqMax ? previous : batch.walSeqMax)
  }
  for (const [topic, partitions] of batch.kafka) {
    const offsets = committedKafkaOffsets(parent, topic)
    for (const [partition, range] of partitions) {
      const committed = offsets.get(partition)
      if (committed !== undefined && committed > range.first) throw new OffsetFenceError(topic, partition, committed, range.first)
      offsets.set(partition, range.next)
    }
    const sorted = [...offsets.entries()].sort((a, b) => a[0] - b[0])
    merged[kafkaMarkerKey(topic)] = JSON.stringify(Object.fromEntries(sorted.map(([p, next]) => [String(p), Number(next)])))
  }
  return merged
}
