/** Topic set-up and bulk production for end-to-end tests, through @platformatic/kafka against the stack's broker. */
import { Admin, Consumer, MessagesStreamModes, Producer, stringSerializers, type Message } from '@platformatic/kafka'

/** Creates `topic`; `configs` are topic settings such as `max.message.bytes`. */
export async function createTopic(brokers: string[], topic: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const admin = new Admin({ clientId: 'e2e-admin', bootstrapBrokers: brokers })
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1, configs: Object.entries(configs).map(([name, value]) => ({ name, value })) })
  } finally {
    await admin.close()
  }
}

/** The topic's end offset per partition (`"0": 10123, ...`), the shape of the table's Kafka marker. */
export async function endOffsets(brokers: string[], topic: string, partitions: number): Promise<Record<string, number>> {
  const admin = new Admin({ clientId: 'e2e-admin', bootstrapBrokers: brokers })
  try {
    const latest = BigInt(-1) // ListOffsets' "latest" timestamp
    const [listed] = await admin.listOffsets({
      topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp: latest })) }],
    })
    return Object.fromEntries(listed!.partitions.map((p) => [String(p.partitionIndex), Number(p.offset)]))
  } finally {
    await admin.close()
  }
}

/**
 * Sends `values` (already serialized) in batches; keys spread them over partitions. Idempotent, so a
 * retry on a loaded machine cannot put a batch in the topic twice (exactly-once tests count on it).
 */
export async function produce(brokers: string[], topic: string, values: string[], batch = 2_000): Promise<void> {
  const producer = new Producer({ clientId: 'e2e-producer', bootstrapBrokers: brokers, serializers: stringSerializers, idempotent: true })
  try {
    for (let start = 0; start < values.length; start += batch) {
      await producer.send({
        messages: values.slice(start, start + batch).map((value, i) => ({ topic, key: String(start + i), value })),
      })
    }
  } finally {
    await producer.close()
  }
}

/** Reads `topic` from the start until `count` messages arrived; fails after `timeoutMs`. */
export async function consumeAll(brokers: string[], topic: string, count: number, timeoutMs = 30_000): Promise<Message[]> {
  const consumer = new Consumer({ clientId: 'e2e-reader', groupId: `e2e-reader-${crypto.randomUUID()}`, bootstrapBrokers: brokers })
  const messages: Message[] = []
  try {
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false })
    const timer = setTimeout(() => void stream.close(), timeoutMs)
    try {
      for await (const message of stream) {
        messages.push(message as Message)
        if (messages.length >= count) break
      }
    } finally {
      clearTimeout(timer)
      await stream.close().catch(() => {})
    }
    if (messages.length < count) throw new Error(`${topic}: ${messages.length} of ${count} messages within ${timeoutMs} ms`)
    return messages
  } finally {
    await consumer.close(true)
  }
}
