/** KafkaSource over fake client ports and a recording intake: routing, redeliveries, dead letters, backpressure, group offsets. */
import { describe, expect, test } from 'bun:test'
import type { CommittedEvent, Intake, IntakeTable, KafkaOrigin, Origin } from '../../../src/pipeline/intake.ts'
import type { Row } from '../../../src/iceberg/types.ts'
import type { DeadLetterProducer, GroupConsumer, KafkaMessage, MessageStream } from '../../../src/sources/kafka/client-ports.ts'
import { DeadLetterTopicError, KafkaSource } from '../../../src/sources/kafka/kafka-source.ts'

class FakeStream implements MessageStream {
  listener: (message: KafkaMessage) => void = () => {}
  paused = false
  closed = false
  onMessage(listener: (message: KafkaMessage) => void) {
    this.listener = listener
  }
  onError() {}
  pause() {
    this.paused = true
  }
  resume() {
    this.paused = false
  }
  isPaused() {
    return this.paused
  }
  async close() {
    this.closed = true
  }
}

function fakeConsumer() {
  const stream = new FakeStream()
  const commits: { topic: string; partition: number; offset: bigint }[][] = []
  const joins: (() => void)[] = []
  const consumer: GroupConsumer & { stream: FakeStream; commits: typeof commits; assigned: { topic: string; partitions: number[] }[]; join(): void; consumed?: { topics: string[]; startFrom: string } } = {
    stream,
    commits,
    assigned: [],
    assignments: () => consumer.assigned,
    join: () => joins.forEach((listener) => listener()),
    async consume(topics, startFrom) {
      consumer.consumed = { topics, startFrom }
      return stream
    },
    async commit(offsets) {
      commits.push(offsets)
    },
    async highWatermarks(topics) {
      return new Map(topics.map((topic) => [topic, [10n]]))
    },
    onGroupJoin: (listener) => void joins.push(listener),
    async close() {},
  }
  return consumer
}

/** An intake table that records what it is handed; `committed` plays the table's markers. */
function recordingTable(name: string, committed: Map<string, Map<number, bigint>> = new Map()) {
  const coerce = (input: unknown) => {
    const id = (input as { id?: unknown }).id
    return typeof id === 'number' ? { ok: true as const, row: { id: BigInt(id) } as Row } : { ok: false as const, reason: 'field "id": expected long' }
  }
  const table = {
    name,
    accepted: [] as { row: Row; origin: Origin }[],
    rejected: [] as KafkaOrigin[],
    deadLetters: [] as { row: Row; origin: Origin }[],
    barriers: [] as (() => Promise<void>)[],
    committed,
    coerce,
    admit: coerce,
    evolveTo: async () => {},
    accept: (rows: Row[], origin: Origin) => rows.forEach((row) => table.accepted.push({ row, origin })),
    reject: (origin: KafkaOrigin) => void table.rejected.push(origin),
    deadLetter: (row: Row, origin: Origin) => void table.deadLetters.push({ row, origin }),
    committedOffsets: async (topic: string) => committed.get(topic) ?? new Map<number, bigint>(),
    holdCommits: (barrier: () => Promise<void>) => void table.barriers.push(barrier),
    pendingOffset: () => undefined,
  } satisfies IntakeTable & Record<string, unknown>
  return table
}

function recordingIntake(tables: IntakeTable[]) {
  const listeners = new Set<(event: CommittedEvent) => void>()
  const intake: Intake & { overloadedNow: boolean; commit(event: CommittedEvent): void; listeners: typeof listeners } = {
    overloadedNow: false,
    listeners,
    table: (name) => tables.find((t) => t.name === name),
    overloaded: () => intake.overloadedNow,
    router: () => undefined,
    onCommitted: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    commit: (event) => listeners.forEach((listener) => listener(event)),
  }
  return intake
}

const message = (topic: string, partition: number, offset: bigint, value: string): KafkaMessage => ({
  topic,
  partition,
  offset,
  key: Buffer.from(`k${offset}`),
  value: Buffer.from(value),
  headers: new Map(),
  timestamp: 1_700_000_000_000n,
})

describe('KafkaSource', () => {
  test('each topic feeds its table; offsets the table already holds are skipped as redeliveries', async () => {
    const events = recordingTable('ns.events', new Map([['events', new Map([[0, 5n]])]]))
    const other = recordingTable('ns.other')
    const consumer = fakeConsumer()
    const source = new KafkaSource({ groupId: 'g', consumer, routes: [{ topic: 'events', table: events }, { topic: 'others', table: other }], startFrom: 'latest', intake: recordingIntake([events, other]) })
    await source.start()
    expect(consumer.consumed).toEqual({ topics: ['events', 'others'], startFrom: 'latest' })
    for (const offset of [3n, 4n, 5n, 6n]) consumer.stream.listener(message('events', 0, offset, `{"id":${offset}}`))
    consumer.stream.listener(message('events', 0, 6n, '{"id":6}')) // redelivered in the same run
    consumer.stream.listener(message('others', 1, 0n, '{"id":100}'))
    expect(events.accepted.map((a) => a.origin)).toEqual([
      { kafka: { topic: 'events', partition: 0, offset: 5n } },
      { kafka: { topic: 'events', partition: 0, offset: 6n } },
    ])
    expect(other.accepted.map((a) => a.row)).toEqual([{ id: 100n }])
    expect(source.consumed).toEqual({ messages: 3, skipped: 3, deadLetters: 0 })
    await source.stop()
    expect(consumer.stream.closed).toBe(true)
  })

  test('a bad message moves the table past its offset and becomes a dead-letter row with the reason and the raw value', async () => {
    const events = recordingTable('ns.events')
    const consumer = fakeConsumer()
    const source = new KafkaSource({ groupId: 'g', consumer, routes: [{ topic: 'events', table: events }], intake: recordingIntake([events]) })
    await source.start()
    consumer.stream.listener(message('events', 2, 7n, 'not json'))
    consumer.stream.listener(message('events', 2, 8n, '{"id":"x"}'))
    consumer.stream.listener(message('events', 2, 9n, '[1]'))
    expect(events.rejected).toEqual([7n, 8n, 9n].map((offset) => ({ topic: 'events', partition: 2, offset })))
    expect(events.deadLetters.map((d) => [d.row.error, d.row.raw, d.row.key, d.row.offset])).toEqual([
      [expect.stringMatching(/^value is not JSON/), 'not json', 'k7', 7n],
      ['field "id": expected long', '{"id":"x"}', 'k8', 8n],
      ['value is not a JSON object', '[1]', 'k9', 9n],
    ])
    expect(events.deadLetters[0]!.origin).toEqual({ kafka: { topic: 'events', partition: 2, offset: 7n } })
    await source.stop()
  })

  test('with a dead-letter topic: bad messages are produced there, commits wait for the acks, a refused one goes to the dead-letter table', async () => {
    const events = recordingTable('ns.events')
    const consumer = fakeConsumer()
    const sent: unknown[][] = []
    let refuse = false
    const producer: DeadLetterProducer = {
      checkTopic: async () => {},
      send: async (messages) => {
        if (refuse) throw new Error('MESSAGE_TOO_LARGE')
        sent.push(messages)
      },
      close: async () => {},
    }
    const source = new KafkaSource({ groupId: 'g', consumer, producer, routes: [{ topic: 'events', table: events, deadLetterTopic: 'events-dlq' }], intake: recordingIntake([events]) })
    expect(events.barriers).toHaveLength(1)
    await source.start()
    consumer.stream.listener(message('events', 0, 1n, 'bad'))
    await events.barriers[0]!() // what the table's next commit awaits
    expect(sent).toHaveLength(1)
    expect(events.rejected).toEqual([{ topic: 'events', partition: 0, offset: 1n }])
    expect(events.deadLetters).toEqual([])
    refuse = true
    consumer.stream.listener(message('events', 0, 2n, 'bad too'))
    await events.barriers[0]!()
    expect(events.deadLetters.map((d) => d.row.error)).toEqual([expect.stringContaining('(dead-letter topic events-dlq refused it: MESSAGE_TOO_LARGE)')])
    await source.stop()
  })

  test('a dead-letter topic the broker lacks stops start, naming it', async () => {
    const events = recordingTable('ns.events')
    const producer: DeadLetterProducer = { checkTopic: async () => Promise.reject(new Error('UNKNOWN_TOPIC_OR_PARTITION')), send: async () => {}, close: async () => {} }
    const source = new KafkaSource({ groupId: 'g', consumer: fakeConsumer(), producer, routes: [{ topic: 'events', table: events, deadLetterTopic: 'nope' }], intake: recordingIntake([events]) })
    const error = await source.start().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DeadLetterTopicError)
    expect((error as Error).message).toContain('dead-letter topic nope is not available (UNKNOWN_TOPIC_OR_PARTITION); create it, e.g. bun run topics create nope')
  })

  test('fetching pauses while the intake is overloaded and resumes after', async () => {
    const events = recordingTable('ns.events')
    const consumer = fakeConsumer()
    const intake = recordingIntake([events])
    const source = new KafkaSource({ groupId: 'g', consumer, routes: [{ topic: 'events', table: events }], intake, pauseCheckMs: 5 })
    await source.start()
    intake.overloadedNow = true
    await Bun.sleep(30)
    expect(consumer.stream.paused).toBe(true)
    intake.overloadedNow = false
    await Bun.sleep(30)
    expect(consumer.stream.paused).toBe(false)
    await source.stop()
  })

  test('a long fetch yields the event loop every 2,048 messages, and the stream goes on next turn unless the intake is overloaded', async () => {
    const events = recordingTable('ns.events')
    const consumer = fakeConsumer()
    const intake = recordingIntake([events])
    const source = new KafkaSource({ groupId: 'g', consumer, routes: [{ topic: 'events', table: events }], intake, pauseCheckMs: 60_000 })
    await source.start()
    const deliver = (from: number, count: number) => {
      for (let offset = from; offset < from + count; offset++) consumer.stream.listener(message('events', 0, BigInt(offset), `{"id":${offset}}`))
    }
    deliver(0, 2_047)
    expect(consumer.stream.paused).toBe(false)
    deliver(2_047, 1)
    expect(consumer.stream.paused).toBe(true)
    await new Promise((resolve) => setImmediate(resolve))
    expect(consumer.stream.paused).toBe(false)
    // Overloaded once the next yield has paused: the next turn leaves it paused, for backpressure.
    deliver(2_048, 2_048)
    expect(consumer.stream.paused).toBe(true)
    intake.overloadedNow = true
    await new Promise((resolve) => setImmediate(resolve))
    expect(consumer.stream.paused).toBe(true)
    expect(events.accepted.length).toBe(4_096)
    await source.stop()
  })

  test("a table commit commits the group's offsets of the routed topics only; a rejoin reloads what the tables hold", async () => {
    const committed = new Map<string, Map<number, bigint>>()
    const events = recordingTable('ns.events', committed)
    const consumer = fakeConsumer()
    const intake = recordingIntake([events])
    const source = new KafkaSource({ groupId: 'g', consumer, routes: [{ topic: 'events', table: events }], intake })
    await source.start()
    intake.commit({
      table: { namespace: ['ns'], name: 'events' },
      snapshotId: 1n,
      rows: 2,
      files: 1,
      reason: 'interval',
      durationMs: 1,
      markers: { kafka: new Map([['events', new Map([[0, { first: 0n, next: 2n }]])], ['elsewhere', new Map([[0, { first: 0n, next: 9n }]])]]) },
    } as CommittedEvent)
    expect(consumer.commits).toEqual([[{ topic: 'events', partition: 0, offset: 2n }]])
    // Another worker committed offsets up to 50 of partition 3, which then moved here.
    committed.set('events', new Map([[3, 50n]]))
    consumer.join()
    await Bun.sleep(0)
    consumer.stream.listener(message('events', 3, 49n, '{"id":49}'))
    consumer.stream.listener(message('events', 3, 50n, '{"id":50}'))
    expect(events.accepted.map((a) => a.row)).toEqual([{ id: 50n }])
    await source.stop()
    expect(intake.listeners.size).toBe(0)
  })

  test('owns: the partitions the group assigns this worker now, as they move', () => {
    const events = recordingTable('ns.events')
    const consumer = fakeConsumer()
    const source = new KafkaSource({ groupId: 'g', consumer, routes: [{ topic: 'events', table: events }], intake: recordingIntake([events]) })
    expect(source.owns('events', 0)).toBe(false)
    consumer.assigned = [{ topic: 'events', partitions: [3, 0] }, { topic: 'other', partitions: [1] }]
    expect([source.owns('events', 0), source.owns('events', 1), source.owns('other', 1), source.owns('other', 0)]).toEqual([true, false, true, false])
    consumer.assigned = [{ topic: 'events', partitions: [1] }]
    expect(source.owns('events', 0)).toBe(false)
  })
})
