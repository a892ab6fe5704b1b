/** KafkaSource on an upsert table over a fake consumer: Debezium events and tombstones become changes in offset order; a null value elsewhere stays a dead letter. */
import { describe, expect, test } from 'bun:test'
import type { Row } from '../../src/iceberg/types.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import type { CommittedEvent, Intake, IntakeTable, KafkaOrigin, Origin } from '../../src/pipeline/intake.ts'
import { createRecordCoercer } from '../../src/records/coerce.ts'
import type { GroupConsumer, KafkaMessage, MessageStream } from '../../src/sources/kafka/client-ports.ts'
import { KafkaSource } from '../../src/sources/kafka/kafka-source.ts'
import { isDelete } from '../../src/upsert/change.ts'
import { createUpsertIntake } from '../../src/upsert/upsert-intake.ts'
import { upsertKey } from '../../src/upsert/upsert-key.ts'

const schema = parseSchemaDsl('id long not null, name string')

function consumer() {
  let listener: (message: KafkaMessage) => void = () => {}
  const stream: MessageStream = {
    onMessage: (l) => void (listener = l),
    onError() {},
    pause() {},
    resume() {},
    isPaused: () => false,
    close: async () => {},
  }
  const fake: GroupConsumer & { send(message: KafkaMessage): void } = {
    send: (message) => listener(message),
    assignments: () => [],
    consume: async () => stream,
    commit: async () => {},
    highWatermarks: async () => new Map(),
    onGroupJoin() {},
    close: async () => {},
  }
  return fake
}

function table(name: string, upsert: boolean) {
  const coerce = createRecordCoercer(schema)
  const t = {
    name,
    accepted: [] as { row: Row; origin: Origin }[],
    deadLetters: [] as Row[],
    coerce,
    admit: coerce,
    evolveTo: async () => {},
    accept: (rows: Row[], origin: Origin) => rows.forEach((row) => t.accepted.push({ row, origin })),
    reject: (_origin: KafkaOrigin) => {},
    deadLetter: (row: Row) => void t.deadLetters.push(row),
    committedOffsets: async () => new Map<number, bigint>(),
    holdCommits: () => {},
    pendingOffset: () => undefined,
    ...(upsert ? { upsert: createUpsertIntake({ key: upsertKey(schema, ['id']), admit: coerce, httpEnvelope: 'none', kafkaEnvelope: 'debezium' }) } : {}),
  } satisfies IntakeTable & Record<string, unknown>
  return t
}

const intake = (tables: IntakeTable[]): Intake => ({
  table: (name) => tables.find((t) => t.name === name),
  router: () => undefined,
  overloaded: () => false,
  onCommitted: (_listener: (event: CommittedEvent) => void) => () => {},
})

const message = (topic: string, offset: bigint, key: string | undefined, value: string | undefined): KafkaMessage => ({
  topic,
  partition: 0,
  offset,
  key: key === undefined ? undefined : Buffer.from(key),
  value: value === undefined ? undefined : Buffer.from(value),
  headers: new Map(),
  timestamp: 0n,
})

describe('KafkaSource on an upsert table', () => {
  test('debezium c/u/d and tombstones are changes in offset order; a malformed event is a dead letter', async () => {
    const users = table('app.users', true)
    const plain = table('app.plain', false)
    const fake = consumer()
    const source = new KafkaSource({ groupId: 'g', consumer: fake, routes: [{ topic: 'users', table: users }, { topic: 'plain', table: plain }], intake: intake([users, plain]) })
    await source.start()
    fake.send(message('users', 0n, '{"id":1}', JSON.stringify({ op: 'c', before: null, after: { id: 1, name: 'a' }, source: {} })))
    fake.send(message('users', 1n, '{"id":1}', JSON.stringify({ op: 'u', before: { id: 1, name: 'a' }, after: { id: 1, name: 'b' }, source: {} })))
    fake.send(message('users', 2n, '{"id":1}', JSON.stringify({ op: 'd', before: { id: 1, name: 'b' }, after: null, source: {} })))
    fake.send(message('users', 3n, '{"id":1}', undefined))
    fake.send(message('users', 4n, '{"id":2}', ''))
    fake.send(message('users', 5n, '{"id":3}', JSON.stringify({ op: 'c', after: null })))
    fake.send(message('plain', 0n, 'k', undefined))
    expect(users.accepted.map(({ row, origin }) => [row, isDelete(row), (origin as { kafka: KafkaOrigin }).kafka.offset])).toEqual([
      [{ id: 1n, name: 'a' }, false, 0n],
      [{ id: 1n, name: 'b' }, false, 1n],
      [{ id: 1n }, true, 2n],
      [{ id: 1n }, true, 3n],
      [{ id: 2n }, true, 4n],
    ])
    expect(users.deadLetters.map((r) => r.error)).toEqual(['debezium: op "c" needs "after" as an object, got null'])
    // Not an upsert table: a null value is still a value that is not JSON.
    expect(plain.accepted).toEqual([])
    expect(plain.deadLetters.map((r) => String(r.error))).toEqual([expect.stringMatching(/^value is not JSON/)])
    await source.stop()
  })
})
