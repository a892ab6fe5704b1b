/**
 * Our patch of @platformatic/kafka's consumer (patches/) against the real broker: messages arrive
 * whole and in order with their headers, each message's `commit()` commits its own offset, and the
 * per-message `consumer:receives` diagnostics still reach a subscriber — they are only skipped while
 * nobody listens.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { tracingChannel } from 'node:diagnostics_channel'
import { Admin, Consumer, MessagesStreamModes, Producer, stringSerializers, type Message } from '@platformatic/kafka'
import { createTopic } from './kafka-topics.ts'
import { stackEnv } from './stack-env.ts'

setDefaultTimeout(60_000)

const brokers = [stackEnv().kafkaBootstrap]
const topic = `client_patch_${crypto.randomUUID().slice(0, 8)}`
const COUNT = 500

afterAll(async () => {
  const admin = new Admin({ clientId: 'e2e-admin', bootstrapBrokers: brokers })
  await admin.deleteTopics({ topics: [topic] }).catch(() => {})
  await admin.close()
})

/** Reads the topic from the start with a fresh group until COUNT messages; `onMessage` sees each as it arrives. */
async function readAll(groupId: string, onMessage: (message: Message) => Promise<void> | void = () => {}): Promise<{ messages: Message[]; consumer: Consumer }> {
  const consumer = new Consumer({ clientId: 'e2e-patch', groupId, bootstrapBrokers: brokers, autocommit: false })
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false })
  const messages: Message[] = []
  for await (const message of stream) {
    messages.push(message as Message)
    await onMessage(message as Message)
    if (messages.length >= COUNT) break
  }
  await stream.close()
  return { messages, consumer }
}

describe('the patched consumer on the real broker', () => {
  test('set up: one partition, messages with and without headers', async () => {
    await createTopic(brokers, topic, 1)
    const producer = new Producer({ clientId: 'e2e-producer', bootstrapBrokers: brokers, serializers: stringSerializers, idempotent: true })
    try {
      await producer.send({
        messages: Array.from({ length: COUNT }, (_, i) => ({
          topic,
          key: i % 2 ? String(i) : undefined,
          value: JSON.stringify({ id: i }),
          headers: i % 50 === 0 ? new Map([['trace', `t-${i}`]]) : undefined,
        })),
      })
    } finally {
      await producer.close()
    }
  })

  test('every message once, in order, with key, value and headers; commit() commits its offset', async () => {
    const groupId = `patch-${crypto.randomUUID()}`
    const { messages, consumer } = await readAll(groupId, async (message) => {
      if (message.offset === 299n) await message.commit()
    })
    try {
      expect(messages.map((m) => Number(m.offset))).toEqual(Array.from({ length: COUNT }, (_, i) => i))
      expect(messages.map((m) => JSON.parse(m.value!.toString()).id)).toEqual(Array.from({ length: COUNT }, (_, i) => i))
      expect(messages.filter((m) => m.key !== undefined && m.key !== null && m.key.length > 0).map((m) => Number(m.key!.toString()))).toEqual(
        Array.from({ length: COUNT / 2 }, (_, i) => 2 * i + 1),
      )
      expect(messages.filter((m) => m.headers.size > 0).map((m) => [...m.headers].map(([k, v]) => `${k}=${v}`))).toEqual(
        Array.from({ length: COUNT / 50 }, (_, i) => [`trace=t-${i * 50}`]),
      )
      for (const m of messages) expect(m.topic === topic && m.partition === 0).toBe(true)
      const committed = await consumer.listCommittedOffsets({ topics: [{ topic, partitions: [0] }] })
      expect(committed.get(topic)).toEqual([300n])
    } finally {
      await consumer.close(true)
    }
  })

  test('a consumer:receives subscriber hears every message; without one, none is published and all still arrive', async () => {
    const receives = tracingChannel('plt:kafka:consumer:receives')
    const started: unknown[] = []
    const ended: unknown[] = []
    const handlers = {
      start: (context: unknown) => void started.push(context),
      end: (context: unknown) => void ended.push(context),
      asyncStart: () => {},
      asyncEnd: () => {},
      error: () => {},
    }
    receives.subscribe(handlers)
    const traced = await readAll(`patch-${crypto.randomUUID()}`)
    receives.unsubscribe(handlers)
    await traced.consumer.close(true)
    expect(traced.messages.length).toBe(COUNT)
    // Each message's context: published at its start and end, naming the raw record and the message pushed.
    expect(started.length).toBeGreaterThanOrEqual(COUNT)
    expect(ended.length).toBe(started.length)
    const first = started[0] as { operation: string; raw: { value: Buffer }; result?: Message }
    expect(first.operation).toBe('receive')
    expect(JSON.parse(first.raw.value.toString())).toEqual({ id: 0 })
    expect(first.result?.offset).toBe(0n)

    const before = started.length
    const untraced = await readAll(`patch-${crypto.randomUUID()}`)
    await untraced.consumer.close(true)
    expect(untraced.messages.length).toBe(COUNT)
    expect(started.length).toBe(before)
  })
})
