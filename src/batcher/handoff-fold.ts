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
  /**
   * Partitions this batch opens: the table held none of their offsets and its writer none before
   * them. Only such a range may start a partition the table has no marker for — a later piece of a
   * writer whose first piece the committer never saw (it started reading the channel after it was
   * sent, or let it go) must not pass it.
   */
  opening?: { topic: string; partition: number }[]
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

export interface PendingHandoff {
  handoff: Handoff
  /** When this worker received it (its own clock: senders' clocks may differ). */
  receivedAtMs: number
}

export interface HandoffSelection {
  /** Folded into the next snapshot, in the order their markers chain. */
  chosen: PendingHandoff[]
  /** No longer worth keeping, with why: their senders see the table and stop waiting (or fall back). */
  dropped: { pending: PendingHandoff; reason: string }[]
  /** Kept for a later commit: not (yet) the next piece of each of their partitions. */
  deferred: PendingHandoff[]
  /** Why `own` cannot go in (its offsets overlap what the table or a chosen handoff holds); undefined when it can. */
  ownRefused?: string
  /**
   * Where `own` goes among the chosen (how many of them come before it): the snapshot's markers are
   * merged in this order, and `own` may continue partitions the chosen handoffs open (0: first).
   */
  ownAt: number
}

/** Where each claimed partition stands: `topic\0partition` → the next offset the snapshot would hold. */
type Frontier = Map<string, bigint>
const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`

/**
 * The table's marker of each partition the contributions claim; a partition the table holds nothing
 * of yet starts at the lowest offset a contribution opening it starts at (none: it has no frontier,
 * and nothing of it fits until one arrives or its writer commits it).
 */
function frontierOf(base: Markers, contributions: Contribution[]): Frontier {
  const frontier: Frontier = new Map()
  const held = new Set<string>()
  for (const { markers } of contributions) {
    for (const topic of markers.kafka.keys()) {
      for (const [partition, next] of committedKafkaOffsets(base, topic)) {
        frontier.set(partitionKey(topic, partition), next)
        held.add(partitionKey(topic, partition))
      }
    }
  }
  for (const { markers, opening } of contributions) {
    for (const { topic, partition } of opening ?? []) {
      const range = markers.kafka.get(topic)?.get(partition)
      const key = partitionKey(topic, partition)
      const lowest = frontier.get(key)
      if (range && !held.has(key) && (lowest === undefined || range.first < lowest)) frontier.set(key, range.first)
    }
  }
  return frontier
}

/** `exact`: every range starts where its partition stands; `gap`: one starts past it (or its partition has no frontier); `overlap`: one starts before it. */
function fit(frontier: Frontier, contribution: Contribution): 'exact' | 'gap' | 'overlap' {
  let result: 'exact' | 'gap' = 'exact'
  for (const [topic, partitions] of contribution.markers.kafka) {
    for (const [partition, range] of partitions) {
      const next = frontier.get(partitionKey(topic, partition))
      if (next === undefined || range.first > next) result = 'gap'
      else if (range.first < next) return 'overlap'
    }
  }
  return result
}

/** The partitions of `markers` that `tableMarkers` holds nothing of and `held` (the writer's earlier batches not yet in the table) claims none of. */
export function openingPartitions(tableMarkers: Markers, markers: BatchMarkers, held: BatchMarkers[]): { topic: string; partition: number }[] {
  const opening: { topic: string; partition: number }[] = []
  for (const [topic, partitions] of markers.kafka) {
    const committed = committedKafkaOffsets(tableMarkers, topic)
    for (const partition of partitions.keys()) {
      if (committed.has(partition) || held.some((earlier) => earlier.kafka.get(topic)?.has(partition))) continue
      opening.push({ topic, partition })
    }
  }
  return opening
}

/** A copy that later trimming of the batch (batch-committer.ts trimBatch) cannot change. */
export function copyMarkers(markers: BatchMarkers): BatchMarkers {
  const kafka = new Map([...markers.kafka].map(([topic, partitions]) => [topic, new Map([...partitions].map(([p, range]) => [p, { ...range }]))]))
  return { kafka, ...(markers.walSeqMax !== undefined ? { walSeqMax: markers.walSeqMax } : {}) }
}

function advance(frontier: Frontier, contribution: Contribution): void {
  for (const [topic, partitions] of contribution.markers.kafka) for (const [partition, range] of partitions) frontier.set(partitionKey(topic, partition), range.next)
}

/**
 * Which of `pending` the next snapshot on a table with markers `base` and layout `layout` may fold,
 * beside `own` (the committer's batch, if any). Dropped: handoffs the table already holds in whole
 * (`covered`) or in part (`overlap`: another owner committed some of those offsets after a
 * rebalance; the sender trims and commits the rest itself), and files of another schema or spec
 * (`layout`: the sender writes them again). Chosen: handoffs whose every range starts exactly where
 * its partition stands — at the table's marker or at the end of a handoff chosen before — so a
 * sender's batches, handed off one after another, land in order and none is skipped by a later
 * one's marker. A handoff starting past that point waits (deferred) for the piece before it, or for
 * its sender's timeout; one sharing a WAL with another contribution waits too. `own` starts where
 * the chain leaves its partitions or later (a topic's retention may have removed what lay between).
 */
export function selectHandoffs(base: Markers, layout: { schemaId: number; specId: number }, own: Contribution | undefined, pending: PendingHandoff[]): HandoffSelection {
  const selection: HandoffSelection = { chosen: [], dropped: [], deferred: [], ownAt: 0 }
  const live: PendingHandoff[] = []
  for (const entry of pending) {
    const covered = coverage(base, entry.handoff)
    if (covered !== 'untouched') selection.dropped.push({ pending: entry, reason: covered === 'covered' ? 'covered' : 'overlap' })
    else if (entry.handoff.schemaId !== layout.schemaId || entry.handoff.specId !== layout.specId) selection.dropped.push({ pending: entry, reason: 'layout' })
    else live.push(entry)
  }
  const frontier = frontierOf(base, [...(own ? [own] : []), ...live.map((entry) => entry.handoff)])
  const wals = new Set<string>()
  let ownChosen = false
  const takeOwn = () => {
    selection.ownAt = selection.chosen.length
    advance(frontier, own!)
    if (own!.markers.walSeqMax !== undefined) wals.add(own!.walId)
    ownChosen = true
  }
  // The committer's batch first when it continues every partition where the table stands: a handoff of the same offsets (read before a rebalance) then waits and is dropped as covered.
  if (own && fit(frontier, own) === 'exact') takeOwn()
  // Passes until nothing more fits: a sender's second batch may arrive before its first.
  for (let progress = true; progress; ) {
    progress = false
    for (const entry of live) {
      if (selection.chosen.includes(entry)) continue
      const handoff = entry.handoff
      if (handoff.markers.walSeqMax !== undefined && wals.has(handoff.walId)) continue
      if (fit(frontier, handoff) !== 'exact') continue
      advance(frontier, handoff)
      if (handoff.markers.walSeqMax !== undefined) wals.add(handoff.walId)
      selection.chosen.push(entry)
      progress = true
    }
  }
  selection.deferred = live.filter((entry) => !selection.chosen.includes(entry))
  if (own && !ownChosen) {
    const fits = fit(frontier, own)
    // A gap is the topic's retention (nothing left to read there) unless a waiting handoff holds offsets inside it.
    const filler = selection.deferred.find((entry) => fillsGap(frontier, own, entry.handoff))
    if (fits === 'overlap') selection.ownRefused = 'its offsets overlap what a handoff folded before it holds'
    else if (filler) selection.ownRefused = `handoff ${filler.handoff.id} holds offsets before it that are not in the table yet`
    else if (own.markers.walSeqMax !== undefined && wals.has(own.walId)) selection.ownRefused = 'a handoff of its own WAL is folded first'
    else takeOwn()
  }
  return selection
}

/** Whether `other` holds offsets of a partition of `own` below where `own` starts and at or past where the partition stands. */
function fillsGap(frontier: Frontier, own: Contribution, other: Contribution): boolean {
  for (const [topic, partitions] of own.markers.kafka) {
    for (const [partition, range] of partitions) {
      const theirs = other.markers.kafka.get(topic)?.get(partition)
      const next = frontier.get(partitionKey(topic, partition))
      if (theirs && theirs.first < range.first && (next === undefined || theirs.next > next)) return true
    }
  }
  return false
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
