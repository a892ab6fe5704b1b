/**
 * Issue 11, item 3 against the real stack: Avro, Protobuf and JSON Schema messages in the Confluent wire
 * format, their schemas registered in the stack's schema registry (Apicurio Registry, Confluent API),
 * consumed by the worker into Iceberg tables that PyIceberg reads. The Avro schema gains a field and
 * widens an int mid-stream; bad messages (no magic byte, an unknown schema id, a truncated payload) are
 * dead letters with their reason while their neighbours land.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { Producer } from '@platformatic/kafka'
import avro from 'avsc'
import protobuf from 'protobufjs'
import { parseConfig } from '../../src/config/config.ts'
import { writeFrame, writeMessageIndexes } from '../../src/schema-registry/wire-format.ts'
import { startWorker, type RunningWorker } from '../../src/worker/ingest-worker.ts'
import { createTopic } from './kafka-topics.ts'
import { runPython } from './pyiceberg.ts'
import { schemaRegistryUrl, stackEnv } from './stack-env.ts'
import { stackWorkerConfig } from './worker-config.ts'

setDefaultTimeout(120_000)

interface Report {
  count: number
  rows?: Record<string, unknown>[]
  schema: { fields: { id: number; name: string; type: unknown; required: boolean }[] }
}

const env = stackEnv()
const registry = schemaRegistryUrl()
const brokers = [env.kafkaBootstrap]
const dirs: string[] = []
const workers: RunningWorker[] = []
afterAll(async () => {
  for (const worker of workers) await worker.stop()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** Registers `schema` under `subject` in the stack's registry; returns its id. */
async function register(subject: string, schema: string, schemaType?: 'PROTOBUF' | 'JSON'): Promise<number> {
  const response = await fetch(`${registry}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema, ...(schemaType ? { schemaType } : {}) }),
  })
  if (!response.ok) throw new Error(`registering ${subject}: ${response.status} ${await response.text()}`)
  return ((await response.json()) as { id: number }).id
}

/** Sends binary values with string keys, in order, idempotently (no duplicates on a retry). */
async function produceBytes(topic: string, messages: { key: string; value: Uint8Array }[]): Promise<void> {
  const producer = new Producer({ clientId: 'e2e-registry-producer', bootstrapBrokers: brokers, idempotent: true })
  try {
    for (let start = 0; start < messages.length; start += 500) {
      await producer.send({ messages: messages.slice(start, start + 500).map(({ key, value }) => ({ topic, key: Buffer.from(key), value: Buffer.from(value) })) })
    }
  } finally {
    await producer.close()
  }
}

async function report(table: string): Promise<Report> {
  return (await runPython('table_report.py', [JSON.stringify({ table, catalog: { type: 'rest' }, rows: true })])) as Report
}

async function waitForRows(table: string, count: number, timeoutMs: number): Promise<Report> {
  const deadline = Date.now() + timeoutMs
  let last: Report | undefined
  while (Date.now() < deadline) {
    try {
      last = await report(table)
      if (last.count >= count) return last
    } catch {
      // not created yet
    }
    await Bun.sleep(500)
  }
  return last ?? report(table)
}

function startRegistryWorker(tables: unknown[]) {
  const raw = stackWorkerConfig({ kafka: { brokers, schemaRegistry: { url: registry } }, tables })
  dirs.push(raw.dataDir as string)
  return startWorker(parseConfig(raw, {}), () => {})
}

const V1 = {
  type: 'record',
  name: 'Reading',
  namespace: 'e2e',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'sensor', type: 'string' },
    { name: 'reading', type: 'int' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
  ],
}
/** v2: a new optional field, and `reading` widened from int to long. */
const V2 = { ...V1, fields: [...V1.fields.map((f) => (f.name === 'reading' ? { name: 'reading', type: 'long' } : f)), { name: 'note', type: ['null', 'string'], default: null }] }

/** The unscaled two's-complement bytes of a non-negative decimal. */
function unscaled(value: number): Buffer {
  const hex = value.toString(16)
  const bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex')
  return bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes
}

describe('registry formats on Kafka → Iceberg', () => {
  test('Avro: the registry schema gains a field and widens an int mid-stream; every row lands once; bad messages are dead letters', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `avro_readings_${suffix}`
    const table = `registry_${suffix}.readings`
    await createTopic(brokers, topic, 2)
    const v1 = await register(`${topic}-value`, JSON.stringify(V1))
    const v2 = await register(`${topic}-value`, JSON.stringify(V2))
    expect(v2).not.toBe(v1)
    const t1 = avro.Type.forSchema(V1 as avro.Schema)
    const t2 = avro.Type.forSchema(V2 as avro.Schema)
    const at = (id: number) => 1_767_225_600_000 + id
    const messages: { key: string; value: Uint8Array }[] = []
    for (let id = 0; id < 600; id++) {
      messages.push({ key: String(id), value: writeFrame(v1, new Uint8Array(t1.toBuffer({ id, sensor: `s${id % 3}`, reading: id, at: at(id), price: unscaled(id * 100 + 25), day: 20_454 }))) })
    }
    // Bad ones in the middle of each partition: no magic byte, an id the registry never issued, a payload cut short.
    messages.push({ key: 'bad-0', value: new TextEncoder().encode('{"id": -1}') })
    messages.push({ key: 'bad-1', value: writeFrame(2_000_000_000, new Uint8Array(t1.toBuffer({ id: -2, sensor: 'x', reading: 0, at: 0, price: unscaled(0), day: 0 }))) })
    messages.push({ key: 'bad-2', value: writeFrame(v1, new Uint8Array([0x02])) })
    for (let id = 600; id < 1000; id++) {
      const reading = 3_000_000_000 + id // past int32: the widened column holds it
      messages.push({ key: String(id), value: writeFrame(v2, new Uint8Array(t2.toBuffer({ id, sensor: `s${id % 3}`, reading, at: at(id), price: unscaled(id * 100 + 25), day: 20_455, note: id % 2 ? `n${id}` : null }))) })
    }
    await produceBytes(topic, messages)
    workers.push(
      await startRegistryWorker([
        {
          name: table,
          schema: 'id long not null, sensor string',
          schemaEvolution: 'add-and-widen',
          roll: { intervalMs: 1_000 },
          http: false,
          kafka: { topics: [topic], groupId: `g-${suffix}`, format: 'avro' },
        },
      ]),
    )
    const main = await waitForRows(table, 1000, 60_000)
    expect(main.count).toBe(1000)
    const rows = new Map(main.rows!.map((row) => [row.id as number, row]))
    expect(rows.size).toBe(1000)
    expect(rows.get(7)).toEqual({ id: 7, sensor: 's1', reading: 7, at: '2026-01-01T00:00:00.007000+00:00', price: '7.25', day: '2026-01-01', note: null })
    expect(rows.get(601)).toEqual({ id: 601, sensor: 's1', reading: 3_000_000_601, at: '2026-01-01T00:00:00.601000+00:00', price: '601.25', day: '2026-01-02', note: 'n601' })
    expect(rows.get(602)!.note).toBeNull()
    // The writer's columns joined the table; ids kept for the declared ones, new ids after them; reading widened in place.
    const fields = Object.fromEntries(main.schema.fields.map((f) => [f.name, f]))
    expect(Object.keys(fields)).toEqual(['id', 'sensor', 'reading', 'at', 'price', 'day', 'note'])
    expect([fields.id!.id, fields.sensor!.id]).toEqual([1, 2])
    expect(fields.reading!.type).toBe('long')
    expect([fields.at!.type, fields.price!.type, fields.day!.type, fields.note!.type]).toEqual(['timestamptz', 'decimal(9, 2)', 'date', 'string'])
    expect(fields.note!.id).toBeGreaterThan(Math.max(...['id', 'sensor', 'reading', 'at', 'price', 'day'].map((name) => fields[name]!.id)))
    // The data files written after v2 carry the new column under the table's id for it (Parquet field ids, read by pyarrow).
    const ids = (await runPython('schema_ops.py', [JSON.stringify({ table, op: 'field_ids' })])) as { schema: Record<string, number>; files: { field_ids: Record<string, number> }[] }
    expect(ids.files.some((file) => file.field_ids.note === fields.note!.id)).toBe(true)
    for (const file of ids.files) for (const [name, id] of Object.entries(file.field_ids)) expect([name, id]).toEqual([name, ids.schema[name]!])

    const dead = await waitForRows(`${table}_dead_letters`, 3, 20_000)
    expect(dead.count).toBe(3)
    const reasons = dead.rows!.map((row) => row.error as string).sort()
    expect(reasons).toEqual([
      expect.stringContaining(`Avro payload does not decode with schema id ${v1}`),
      'not in the Confluent wire format: first byte is 0x7b, expected magic byte 0x00',
      expect.stringMatching(new RegExp(`^unknown schema id 2000000000: GET ${registry.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/schemas/ids/2000000000 answered 404`)),
    ])
    for (const row of dead.rows!) {
      expect(row.topic).toBe(topic)
      expect(typeof row.raw).toBe('string') // base64 of the value as received
    }
    expect(dead.rows!.find((row) => (row.error as string).startsWith('not in'))!.raw).toBe(btoa('{"id": -1}'))
  })

  test('Protobuf and JSON Schema topics land through the same registry', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const protoTopic = `proto_orders_${suffix}`
    const jsonTopic = `jsonschema_orders_${suffix}`
    await createTopic(brokers, protoTopic, 1)
    await createTopic(brokers, jsonTopic, 1)
    const proto = `syntax = "proto3";
package e2e;
import "google/protobuf/timestamp.proto";
message Order {
  int64 id = 1;
  string customer = 2;
  repeated string tags = 3;
  google.protobuf.Timestamp placed_at = 4;
  optional double discount = 5;
}
`
    const protoId = await register(`${protoTopic}-value`, proto, 'PROTOBUF')
    const jsonSchema = { type: 'object', required: ['id'], properties: { id: { type: 'integer' }, placed_at: { type: 'string', format: 'date-time' }, total: { type: 'number' } } }
    const jsonId = await register(`${jsonTopic}-value`, JSON.stringify(jsonSchema), 'JSON')
    const parsed = protobuf.parse(proto, { keepCase: true })
    for (const file of parsed.imports ?? []) parsed.root.addJSON(protobuf.common.get(file)!.nested!)
    const Order = parsed.root.lookupType('e2e.Order')
    const orders = Array.from({ length: 50 }, (_, id) => {
      const body = Order.encode(Order.fromObject({ id, customer: `c${id}`, tags: ['a', `t${id}`], placed_at: { seconds: 1_767_225_600 + id, nanos: 0 }, ...(id % 2 ? { discount: 0.5 } : {}) })).finish()
      return { key: String(id), value: writeFrame(protoId, new Uint8Array([...writeMessageIndexes([0]), ...body])) }
    })
    await produceBytes(protoTopic, orders)
    const encoder = new TextEncoder()
    await produceBytes(jsonTopic, Array.from({ length: 50 }, (_, id) => ({ key: String(id), value: writeFrame(jsonId, encoder.encode(JSON.stringify({ id, placed_at: `2026-01-01T00:00:${String(id % 60).padStart(2, '0')}Z`, total: id / 4 }))) })))
    workers.push(
      await startRegistryWorker([
        { name: `registry_${suffix}.proto_orders`, schema: 'id long not null', roll: { intervalMs: 1_000 }, http: false, kafka: { topics: [protoTopic], groupId: `gp-${suffix}`, format: 'protobuf' } },
        { name: `registry_${suffix}.json_orders`, schema: 'id long not null', roll: { intervalMs: 1_000 }, http: false, kafka: { topics: [jsonTopic], groupId: `gj-${suffix}`, format: 'json-schema' } },
      ]),
    )
    const protoRows = await waitForRows(`registry_${suffix}.proto_orders`, 50, 60_000)
    expect(protoRows.count).toBe(50)
    const third = protoRows.rows!.find((row) => row.id === 3)
    expect(third).toEqual({ id: 3, customer: 'c3', tags: ['a', 't3'], placed_at: '2026-01-01T00:00:03+00:00', discount: 0.5 })
    expect(protoRows.rows!.find((row) => row.id === 4)!.discount).toBeNull()
    const jsonRows = await waitForRows(`registry_${suffix}.json_orders`, 50, 60_000)
    expect(jsonRows.count).toBe(50)
    expect(jsonRows.rows!.find((row) => row.id === 10)).toEqual({ id: 10, placed_at: '2026-01-01T00:00:10+00:00', total: 2.5 })
    expect(jsonRows.schema.fields.map((f) => [f.name, f.type])).toEqual([['id', 'long'], ['placed_at', 'timestamptz'], ['total', 'double']])
  })
})
