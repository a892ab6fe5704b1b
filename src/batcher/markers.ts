/**
 * Progress markers in snapshot summaries — how a restart knows what a table already holds.
 * Every snapshot we write carries the COMPLETE markers (the table's, merged with the batch's), so
 * the newest snapshot of ours alone is enough even after old snapshots expire (peers lose dedup
 * state there). Where a table's markers are found when other engines commit too: table-markers.ts.
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

/** What consecutive batches cover together: each partition from the first one's first offset to the last one's next. */
export function unionBatchMarkers(batches: readonly BatchMarkers[]): BatchMarkers {
  const union: BatchMarkers = { kafka: new Map() }
  for (const markers of batches) {
    if (markers.walSeqMax !== undefined && (union.walSeqMax === undefined || markers.walSeqMax > union.walSeqMax)) union.walSeqMax = markers.walSeqMax
    for (const [topic, partitions] of markers.kafka) {
      let into = union.kafka.get(topic)
      if (!into) union.kafka.set(topic, (into = new Map()))
      for (const [partition, range] of partitions) {
        const seen = into.get(partition)
        into.set(partition, seen ? { first: seen.first < range.first ? seen.first : range.first, next: seen.next > range.next ? seen.next : range.next } : { ...range })
      }
    }
  }
  return union
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

/** The progress markers of a snapshot summary or marker set: `ingest.wal.*` and `ingest.kafka.*` keys. */
export type Markers = Record<string, string>

export const isMarkerKey = (key: string): boolean => key.startsWith(WAL_MARKER_PREFIX) || key.startsWith(KAFKA_MARKER_PREFIX)

/** The marker keys of `summary` (a snapshot summary, or any string map), verbatim. */
export function markersOf(summary: Record<string, string> | undefined): Markers {
  const markers: Markers = {}
  for (const [key, value] of Object.entries(summary ?? {})) if (isMarkerKey(key)) markers[key] = value
  return markers
}

export function committedWalSeq(markers: Markers, walId: string): bigint | undefined {
  const value = markers[walMarkerKey(walId)]
  return value === undefined ? undefined : BigInt(value)
}

/** `{"<partition>": <next offset>}` of `topic`; empty when the markers hold none. */
export function committedKafkaOffsets(markers: Markers, topic: string): Map<number, bigint> {
  return parseKafkaMarker(markers[kafkaMarkerKey(topic)])
}

export function parseKafkaMarker(value: string | undefined): Map<number, bigint> {
  const offsets = new Map<number, bigint>()
  if (value === undefined) return offsets
  for (const [partition, next] of Object.entries(JSON.parse(value) as Record<string, string | number>)) {
    offsets.set(Number(partition), BigInt(next))
  }
  return offsets
}

export function kafkaMarkerValue(offsets: Map<number, bigint>): string {
  const sorted = [...offsets.entries()].sort((a, b) => a[0] - b[0])
  return JSON.stringify(Object.fromEntries(sorted.map(([p, next]) => [String(p), Number(next)])))
}

/**
 * The markers for a snapshot built on a table whose committed markers are `base` (see
 * table-markers.ts): every marker of `base`, advanced by this batch. Throws OffsetFenceError (code
 * OFFSET_FENCE) when `base` already covers offsets this batch starts before — committing would
 * duplicate them.
 */
export function mergedMarkers(base: Markers, walId: string, batch: BatchMarkers): Markers {
  const merged = markersOf(base)
  if (batch.walSeqMax !== undefined) {
    const previous = committedWalSeq(base, walId)
    merged[walMarkerKey(walId)] = String(previous !== undefined && previous > batch.walSeqMax ? previous : batch.walSeqMax)
  }
  for (const [topic, partitions] of batch.kafka) {
    const offsets = committedKafkaOffsets(base, topic)
    for (const [partition, range] of partitions) {
      const committed = offsets.get(partition)
      if (committed !== undefined && committed > range.first) throw new OffsetFenceError(topic, partition, committed, range.first)
      offsets.set(partition, range.next)
    }
    merged[kafkaMarkerKey(topic)] = kafkaMarkerValue(offsets)
  }
  return merged
}
