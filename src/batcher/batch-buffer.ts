/**
 * One table's rows on their way to a commit, as plain data (pure: no I/O, no timers). Intake adds
 * rows to the open batch; a roll closes it into the queue, where it waits for the committer. What
 * the pipeline asks (rows and bytes pending, the lowest WAL seq not yet committed) is derived from
 * the open batch and the queue each time, never cached beside them.
 */
import { newSnapshotId } from '../iceberg/snapshot.ts'
import type { Row, Schema } from '../iceberg/types.ts'
import { estimateRowBytes } from '../parquet/data-file.ts'
import { RowColumns } from '../table/row-columns.ts'
import { isDelete } from '../upsert/change.ts'
import { emptyOrigins, pushOrigin, type RowOrigins } from './kafka-rows.ts'
import type { BatchMarkers, OffsetRange } from './markers.ts'
import type { BufferState, RollReason } from './policy.ts'

/** Where rows came from: the WAL (HTTP), a Kafka offset, or nowhere the markers track. */
export type RowSource = { walSeq: bigint } | { kafka: { topic: string; partition: number; offset: bigint } } | { none: true }

/** A batch: what one snapshot commits. Its snapshot id is fixed when it opens, so every attempt commits the same one. */
export interface Batch {
  /** The rows, held as columns (row-columns.ts) keyed by `rowSchema`'s names: what buffering and encoding use. */
  columns: RowColumns
  /** The rows as objects, built anew on every read (upsert resolution wants objects); the hot path uses `columns`. */
  readonly rows: Row[]
  origins: RowOrigins
  /** Parquet size estimate of `rows` (what the byte trigger uses). */
  bytes: number
  markers: BatchMarkers
  /** Lowest WAL seq among the rows; the WAL may not be truncated at or past it until the batch commits. */
  walSeqMin?: bigint
  snapshotId: bigint
  reason: RollReason
  /** Commit attempts so far (names each attempt's files: `<snapshot id>-<attempt>`). */
  attempts: number
  /** Upsert tables: indexes of the rows that are deletes by key (upsert/change.ts), not new images. */
  deletes?: Set<number>
  /** The schema its rows are shaped by (keyed by its names): the committer carries them to the table's current one by field id. */
  rowSchema: Schema
}

const openBatch = (rowSchema: Schema): Batch => ({
  rowSchema,
  columns: new RowColumns(rowSchema),
  get rows() {
    return this.columns.toRows()
  },
  origins: emptyOrigins(),
  bytes: 0,
  markers: { kafka: new Map() },
  snapshotId: newSnapshotId(),
  reason: 'interval',
  attempts: 0,
})

/** Whether a batch would change the table: rows, or markers to advance. */
export const batchIsEmpty = (batch: Batch) => batch.columns.length === 0 && batch.markers.kafka.size === 0 && batch.markers.walSeqMax === undefined

export class BatchBuffer {
  #rowSchema: Schema
  #open: Batch
  #openedAtMs: number | undefined
  readonly #queue: Batch[] = []

  /** `rowSchema` shapes the rows added (their byte estimates); `rowOverheadBytes` is the heap cost of a row beyond its values and columns (its origin). */
  constructor(
    rowSchema: Schema,
    private rowOverheadBytes: number,
  ) {
    this.#rowSchema = rowSchema
    this.#open = openBatch(rowSchema)
  }

  /**
   * Rows added from now on are shaped by `rowSchema` (the table's schema evolved). The open batch is
   * rolled first, with `reason`, so every batch holds rows of one schema.
   */
  reshape(rowSchema: Schema, rowOverheadBytes: number, reason: RollReason): boolean {
    const rolled = this.roll(reason)
    this.#rowSchema = rowSchema
    this.rowOverheadBytes = rowOverheadBytes
    this.#open = openBatch(rowSchema)
    this.#openedAtMs = undefined
    return rolled
  }

  /** Adds rows from `source` to the open batch at time `nowMs`. */
  add(rows: Row[], source: RowSource, nowMs: number): void {
    const batch = this.#open
    const kafka = 'kafka' in source ? source.kafka : undefined
    for (const row of rows) {
      // Columns keep values, not row identity: a delete's mark is kept here, by row index.
      if (isDelete(row)) (batch.deletes ??= new Set()).add(batch.columns.length)
      batch.columns.push(row)
      pushOrigin(batch.origins, kafka)
      batch.bytes += estimateRowBytes(this.#rowSchema, row)
    }
    this.#openedAtMs ??= nowMs
    if ('walSeq' in source) {
      const markers = batch.markers
      if (markers.walSeqMax === undefined || source.walSeq > markers.walSeqMax) markers.walSeqMax = source.walSeq
      if (batch.walSeqMin === undefined || source.walSeq < batch.walSeqMin) batch.walSeqMin = source.walSeq
    } else if (kafka) {
      this.trackOffset(kafka.topic, kafka.partition, kafka.offset, nowMs)
    }
  }

  /** Records that an offset was consumed for this table even when it produced no row here. */
  trackOffset(topic: string, partition: number, offset: bigint, nowMs: number): void {
    // Runs per Kafka message, and a fetch brings one partition's messages in a row: the last range
    // found is tried first, before two map lookups.
    const last = this.#lastRange
    let range = last && last.batch === this.#open && last.partition === partition && last.topic === topic ? last.range : undefined
    if (!range) {
      const kafka = this.#open.markers.kafka
      let partitions = kafka.get(topic)
      if (!partitions) kafka.set(topic, (partitions = new Map<number, OffsetRange>()))
      range = partitions.get(partition)
      if (!range) partitions.set(partition, (range = { first: offset, next: offset + 1n }))
      this.#lastRange = { batch: this.#open, topic, partition, range }
    }
    if (offset >= range.next) range.next = offset + 1n
    this.#openedAtMs ??= nowMs
  }
  #lastRange: { batch: Batch; topic: string; partition: number; range: OffsetRange } | undefined

  /** Rows and estimated bytes of the open batch: what the size triggers compare, read without building a BufferState. */
  get openRows(): number {
    return this.#open.columns.length
  }
  get openBytes(): number {
    return this.#open.bytes
  }

  /** The open batch: its rows, bytes and when its first row (or offset) arrived. */
  state(): BufferState {
    return { rows: this.#open.columns.length, bytes: this.#open.bytes, oldestAtMs: this.#openedAtMs }
  }

  /** Whether the open batch has Kafka offsets to advance (even with no rows: all its records were dead letters). */
  get openHasOffsets(): boolean {
    return this.#open.markers.kafka.size > 0
  }

  /** Closes the open batch into the queue (unless it is empty) and opens a new one; returns whether it queued one. */
  roll(reason: RollReason): boolean {
    const batch = this.#open
    if (batchIsEmpty(batch)) return false
    batch.reason = reason
    this.#open = openBatch(this.#rowSchema)
    this.#openedAtMs = undefined
    this.#queue.push(batch)
    return true
  }

  /** The oldest queued batch: the next to commit. */
  head(): Batch | undefined {
    return this.#queue[0]
  }

  /** Up to `max` queued batches after the head, oldest first: a backlog the head's snapshot can take along. */
  followers(max: number): Batch[] {
    return this.#queue.slice(1, 1 + max)
  }

  /** Drops the head (and `count - 1` batches after it) once committed. */
  shift(count = 1): void {
    this.#queue.splice(0, count)
  }

  get queued(): number {
    return this.#queue.length
  }

  /** Rows and bytes open plus queued; `memoryBytes` is their heap cost (what backpressure uses). */
  pending(): { rows: number; bytes: number; memoryBytes: number; batches: number } {
    let rows = this.#open.columns.length
    let bytes = this.#open.bytes
    let columnBytes = this.#open.columns.overheadBytes()
    for (const batch of this.#queue) {
      rows += batch.columns.length
      bytes += batch.bytes
      columnBytes += batch.columns.overheadBytes()
    }
    return { rows, bytes, memoryBytes: bytes + columnBytes + rows * this.rowOverheadBytes, batches: this.#queue.length }
  }

  /** Lowest offset of `topic`/`partition` not yet committed (open or queued), or undefined when none is pending. */
  lowestPendingOffset(topic: string, partition: number): bigint | undefined {
    let lowest: bigint | undefined
    for (const batch of [...this.#queue, this.#open]) {
      const first = batch.markers.kafka.get(topic)?.get(partition)?.first
      if (first !== undefined && (lowest === undefined || first < lowest)) lowest = first
    }
    return lowest
  }

  /** Lowest WAL seq of any row not yet committed (open or queued), or undefined when none is pending. */
  lowestPendingWalSeq(): bigint | undefined {
    let lowest: bigint | undefined
    for (const batch of [...this.#queue, this.#open]) {
      if (batch.walSeqMin !== undefined && (lowest === undefined || batch.walSeqMin < lowest)) lowest = batch.walSeqMin
    }
    return lowest
  }
}
