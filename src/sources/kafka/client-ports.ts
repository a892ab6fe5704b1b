/**
 * What the Kafka source needs from a Kafka client: a group consumer and, for dead-letter topics, a
 * producer. Owned by KafkaSource; platformatic-client.ts implements them over @platformatic/kafka,
 * tests with fakes (no broker).
 */
import type { MessageToProduce } from '@platformatic/kafka'

export interface KafkaMessage {
  topic: string
  partition: number
  offset: bigint
  key: Buffer | undefined
  value: Buffer | undefined
  headers: Map<Buffer, Buffer>
  /** Epoch milliseconds. */
  timestamp: bigint
}

export interface MessageStream {
  onMessage(listener: (message: KafkaMessage) => void): void
  onError(listener: (error: Error) => void): void
  pause(): void
  resume(): void
  isPaused(): boolean
  close(): Promise<void>
}

export interface GroupConsumer {
  /**
   * Starts consuming `topics` from the group's committed offsets; a partition the group has none for
   * starts at `startFrom`.
   */
  consume(topics: string[], startFrom: 'earliest' | 'latest'): Promise<MessageStream>
  /** Commits group offsets (the next offset to read, per partition): only for lag tools, the table decides. */
  commit(offsets: { topic: string; partition: number; offset: bigint }[]): Promise<void>
  /** The next offset to be written, per partition, of each topic. */
  highWatermarks(topics: string[]): Promise<Map<string, bigint[]>>
  /** Called on every (re)join of the group, i.e. whenever partitions may have moved. */
  onGroupJoin(listener: () => void): void
  /** The partitions the group gives this member now: none before the first join or after leaving. */
  assignments(): { topic: string; partitions: number[] }[]
  close(): Promise<void>
}

export interface DeadLetterProducer {
  /** Rejects when `topic` does not exist (never creates it). */
  checkTopic(topic: string): Promise<void>
  /** Resolves once every message is acknowledged by all in-sync replicas. */
  send(messages: MessageToProduce[]): Promise<void>
  close(): Promise<void>
}
