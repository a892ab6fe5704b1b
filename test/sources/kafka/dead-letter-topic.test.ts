import { describe, expect, test } from 'bun:test'
import type { MessageToProduce } from '@platformatic/kafka'
import { DeadLetterTopic, deadLetterRecord, type DeadLetterMessage } from '../../../src/sources/kafka/dead-letter-topic.ts'

const letter = (offset: number, extra: Partial<DeadLetterMessage> = {}): DeadLetterMessage => ({
  topic: 'sensor_data',
  partition: 2,
  offset: BigInt(offset),
  key: Buffer.from(`k${offset}`),
  value: Buffer.from(`{broken ${offset}`),
  headers: new Map([[Buffer.from('trace'), Buffer.from('abc')]]),
  error: 'value is not JSON',
  table: 'learning.sensor_readings',
  receivedAtMs: Date.UTC(2026, 0, 2, 3, 4, 5),
  ...extra,
})

const headerText = (record: MessageToProduce) =>
  Object.fromEntries([...(record.headers as Map<Buffer, Buffer>)].map(([k, v]) => [k.toString(), v.toString()]))

describe('deadLetterRecord', () => {
  test('keeps key, value and headers as they arrived and adds the dlq.* context', () => {
    const record = deadLetterRecord('sensor_dlq', letter(41))
    expect(record.topic).toBe('sensor_dlq')
    expect(record.key!.toString()).toBe('k41')
    expect(record.value!.toString()).toBe('{broken 41')
    expect(headerText(record)).toEqual({
      trace: 'abc',
      'dlq.error': 'value is not JSON',
      'dlq.table': 'learning.sensor_readings',
      'dlq.topic': 'sensor_data',
      'dlq.partition': '2',
      'dlq.offset': '41',
      'dlq.received-at': '2026-01-02T03:04:05.000Z',
    })
  })

  test('a message without key or value is forwarded without them (null, not empty)', () => {
    const record = deadLetterRecord('sensor_dlq', letter(1, { key: undefined, value: undefined }))
    expect('key' in record).toBe(false)
    expect('value' in record).toBe(false)
  })
})

describe('DeadLetterTopic', () => {
  test('messages forwarded in one event-loop turn share one produce request; settle waits for the acknowledgement', async () => {
    const sends: MessageToProduce[][] = []
    let acknowledge!: () => void
    const dlq = new DeadLetterTopic('sensor_dlq', {
      send: (messages) => {
        sends.push(messages)
        return new Promise<void>((resolve) => (acknowledge = resolve))
      },
      fallback: () => expect.unreachable('nothing fails here'),
    })
    for (let offset = 0; offset < 5; offset++) dlq.forward(letter(offset))
    let settled = false
    const settling = dlq.settle().then(() => (settled = true))
    await Bun.sleep(5)
    expect(sends.map((batch) => batch.length)).toEqual([5])
    expect(settled).toBe(false)
    acknowledge()
    await settling
    expect(dlq.stats).toEqual({ forwarded: 5, fallbacks: 0 })
  })

  test('a refused batch goes to the fallback message by message, with the error, before settle resolves', async () => {
    const fallen: [bigint, string][] = []
    const lines: string[] = []
    const dlq = new DeadLetterTopic('sensor_dlq', {
      send: () => Promise.reject(new Error('MESSAGE_TOO_LARGE')),
      fallback: (message, error) => fallen.push([message.offset, error.message]),
      log: (line) => lines.push(line),
    })
    dlq.forward(letter(7))
    dlq.forward(letter(8))
    await dlq.settle()
    expect(fallen).toEqual([
      [7n, 'MESSAGE_TOO_LARGE'],
      [8n, 'MESSAGE_TOO_LARGE'],
    ])
    expect(dlq.stats).toEqual({ forwarded: 0, fallbacks: 2 })
    expect(lines).toEqual(['kafka: dead-letter topic sensor_dlq refused 2 messages (MESSAGE_TOO_LARGE); writing them to the dead-letter table instead'])
  })

  test('settle with nothing forwarded resolves at once; later forwards are sent in a new request', async () => {
    const sizes: number[] = []
    const dlq = new DeadLetterTopic('sensor_dlq', { send: async (messages) => void sizes.push(messages.length), fallback: () => {} })
    await dlq.settle()
    dlq.forward(letter(1))
    await dlq.settle()
    dlq.forward(letter(2))
    dlq.forward(letter(3))
    await dlq.settle()
    expect(sizes).toEqual([1, 2])
  })
})
