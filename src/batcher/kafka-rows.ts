/**
 * Where each buffered row came from in Kafka, kept beside the rows in flat arrays (no object per
 * row), so a batch can drop exactly the rows another writer already committed.
 */
import type { BatchMarkers } from './markers.ts'

export interface RowOrigins {
  topics: string[]
  /** Per row: index into `topics`, or -1 for rows not from Kafka. */
  topic: number[]
  partition: number[]
  /** Offsets fit a double exactly far beyond any real topic's lifetime (2^53). */
  offset: number[]
}

export const emptyOrigins = (): RowOrigins => ({ topics: [], topic: [], partition: [], offset: [] })

export function pushOrigin(origins: RowOrigins, source: { topic: string; partition: number; offset: bigint } | undefined): void {
  if (!source) {
    origins.topic.push(-1)
    origins.partition.push(-1)
    origins.offset.push(-1)
    return
  }
  let index = origins.topics.indexOf(source.topic)
  if (index < 0) index = origins.topics.push(source.topic) - 1
  origins.topic.push(index)
  origins.partition.push(source.partition)
  origins.offset.push(Number(source.offset))
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
  for (let i = 0; i < origins.topic.length; i++) {
    const topicIndex = origins.topic[i]!
    if (topicIndex >= 0) {
      const floor = floors.get(`${origins.topics[topicIndex]}\u0000${origins.partition[i]}`)
      if (floor !== undefined && origins.offset[i]! < floor) continue
    }
    kept.push(i)
  }
  return kept
}
