/**
 * Bad Kafka messages to a dead-letter TOPIC (HOST-ONLY), the alternative to the dead-letter table.
 *
 * A message is forwarded as it arrived (key, value and headers unchanged, so it can be replayed
 * once fixed) plus `dlq.*` headers naming the error, the table and the source coordinates.
 *
 * No loss: the table's Kafka marker moves past a bad offset only in a commit that first waits for
 * `settle()`, i.e. until the broker acknowledged every forwarded message. A message the broker
 * refuses (after the client's retries) goes to the dead-letter table instead, never nowhere.
 * At least once: a crash after the forward but before the table commit forwards it again on replay;
 * the `dlq.topic/partition/offset` headers identify repeats.
 */
import type { MessageToProduce } from '@platformatic/kafka'
import type { KafkaMessage } from './client-ports.ts'

/** A bad message as it arrived (where from: topic, partition, offset; its key, value and headers), with why and for whom. */
export interface DeadLetterMessage extends Omit<KafkaMessage, 'timestamp'> {
  /** Why it was refused. */
  error: string
  /** `namespace.table` it was meant for. */
  table: string
  receivedAtMs: number
}

export interface DeadLetterTopicOptions {
  /** The producer's `send` (acks from every in-sync replica, idempotent). */
  send: (messages: MessageToProduce[]) => Promise<unknown>
  /** Where messages go that the broker refused. */
  fallback: (message: DeadLetterMessage, error: Error) => void
  log?: (line: string) => void
}

const text = (value: string) => Buffer.from(value, 'utf8')

/** The forwarded form: original key, value and headers, plus the `dlq.*` context headers. */
export function deadLetterRecord(dlqTopic: string, message: DeadLetterMessage): MessageToProduce {
  const headers = new Map<Buffer, Buffer>(message.headers)
  headers.set(text('dlq.error'), text(message.error))
  headers.set(text('dlq.table'), text(message.table))
  headers.set(text('dlq.topic'), text(message.topic))
  headers.set(text('dlq.partition'), text(String(message.partition)))
  headers.set(text('dlq.offset'), text(message.offset.toString()))
  headers.set(text('dlq.received-at'), text(new Date(message.receivedAtMs).toISOString()))
  return {
    topic: dlqTopic,
    ...(message.key == null ? {} : { key: message.key }),
    ...(message.value == null ? {} : { value: message.value }),
    headers,
  }
}

/** One dead-letter topic: forwards in batches (one produce request per event-loop turn). */
export class DeadLetterTopic {
  readonly topic: string
  readonly stats = { forwarded: 0, fallbacks: 0 }
  #options: DeadLetterTopicOptions
  #queued: DeadLetterMessage[] = []
  #inFlight = new Set<Promise<void>>()
  #scheduled = false

  constructor(topic: string, options: DeadLetterTopicOptions) {
    this.topic = topic
    this.#options = options
  }

  /** Queues `message`; it is sent with the others queued in the same event-loop turn. */
  forward(message: DeadLetterMessage): void {
    this.#queued.push(message)
    if (this.#scheduled) return
    this.#scheduled = true
    setTimeout(() => this.#sendQueued(), 0)
  }

  /** Resolves when every message forwarded so far is acknowledged by the broker or handed to the fallback. */
  async settle(): Promise<void> {
    this.#sendQueued()
    while (this.#inFlight.size) await Promise.all(this.#inFlight)
  }

  #sendQueued(): void {
    this.#scheduled = false
    if (!this.#queued.length) return
    const batch = this.#queued
    this.#queued = []
    const sent: Promise<void> = this.#options
      .send(batch.map((message) => deadLetterRecord(this.topic, message)))
      .then(
        () => {
          this.stats.forwarded += batch.length
        },
        (error: Error) => {
          this.stats.fallbacks += batch.length
          this.#options.log?.(
            `kafka: dead-letter topic ${this.topic} refused ${batch.length} messages (${error.message}); writing them to the dead-letter table instead`,
          )
          for (const message of batch) this.#options.fallback(message, error)
        },
      )
      .finally(() => this.#inFlight.delete(sent))
    this.#inFlight.add(sent)
  }
}
