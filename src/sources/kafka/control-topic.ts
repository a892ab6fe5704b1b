/**
 * A Kafka topic as the CommitChannel of shared commits (batcher/shared-commit.ts; HOST-ONLY:
 * sockets). Each message is one handoff: key the table's dotted name, value its JSON. Sent through
 * an idempotent producer (acked by all in-sync replicas before the sender starts waiting); read by
 * a consumer in a group of this worker alone, from `lookbackMs` before its start: a worker that
 * (re)starts and becomes the committer then holds the handoffs its senders still wait for. Older
 * ones are not needed (their senders committed them), and one it missed is committed by its sender.
 */
import { Consumer, ListOffsetTimestamps, MessagesStreamModes, Producer, type Message } from '@platformatic/kafka'

export interface ControlTopicSettings {
  bootstrapBrokers: string[]
  clientId: string
  topic: string
  /** This worker, unique per process: its control-topic group is `<groupId>.control.<worker>`. */
  worker: string
  groupId: string
  /** How far back the consumer starts: the longest a sender waits for its handoff (default: from the end). */
  lookbackMs?: number
  log: (line: string) => void
}

/** The control topic as batcher/shared-commit.ts's CommitChannel takes it (sources do not import the batcher). */
export interface ControlTopic {
  readonly topic: string
  /** Resolves once the message is acknowledged by every in-sync replica. */
  send(table: string, message: string): Promise<void>
  /** Every message read from now on, this worker's own included. */
  subscribe(listener: (table: string, message: string) => void): void
  close(): Promise<void>
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * Opens the channel; undefined (with one log line) when the broker has no such topic, so the tables
 * that name it commit on their own as before. Throws what the client throws for an unreachable broker.
 */
export async function openControlTopic(settings: ControlTopicSettings): Promise<ControlTopic | undefined> {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
    clientId: `${settings.clientId}-control`,
    bootstrapBrokers: settings.bootstrapBrokers,
    // Idempotent: a retried send cannot put a handoff on the topic twice (a duplicate would be harmless: the fold skips covered ones).
    idempotent: true,
    retries: 5,
    retryDelay: 500,
  })
  try {
    await producer.metadata({ topics: [settings.topic], autocreateTopics: false })
  } catch (error) {
    await producer.close().catch(() => {})
    settings.log(
      `control topic ${settings.topic} is not available (${(error as Error).message}); its tables commit on their own (create it, e.g. bun run topics create ${settings.topic} --partitions 1, for one commit per table per interval)`,
    )
    return undefined
  }
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
    clientId: `${settings.clientId}-control`,
    groupId: `${settings.groupId}.control.${settings.worker}`,
    bootstrapBrokers: settings.bootstrapBrokers,
    autocommit: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    // Handoffs are small and should reach the committer soon after they are sent.
    maxWaitTime: 100,
    retries: 10,
    retryDelay: 500,
  })
  const listeners: ((table: string, message: string) => void)[] = []
  const ends = (await consumer.listOffsets({ topics: [settings.topic], timestamp: ListOffsetTimestamps.LATEST })).get(settings.topic) ?? []
  // The first offset at or after the timestamp; -1 where no message is that recent (then: the end).
  const since = settings.lookbackMs ? ((await consumer.listOffsets({ topics: [settings.topic], timestamp: BigInt(Date.now() - settings.lookbackMs) })).get(settings.topic) ?? []) : []
  const offsets = ends.map((end, partition) => ({ topic: settings.topic, partition, offset: since[partition] !== undefined && since[partition]! >= 0n ? since[partition]! : end }))
  const stream = await consumer.consume({ topics: [settings.topic], autocommit: false, mode: MessagesStreamModes.MANUAL, offsets })
  stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
    if (!message.key || !message.value) return
    const table = decoder.decode(message.key)
    const value = decoder.decode(message.value)
    for (const listener of listeners) listener(table, value)
  })
  stream.on('error', (error: Error) => settings.log(`control topic ${settings.topic}: stream error: ${error.message}`))
  settings.log(`control topic ${settings.topic}: handoffs of shared commits go through it`)
  return {
    topic: settings.topic,
    async send(table, message) {
      await producer.send({ messages: [{ topic: settings.topic, key: Buffer.from(encoder.encode(table)), value: Buffer.from(encoder.encode(message)) }] })
    },
    subscribe: (listener) => void listeners.push(listener),
    async close() {
      await stream.close().catch((error: Error) => settings.log(`control topic ${settings.topic}: closing the stream failed: ${error.message}`))
      await consumer.close(true).catch((error: Error) => settings.log(`control topic ${settings.topic}: leaving its group failed: ${error.message}`))
      await producer.close().catch((error: Error) => settings.log(`control topic ${settings.topic}: closing the producer failed: ${error.message}`))
    },
  }
}
