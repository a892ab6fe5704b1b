/**
 * The rules of a shared commit (pure): whether a table's markers already cover a batch's offsets,
 * which pending handoffs the committer may fold into its next snapshot, and the markers of that
 * snapshot. Safety rests on one rule: a snapshot never holds two contributions that share a Kafka
 * partition (or a WAL), nor one whose offsets the table already holds, so no offset lands twice.
 */
import type { Handoff } from './handoff.ts'
import { committedKafkaOffsets, committedWalSeq, mergedMarkers, type BatchMarkers, type Markers } from './markers.ts'

/** `covered`: the table holds every offset (and WAL position) of the batch; `untouched`: none of them; `partial`: some. */
export type Coverage = 'covered' | 'untouched' | 'partial'

/** What one batch (the committer's own, or a handoff) puts in the snapshot: its markers, under its writer's WAL id. */
export interface Contribution {
  walId: string
  markers: BatchMarkers
}

/** Whether `markers` (a table's committed markers) cover `batch`; a batch with no offsets at all is `untouched`. */
export function coverage(markers: Markers, batch: Contribution): Coverage {
  let covered = 0
  let untouched = 0
  for (const [topic, partitions] of batch.markers.kafka) {
    const offsets = committedKafkaOffsets(markers, topic)
    for (const [partition, range] of partitions) {
      const next = offsets.get(partition)
      if (next === undefined || next <= range.first) untouched++
      else if (next >= range.next) covered++
      else return 'partial'
    }
  }
  const walSeqMax = batch.markers.walSeqMax
  if (walSeqMax !== undefined) {
    const seq = committedWalSeq(markers, batch.walId)
    if (seq !== undefined && seq >= walSeqMax) covered++
    else untouched++
  }
  if (covered === 0) return 'untouched'
  return untouched === 0 ? 'covered' : 'partial'
}

/** Whether a batch carries anything the table's markers can show as committed (else nobody could tell when it is). */
export const hasMarkers = (markers: BatchMarkers): boolean => markers.kafka.size > 0 || markers.walSeqMax !== undefined

/** The partitions and WAL a contribution's markers claim, as `topic\0partition` / `wal\0id` strings. */
function claims(contribution: Contribution): string[] {
  const out: string[] = []
  for (const [topic, partitions] of contribution.markers.kafka) for (const partition of partitions.keys()) out.push(`${topic}\u0000${partition}`)
  if (contribution.markers.walSeqMax !== undefined) out.push(`wal\u0000${contribution.walId}`)
  return out
}

export interface PendingHandoff {
  handoff: Handoff
  /** When this worker received it (its own clock: senders' clocks may differ). */
  receivedAtMs: number
}

export interface HandoffSelection {
  /** Folded into the next snapshot, in arrival order. */
  chosen: PendingHandoff[]
  /** No longer worth keeping, with why: their senders see the table and stop waiting (or fall back). */
  dropped: { pending: PendingHandoff; reason: string }[]
  /** Kept for a later commit: they share a partition with a contribution chosen now. */
  deferred: PendingHandoff[]
}

/**
 * Which of `pending` the next snapshot on a table with markers `base` and layout `layout` may fold,
 * beside `own` (the committer's batch, if any). Dropped: handoffs the table already holds in whole
 * (`covered`) or in part (`overlap`: another owner committed some of those offsets after a
 * rebalance; the sender trims and commits the rest itself), and files of another schema or spec
 * (`layout`: the sender writes them again). Deferred: a handoff sharing a partition or WAL with
 * `own` or an earlier choice — two of them in one snapshot could hold the same offsets twice.
 */
export function selectHandoffs(base: Markers, layout: { schemaId: number; specId: number }, own: Contribution | undefined, pending: PendingHandoff[]): HandoffSelection {
  const selection: HandoffSelection = { chosen: [], dropped: [], deferred: [] }
  const claimed = new Set(own ? claims(own) : [])
  for (const entry of pending) {
    const handoff = entry.handoff
    const covered = coverage(base, handoff)
    if (covered !== 'untouched') {
      selection.dropped.push({ pending: entry, reason: covered === 'covered' ? 'covered' : 'overlap' })
      continue
    }
    if (handoff.schemaId !== layout.schemaId || handoff.specId !== layout.specId) {
      selection.dropped.push({ pending: entry, reason: 'layout' })
      continue
    }
    const mine = claims(handoff)
    if (mine.some((claim) => claimed.has(claim))) {
      selection.deferred.push(entry)
      continue
    }
    for (const claim of mine) claimed.add(claim)
    selection.chosen.push(entry)
  }
  return selection
}

/**
 * The complete markers of a snapshot on `base` that folds `contributions`: `base` advanced by each
 * in turn (markers.ts mergedMarkers). Throws OffsetFenceError (OFFSET_FENCE) when the table (a
 * commit since the selection) or an earlier contribution already holds offsets one starts before.
 */
export function foldedMarkers(base: Markers, contributions: Contribution[]): Markers {
  let markers = base
  for (const contribution of contributions) markers = mergedMarkers(markers, contribution.walId, contribution.markers)
  return markers
}
