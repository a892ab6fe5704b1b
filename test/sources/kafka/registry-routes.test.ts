/**
 * KafkaSource with a registry-format route (fake client ports, a fake registry over fetch, a recording
 * table): messages wait for the registry and for the table to evolve to a new writer schema, in order,
 * with the stream paused meanwhile; undecodable values are dead letters with their reason.
 */
import { describe, expect, test } from 'bun:test'
import avro from 'avsc'
import type { Row, StructType } from '../../../src/iceberg/types.ts'
import type { CommittedEvent, Intake, IntakeTable, KafkaOrigin, Origin } from '../../../src/pipeline/intake.ts'
import { createRegistryDecoder } from '../../../src/schema-registry/registry-decoder.ts'
import { createSchemaRegistryClient } from '../../../src/schema-registry/registry-client.ts'
import { writeFrame } from '../../../src/schema-registry/wire-format.ts'
import type { GroupConsumer, KafkaMessage, MessageStream } from '../../../src/sources/kafka/client-ports.ts'
import { KafkaSource } from '../../../src/sources/kafka/kafka-source.ts'

const V1 = { type: 'record', name: 'Reading', fields: [{ name: 'id', type: 'long' }] }
const V2 = { type: 'record', name: 'Reading', fields: [{ name: 'id', type: 'long' }, { name: 'note', type: ['null', 'string'], default: null }] }

interface FakeStream extends MessageStream {
  listener: (message: KafkaMessage) => void
  paused: boolean
  pauses: number
}

function fakeStream(): FakeStream {
  const stream: FakeStream = {
    listener: (_message: KafkaMessage) => {},
    paused: false,
    pauses: 0,
    onMessage(listener: (message: KafkaMessage) => void) {
      stream.listener = listener
    },
    onError() {},
    pause() {
      stream.paused = true
      stream.pauses++
    },
    resume() {
      stream.paused = false
    },
    isPaused: () => stream.paused,
    async close() {},
  }
  return stream
}

function fakeConsumer(stream: MessageStream): GroupConsumer {
  return {
    consume: async () => stream,
    commit: async () => {},
    highWatermarks: async (topics) => new Map(topics.map((topic) => [topic, [0n]])),
    onGroupJoin: () => {},
    assignments: () => [],
    close: async () => {},
  }
}

/** A table whose rows are the admitted records themselves; `evolveTo` is recorded and waits for `release()`. */
function recordingTable() {
  let release: () => void = () => {}
  const table = {
    name: 'ns.readings',
    events: [] as string[],
    accepted: [] as { row: Row; origin: Origin }[],
    rejected: [] as KafkaOrigin[],
    deadLetters: [] as Row[],
    release: () => release(),
    coerce: (input: unknown) => ({ ok: true as const, row: { ...(input as Row) } }),
    admit: (input: unknown) => ({ ok: true as const, row: { ...(input as Row) } }),
    evolveTo(fields: StructType) {
      table.events.push(`evolveTo ${fields.fields.map((f) => f.name).join(',')}`)
      return new Promise<void>((resolve) => (release = resolve))
    },
    accept: (rows: Row[], origin: Origin) => rows.forEach((row) => table.accepted.push({ row, origin })),
    reject: (origin: KafkaOrigin) => void table.rejected.push(origin),
    deadLetter: (row: Row) => void table.deadLetters.push(row),
    committedOffsets: async () => new Map<number, bigint>(),
    holdCommits: () => {},
    pendingOffset: () => undefined,
  } satisfies IntakeTable & Record<string, unknown>
  return table
}

function intakeOf(table: IntakeTable): Intake {
  return { table: () => table, router: () => undefined, overloaded: () => false, onCommitted: (_listener: (event: CommittedEvent) => void) => () => {} }
}

/** A registry whose answers wait until `answer()`; ids 1 and 2 are V1 and V2. */
function slowRegistry() {
  const gates: (() => void)[] = []
  const fetch = (async (input: RequestInfo | URL) => {
    const id = Number(/(\d+)$/.exec(String(input))![1])
    await new Promise<void>((resolve) => gates.push(resolve))
    const schema = id === 1 ? V1 : id === 2 ? V2 : undefined
    return schema ? Response.json({ schema: JSON.stringify(schema) }) : new Response('{"message":"not found","error_code":40403}', { status: 404 })
  }) as typeof globalThis.fetch
  return { fetch, answer: () => gates.splice(0).forEach((open) => open()) }
}

const message = (offset: bigint, value: Uint8Array): KafkaMessage => ({ topic: 'readings', partition: 0, offset, key: undefined, value: Buffer.from(value), headers: new Map(), timestamp: 0n })
const framed = (id: number, schema: unknown, value: unknown) => writeFrame(id, new Uint8Array(avro.Type.forSchema(schema as avro.Schema).toBuffer(value)))
const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

async function setUp() {
  const stream = fakeStream()
  const table = recordingTable()
  const registry = slowRegistry()
  const decoder = createRegistryDecoder({ format: 'avro', registry: createSchemaRegistryClient({ url: 'http://registry', fetch: registry.fetch }) })
  const source = new KafkaSource({ groupId: 'g', consumer: fakeConsumer(stream), routes: [{ topic: 'readings', table, decoder, columns: { offset: 'offset' } }], intake: intakeOf(table), pauseCheckMs: 1 })
  await source.start()
  return { stream, table, registry, source }
}

describe('KafkaSource with a registry format', () => {
  test('registry lookups and writer schemas hold the stream; every message lands in offset order', async () => {
    const { stream, table, registry, source } = await setUp()
    stream.listener(message(0n, framed(1, V1, { id: 10 })))
    expect(stream.paused).toBe(true) // waiting for the registry
    stream.listener(message(1n, framed(1, V1, { id: 11 })))
    stream.listener(message(2n, framed(2, V2, { id: 12, note: 'new field' })))
    stream.listener(message(3n, framed(1, V1, { id: 13 })))
    registry.answer()
    await tick()
    // The table evolves to schema 1 before its first record lands.
    expect(table.events).toEqual(['evolveTo id'])
    expect(table.accepted).toEqual([])
    table.release()
    await tick()
    registry.answer() // schema 2, asked for when message 2 came up
    await tick()
    expect(table.events).toEqual(['evolveTo id', 'evolveTo id,note'])
    expect(stream.paused).toBe(true)
    table.release()
    await tick()
    expect(table.accepted.map((a) => a.row)).toEqual([
      { id: 10, offset: '0' },
      { id: 11, offset: '1' },
      { id: 12, note: 'new field', offset: '2' },
      { id: 13, offset: '3' },
    ])
    expect(stream.paused).toBe(false)
    // Known ids from now on: decoded at once, no more waits.
    const pauses = stream.pauses
    stream.listener(message(4n, framed(2, V2, { id: 14, note: null })))
    expect(table.accepted.at(-1)!.row).toEqual({ id: 14, note: null, offset: '4' })
    expect(stream.pauses).toBe(pauses)
    await source.stop()
  })

  test('no magic byte, an unknown schema id, a payload that does not decode: dead letters with their reason, base64 raw; neighbours land', async () => {
    const { stream, table, registry, source } = await setUp()
    stream.listener(message(0n, new TextEncoder().encode('{"id": 1}')))
    stream.listener(message(1n, framed(77, V1, { id: 1 })))
    registry.answer()
    await tick()
    stream.listener(message(2n, framed(1, V1, { id: 2 })))
    registry.answer()
    await tick()
    table.release()
    await tick()
    stream.listener(message(3n, writeFrame(1, new Uint8Array([0x80]))))
    stream.listener(message(4n, framed(1, V1, { id: 4 })))
    expect(table.accepted.map((a) => a.row.id)).toEqual([2, 4])
    expect(table.rejected.map((o) => o.offset)).toEqual([0n, 1n, 3n])
    expect(table.deadLetters.map((row) => row.error)).toEqual([
      'not in the Confluent wire format: first byte is 0x7b, expected magic byte 0x00',
      expect.stringMatching(/^unknown schema id 77: GET http:\/\/registry\/schemas\/ids\/77 answered 404/),
      expect.stringContaining('Avro payload does not decode with schema id 1'),
    ])
    expect(table.deadLetters[0]!.raw).toBe(btoa('{"id": 1}'))
    await source.stop()
  })

  test('a stop while messages wait hands none of them over afterwards', async () => {
    const { stream, table, registry, source } = await setUp()
    stream.listener(message(0n, framed(1, V1, { id: 1 })))
    await source.stop()
    registry.answer()
    await tick()
    table.release()
    await tick()
    expect(table.accepted).toEqual([])
  })
})
