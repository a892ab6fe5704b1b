/**
 * The one way records enter the pipeline, whatever their source (the port sources/ call; edge-safe).
 * A source resolves a table once, coerces with its coercer, and hands over rows with their origin:
 * a WAL sequence number (HTTP, logged first) or a Kafka offset. Commits come back only through the
 * `onCommitted` subscription. Sources never see batchers, counters or commit barriers.
 */
import type { CommittedEvent } from '../batcher/table-batcher.ts'
import type { Row } from '../iceberg/types.ts'
import type { RecordCoercer } from '../records/coerce.ts'

export type { CommittedEvent }

export interface KafkaOrigin {
  topic: string
  partition: number
  offset: bigint
}

/** Where a row came from: the table's markers advance past it when it commits. */
export type Origin = { walSeq: bigint } | { kafka: KafkaOrigin }

export interface IntakeTable {
  /** `namespace.table` */
  readonly name: string
  /** Record → row of the table's current schema, or the reason it does not fit. */
  readonly coerce: RecordCoercer
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
}

export interface Intake {
  /** The table by `namespace.table`, if the pipeline serves it. */
  table(name: string): IntakeTable | undefined
  /** Whether sources should stop reading: buffers hold more than their cap. */
  overloaded(): boolean
  /** Calls `listener` after each commit of any table. Returns the unsubscribe. */
  onCommitted(listener: (event: CommittedEvent) => void): () => void
}
