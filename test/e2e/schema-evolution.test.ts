/**
 * Issue 11 acceptance (schema evolution), on the real worker process with the stack's REST catalog, S3 and Kafka;
 * PyIceberg reads the rows and the Parquet field ids, and plays the other engine that changes the schema.
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTopic, produce } from './kafka-topics.ts'
import { restTableReport, runPython } from './pyiceberg.ts'
import { stackEnv } from './stack-env.ts'
import { stackWorkerConfig } from './worker-config.ts'
import { freePort, workerFleet, type WorkerProcess } from './worker-process.ts'

// Real services on a 2-core machine: far beyond bun's 5 s default (set per file: bun applies it to the calling file only).
setDefaultTimeout(120_000)

const brokers = [stackEnv().kafkaBootstrap]
const fleet = workerFleet()
afterAll(() => fleet.cleanup())

type Report = Awaited<ReturnType<typeof restTableReport>>
const report = restTableReport
const schemaOps = (request: Record<string, unknown>) => runPython('schema_ops.py', [JSON.stringify(request)]) as Promise<{ schema: Record<string, number>; files?: { path: string; field_ids: Record<string, number> }[] }>

const start = (config: Record<string, unknown>, name: string) => fleet.start(config, name)

async function stop(worker: WorkerProcess): Promise<void> {
  worker.process.kill('SIGTERM')
  expect(await worker.exited).toBe(0)
}

/** Polls PyIceberg until the table holds `count` rows (the worker commits every 500 ms). */
async function until(table: string, count: number, timeoutMs = 60_000): Promise<Report> {
  const deadline = Date.now() + timeoutMs
  let last: Report | undefined
  while (Date.now() < deadline) {
    last = await report(table).catch(() => undefined)
    if (last && last.count >= count) return last
    await Bun.sleep(500)
  }
  throw new Error(`table ${table} holds ${last?.count ?? 'no'} rows after ${timeoutMs} ms, expected ${count}`)
}

describe('schema evolution end to end', () => {
  test('a Kafka producer adds fields mid-stream (JSON, nested too): every row once, new columns null before and filled after, new files carry the new field ids', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `evolving_${suffix}`
    const table = `evolution_${suffix}.readings`
    await createTopic(brokers, topic, 2)
    const config = stackWorkerConfig({
      http: { port: freePort() },
      tables: [{ name: table, schema: 'id long not null, reading double', roll: { intervalMs: 500 }, kafka: { topics: [topic], groupId: `g-${suffix}` } }],
    })
    const worker = await start(config, 'worker')
    await produce(brokers, topic, Array.from({ length: 500 }, (_, id) => JSON.stringify({ id, reading: id / 10 })))
    await until(table, 500)
    await produce(brokers, topic, Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: 500 + i, reading: i, humidity: i % 100, loc: { lat: 1.5, alt: i } })))
    const after = await until(table, 1_000)
    await stop(worker)

    const ids = after.rows.map((row) => Number(row.id))
    expect(new Set(ids).size).toBe(1_000)
    expect(after.count).toBe(1_000)
    const early = after.rows.filter((row) => Number(row.id) < 500)
    const late = after.rows.filter((row) => Number(row.id) >= 500)
    expect(early.every((row) => row.humidity === null && row.loc === null)).toBe(true)
    expect(late.every((row) => row.humidity === (Number(row.id) - 500) % 100 && (row.loc as { alt: number }).alt === Number(row.id) - 500)).toBe(true)

    const ids2 = await schemaOps({ table, op: 'field_ids' })
    expect(Object.keys(ids2.schema)).toEqual(['id', 'reading', 'humidity', 'loc', 'loc.lat', 'loc.alt'])
    const newFiles = ids2.files!.filter((file) => 'humidity' in file.field_ids)
    expect(newFiles.length).toBeGreaterThan(0)
    for (const file of newFiles) {
      expect(file.field_ids.humidity).toBe(ids2.schema.humidity!)
      expect(file.field_ids['loc.alt']).toBe(ids2.schema['loc.alt']!)
    }
    const log = readFileSync(join(config.dataDir as string, 'worker.log'), 'utf8')
    expect(log).toContain(`table ${table}: schema 1: added humidity (long), loc (struct<lat: double, alt: long>)`)
  })

  test('"off": an unknown field and a string in a double column are dead letters with their reasons; their neighbours land', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const table = `evolution_${suffix}.strict`
    const config = stackWorkerConfig({ http: { port: freePort() }, tables: [{ name: table, schema: 'id long not null, reading double', schemaEvolution: 'off', roll: { intervalMs: 500 } }] })
    const worker = await start(config, 'worker')
    const response = await fetch(`${worker.url}/v1/tables/${table}/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ id: 1, reading: 1 }, { id: 2, reading: 2, humidity: 40 }, { id: 3, reading: 'hot' }, { id: 4, reading: 4 }]),
    })
    expect(await response.json()).toEqual({
      accepted: 2,
      rejected: [
        { index: 1, reason: `unknown field "humidity": table ${table} has no such column and its schemaEvolution is "off"` },
        { index: 2, reason: 'field "reading": expected double, got string "hot"' },
      ],
    })
    await stop(worker)
    expect((await report(table)).rows.map((row) => Number(row.id)).sort()).toEqual([1, 4])
    const dead = await report(`${table}_dead_letters`)
    expect(dead.rows.map((row) => row.error).sort()).toEqual([`field "reading": expected double, got string "hot"`, `unknown field "humidity": table ${table} has no such column and its schemaEvolution is "off"`])
  })

  test('a column PyIceberg adds while the worker runs is filled from then on; a column it renames keeps being filled (by id)', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const table = `evolution_${suffix}.shared`
    const config = stackWorkerConfig({ http: { port: freePort() }, tables: [{ name: table, schema: 'id long not null, reading double', roll: { intervalMs: 300 } }] })
    const worker = await start(config, 'worker')
    const post = async (records: unknown[]) => {
      const response = await fetch(`${worker.url}/v1/tables/${table}/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(records) })
      expect(response.status).toBe(200)
      return (await response.json()) as { accepted: number }
    }
    await post([{ id: 1, reading: 1 }])
    await until(table, 1)
    await schemaOps({ table, op: 'add_column', name: 'site', type: 'string' })
    const renamed = await schemaOps({ table, op: 'rename_column', from: 'reading', to: 'value' })
    expect(Object.keys(renamed.schema)).toEqual(['id', 'value', 'site'])
    // The producer still sends `reading`, and now `site` too.
    expect((await post([{ id: 2, reading: 2, site: 'north' }])).accepted).toBe(1)
    expect((await post([{ id: 3, reading: 3, site: 'south' }])).accepted).toBe(1)
    const rows = (await until(table, 3)).rows.sort((a, b) => Number(a.id) - Number(b.id))
    await stop(worker)
    expect(rows.map((row) => [Number(row.id), row.value, row.site])).toEqual([
      [1, 1, null],
      [2, 2, 'north'],
      [3, 3, 'south'],
    ])
    // No column was added for the old name: the schema is PyIceberg's.
    expect(Object.keys((await schemaOps({ table, op: 'field_ids' })).schema)).toEqual(['id', 'value', 'site'])
  })
  test('two worker processes on one REST table add the same column and each a different one at once: one schema with all three, every row present', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const table = `evolution_${suffix}.raced`
    const tableConfig = { name: table, schema: 'id long not null', roll: { intervalMs: 300 } }
    const workers = await Promise.all(['a', 'b'].map((name) => start(stackWorkerConfig({ http: { port: freePort() }, tables: [tableConfig] }), name)))
    const post = async (worker: WorkerProcess, records: unknown[]) => {
      const response = await fetch(`${worker.url}/v1/tables/${table}/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(records) })
      expect(response.status).toBe(200)
      return (await response.json()) as { accepted: number }
    }
    // Both workers load the table before either changes it, then both add `shared` and their own column at once.
    const answers = await Promise.all([
      post(workers[0]!, Array.from({ length: 50 }, (_, i) => ({ id: i, shared: `a${i}`, only_a: i }))),
      post(workers[1]!, Array.from({ length: 50 }, (_, i) => ({ id: 100 + i, shared: `b${i}`, only_b: i % 2 === 0 }))),
    ])
    expect(answers.map((answer) => answer.accepted)).toEqual([50, 50])
    const rows = (await until(table, 100)).rows
    await Promise.all(workers.map(stop))
    expect(rows.length).toBe(100)
    const fields = Object.keys((await schemaOps({ table, op: 'field_ids' })).schema)
    expect(fields.sort()).toEqual(['id', 'only_a', 'only_b', 'shared'])
    const byId = new Map(rows.map((row) => [Number(row.id), row]))
    expect(byId.get(7)).toMatchObject({ shared: 'a7', only_a: 7, only_b: null })
    expect(byId.get(108)).toMatchObject({ shared: 'b8', only_a: null, only_b: true })
  })
})
