/**
 * Where each buffered row came from in Kafka, kept beside the rows in flat arrays (no object per
 * row), so a batch can drop exactly the rows another writer already committed.
 */
import type { BatchMarkers } from './markers.ts'

export interface RowOrigins {
  topics: string[]
  /** Rows recorded; the typed arrays below are longer (spare capacity). */
  length: number
  /** Per row: index into `topics`, or -1 for rows not from Kafka. */
  topic: Int32Array
  partition: Int32Array
  /** Offsets fit a double exactly far beyond any real topic's lifetime (2^53). */
  offset: Float64Array
}

// Typed and growable: this runs once per Kafka message, and three plain arrays of 100k numbers
// cost ~7% of the intake thread's samples (bench/kafka-path.bench.ts under --cpu-prof-md).
export const emptyOrigins = (capacity = 0): RowOrigins => ({ topics: [], length: 0, topic: new Int32Array(capacity), partition: new Int32Array(capacity), offset: new Float64Array(capacity) })

function grow(origins: RowOrigins): void {
  const capacity = Math.max(64, origins.topic.length * 2)
  const topic = new Int32Array(capacity)
  const partition = new Int32Array(capacity)
  const offset = new Float64Array(capacity)
  topic.set(origins.topic)
  partition.set(origins.partition)
  offset.set(origins.offset)
  Object.assign(origins, { topic, partition, offset })
}

export function pushOrigin(origins: RowOrigins, source: { topic: string; partition: number; offset: bigint } | undefined): void {
  const i = origins.length
  if (i === origins.topic.length) grow(origins)
  origins.length = i + 1
  if (!source) {
    origins.topic[i] = -1
    origins.partition[i] = -1
    origins.offset[i] = -1
    return
  }
  const topics = origins.topics
  // Almost always one topic per table: compare with the last before searching.
  let index = topics.length > 0 && topics[topics.length - 1] === source.topic ? topics.length - 1 : topics.indexOf(source.topic)
  if (index < 0) index = topics.push(source.topic) - 1
  origins.topic[i] = index
  origins.partition[i] = source.partition
  origins.offset[i] = Number(source.offset)
}

/** The origins of the rows at `indexes`, in that order. */
export function selectOrigins(origins: RowOrigins, indexes: readonly number[]): RowOrigins {
  const out = emptyOrigins(Math.max(1, indexes.length))
  out.topics = origins.topics
  out.length = indexes.length
  indexes.forEach((from, to) => {
    out.topic[to] = origins.topic[from]!
    out.partition[to] = origins.partition[from]!
    out.offset[to] = origins.offset[from]!
  })
  return out
}

/**
 * Drops the rows and offset ranges that the table already holds (`committed(topic)` gives the
 * table's next offset per partition). Returns the kept row indexes, or undefined when nothing changed.
 */
export function trimCommitted(
  origins: RowOrigins,
  markers: BatchMarkers,
  committed: (topic: string) => Map<number, bigint>,
): number[] | undefined {
  const floors = new Map<string, number>()
  for (const [topic, partitions] of markers.kafka) {
    const table = committed(topic)
    for (const [partition, range] of [...partitions]) {
      const next = table.get(partition)
      if (next === undefined || next <= range.first) continue
      floors.set(`${topic}\u0000${partition}`, Number(next))
      if (next >= range.next) partitions.delete(partition)
      else range.first = next
    }
    if (partitions.size === 0) markers.kafka.delete(topic)
  }
  if (floors.size === 0) return undefined
  const kept: number[] = []
  for (let i = 0; i < origins.length; i++) {
    const topicIndex = origins.topic[i]!
    if (topicIndex >= 0) {
      const floor = floors.get(`${origins.topics[topicIndex]}\u0000${origins.partition[i]}`)
      if (floor !== undefined && origins.offset[i]! < floor) continue
    }
    kept.push(i)
  }
  return kept
}
