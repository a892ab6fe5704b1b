/**
 * The one way records enter the pipeline, whatever their source (the port sources/ call; edge-safe).
 * A source resolves a table once, coerces with its coercer, and hands over rows with their origin:
 * a WAL sequence number (HTTP, logged first) or a Kafka offset. Commits come back only through the
 * `onCommitted` subscription. Sources never see batchers, counters or commit barriers.
 */
import type { CommittedEvent } from '../batcher/table-batcher.ts'
import type { Row, StructType } from '../iceberg/types.ts'
import type { RecordCoercer } from '../records/coerce.ts'
import type { UpsertIntake } from '../upsert/upsert-intake.ts'

export type { CommittedEvent }

export interface KafkaOrigin {
  topic: string
  partition: number
  offset: bigint
}

/** Where a row came from: the table's markers advance past it when it commits. */
export type Origin = { walSeq: bigint } | { kafka: KafkaOrigin }

/**
 * What a record gets from `admit`: its row in the table's current schema, the reason it cannot land
 * (a dead letter), or a schema change it needs that is being committed: admit it again once
 * `evolving` settles (it rejects only when the change could not be committed; the record then
 * waits for a retry or becomes a dead letter, as the source decides).
 */
export type Admission = { ok: true; row: Row } | { ok: false; reason: string } | { ok: false; evolving: Promise<void> }

/**
 * `admit(record)` until it settles: awaits each schema change the record needs, then admits it again. For a
 * caller that may wait (an HTTP request, WAL replay); Kafka holds its stream instead (kafka-source.ts).
 * Rejects when a change cannot be committed (SCHEMA_CHANGE_FAILED).
 */
export async function admitSettled(admit: (record: unknown) => Admission, record: unknown): Promise<{ ok: true; row: Row } | { ok: false; reason: string }> {
  let result = admit(record)
  while (!result.ok && 'evolving' in result) {
    await result.evolving
    result = admit(record)
  }
  return result
}

export interface IntakeTable {
  /** `namespace.table` */
  readonly name: string
  /** Record → row of the table's current schema, or the reason it does not fit (no schema evolution). */
  readonly coerce: RecordCoercer
  /** Record → row, evolving the table's schema first where its `schemaEvolution` allows (schema-evolution.ts). */
  admit(record: unknown): Admission
  /**
   * Evolves the table so it holds `fields` (a writer schema mapped to Iceberg types, matched to the
   * table's columns by name; ids in `fields` are ignored), as far as `schemaEvolution` allows.
   * Resolves once committed (or at once when nothing changes).
   */
  evolveTo(fields: StructType): Promise<void>
  /** Buffers rows that came from `origin`; they commit with the origin's marker. */
  accept(rows: Row[], origin: Origin): void
  /** A Kafka record that will not land in the table: its offset still counts as consumed, so the table's marker moves past it. */
  reject(origin: KafkaOrigin): void
  /** Buffers a row for the table's dead-letter table (deadLetterRow), committed with its origin's marker there. */
  deadLetter(row: Row, origin: Origin): void
  /** Reloads the table (and its dead-letter table) and returns, per partition, the next offset it holds for `topic`. */
  committedOffsets(topic: string): Promise<Map<number, bigint>>
  /**
   * Every later commit of the table first awaits `barrier()`: a source whose dead letters leave by
   * another way (a Kafka dead-letter topic) holds the table's marker until they are safely out.
   */
  holdCommits(barrier: () => Promise<void>): void
  /** The lowest offset of `topic`/`partition` buffered for the table and not committed yet, if any. */
  pendingOffset(topic: string, partition: number): bigint | undefined
  /** An upsert table's changes (docs/upserts.md): Kafka admits through it (envelopes, tombstones); `admit` is its HTTP side. */
  readonly upsert?: UpsertIntake
}

/** A route's table for records it cannot route. */
export interface RouteDeadLetters {
  /** `namespace.table` */
  readonly name: string
  /** Buffers a dead-letter row (deadLetterRow); a Kafka origin moves this table's marker past the record. */
  deadLetter(row: Row, origin: Origin): void
  /** Reloads the table and returns, per partition, the next offset it holds for `topic`. */
  committedOffsets(topic: string): Promise<Map<number, bigint>>
  pendingOffset(topic: string, partition: number): bigint | undefined
}

/** Where a routed record goes: an open table, one being opened (ask again once it settles), or nowhere, with the reason. */
export type RoutedAdmission = { table: IntakeTable } | { opening: Promise<unknown> } | { reason: string }

/** A route (table-route.ts) as a source sees it. */
export interface IntakeRouter {
  /** `field event_type → events.$1` */
  readonly label: string
  /** Routes by Kafka topic rather than by a record field. */
  readonly byTopic: boolean
  forRecord(record: unknown): RoutedAdmission
  forTopic(topic: string): RoutedAdmission
  readonly unrouted: RouteDeadLetters
  /** The route's tables open now. */
  opened(): IntakeTable[]
}

export interface Intake {
  /** The table by `namespace.table`, if the pipeline serves it. */
  table(name: string): IntakeTable | undefined
  /** Route `index` of the config's routes, if there is one. */
  router(index: number): IntakeRouter | undefined
  /** Whether sources should stop reading: buffers hold more than their cap. */
  overloaded(): boolean
  /** Calls `listener` after each commit of any table. Returns the unsubscribe. */
  onCommitted(listener: (event: CommittedEvent) => void): () => void
}
