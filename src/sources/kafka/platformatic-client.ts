/** client-ports.ts over @platformatic/kafka (HOST-ONLY: sockets). */
import { Admin, Consumer, ListOffsetTimestamps, MessagesStreamFallbackModes, MessagesStreamModes, Producer, type Message } from '@platformatic/kafka'
import type { DeadLetterProducer, GroupConsumer, KafkaMessage, MessageStream } from './client-ports.ts'

export interface ConsumerSettings {
  bootstrapBrokers: string[]
  groupId: string
  clientId: string
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
  maxWaitTimeMs?: number
  /** Bytes per fetch response (default 1 MiB). */
  maxFetchBytes?: number
}

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>

export function createGroupConsumer(settings: ConsumerSettings): GroupConsumer {
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
    clientId: settings.clientId,
    groupId: settings.groupId,
    bootstrapBrokers: settings.bootstrapBrokers,
    // Group offsets follow the Iceberg commits (KafkaSource), never the fetches.
    autocommit: false,
    sessionTimeout: settings.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: settings.heartbeatIntervalMs ?? 1_000,
    maxWaitTime: settings.maxWaitTimeMs ?? 500,
    // The client materialises a whole fetch response as message objects at once (~5x its bytes
    // on the heap); 1 MB fetches instead of the default 10 MB keep a worker's RSS in check.
    maxBytes: settings.maxFetchBytes ?? 1024 * 1024,
    highWaterMark: 256,
    retries: 10,
    retryDelay: 1_000,
  })
  return {
    async consume(topics, startFrom) {
      const stream = await consumer.consume({
        topics,
        autocommit: false,
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: startFrom === 'latest' ? MessagesStreamFallbackModes.LATEST : MessagesStreamFallbackModes.EARLIEST,
      })
      const messages: MessageStream = {
        // The client's messages carry these fields as they are: no copy per message.
        onMessage: (listener) => void stream.on('data', (message: RawMessage) => listener(message as KafkaMessage)),
        onError: (listener) => void stream.on('error', listener),
        pause: () => void stream.pause(),
        resume: () => void stream.resume(),
        isPaused: () => stream.isPaused(),
        close: () => stream.close(),
      }
      return messages
    },
    async commit(offsets) {
      await consumer.commit({ offsets: offsets.map((o) => ({ ...o, leaderEpoch: -1 })) })
    },
    highWatermarks: (topics) => consumer.listOffsets({ topics, timestamp: ListOffsetTimestamps.LATEST }),
    onGroupJoin: (listener) => void consumer.on('consumer:group:join', listener),
    assignments: () => consumer.assignments ?? [],
    close: () => consumer.close(true),
  }
}

export function createDeadLetterProducer(settings: { bootstrapBrokers: string[]; clientId: string }): DeadLetterProducer {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
    clientId: settings.clientId,
    bootstrapBrokers: settings.bootstrapBrokers,
    // Idempotent (acks from all in-sync replicas): a retried request cannot forward a message twice.
    idempotent: true,
    retries: 5,
    retryDelay: 500,
  })
  return {
    checkTopic: async (topic) => void (await producer.metadata({ topics: [topic], autocreateTopics: false })),
    send: async (messages) => void (await producer.send({ messages })),
    close: () => producer.close(),
  }
}

/** The cluster's topics (internal ones excluded), through a short-lived admin client. */
export async function listTopics(settings: { bootstrapBrokers: string[]; clientId: string }): Promise<string[]> {
  const admin = new Admin({ clientId: settings.clientId, bootstrapBrokers: settings.bootstrapBrokers, retries: 3, retryDelay: 500 })
  try {
    return await admin.listTopics()
  } finally {
    await admin.close()
  }
}
