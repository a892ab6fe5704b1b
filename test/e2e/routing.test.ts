/**
 * Issue 11 acceptance (routing), on the real worker process with the stack's Kafka, REST catalog and S3;
 * PyIceberg reads every table. One topic and one HTTP endpoint (`POST /v1/records`) route by a field into
 * three tables created on first sight; a route outside the allow-list and a record without the field are
 * dead letters with the reason; a kill -9 mid-stream duplicates and loses nothing in any routed table.
 * A second route names tables by topic.
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from 'bun:test'
import { createTopic, produce } from './kafka-topics.ts'
import { restTableReport } from './pyiceberg.ts'
import { stackEnv } from './stack-env.ts'
import { stackWorkerConfig } from './worker-config.ts'
import { freePort, workerFleet } from './worker-process.ts'

setDefaultTimeout(120_000)

const brokers = [stackEnv().kafkaBootstrap]
const fleet = workerFleet()
afterAll(() => fleet.cleanup())

type Report = Awaited<ReturnType<typeof restTableReport>>
const report = restTableReport

const start = (config: Record<string, unknown>, name: string) => fleet.start(config, name)

/** Polls PyIceberg until every table holds its count (or more, which the test then fails on). */
async function until(counts: Record<string, number>, timeoutMs = 60_000): Promise<Record<string, Report>> {
  const deadline = Date.now() + timeoutMs
  let last: Record<string, Report | undefined> = {}
  while (Date.now() < deadline) {
    last = Object.fromEntries(await Promise.all(Object.keys(counts).map(async (table) => [table, await report(table).catch(() => undefined)] as const)))
    if (Object.entries(counts).every(([table, count]) => (last[table]?.count ?? 0) >= count)) return last as Record<string, Report>
    await Bun.sleep(500)
  }
  throw new Error(`tables hold ${JSON.stringify(Object.fromEntries(Object.entries(last).map(([t, r]) => [t, r?.count])))} after ${timeoutMs} ms, expected ${JSON.stringify(counts)}`)
}

const KINDS = ['click', 'view', 'order'] as const

describe('routing end to end', () => {
  test('by field: one topic and POST /v1/records make three tables (PyIceberg reads each, every row once across a kill -9); refusals are dead letters', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `routed_${suffix}`
    const ns = `routed_${suffix}`
    await createTopic(brokers, topic, 2)
    const config = stackWorkerConfig({
      http: { port: freePort() },
      tables: [],
      routes: [
        {
          route: { field: 'kind', table: `${ns}.$1`, allow: `${ns}\\.(click|view|order)` },
          schema: 'id long not null, kind string',
          roll: { intervalMs: 500 },
          kafka: { topics: [topic], groupId: `g-${suffix}` },
        },
      ],
    })
    // 3,000 Kafka records over the three kinds, then 30 refused ones (10 outside the allow-list, 20 without kind).
    const records = Array.from({ length: 3_000 }, (_, id) => JSON.stringify({ id, kind: KINDS[id % 3] }))
    const refused = [...Array.from({ length: 10 }, (_, i) => JSON.stringify({ id: 10_000 + i, kind: 'refund' })), ...Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: 20_000 + i }))]
    const first = await start(config, 'first')
    await produce(brokers, topic, records.slice(0, 1_500))
    // Some of the first half committed, not all: the kill lands between the tables' commits.
    await until({ [`${ns}.click`]: 100 })
    first.process.kill(9)
    await first.exited
    await produce(brokers, topic, [...records.slice(1_500), ...refused])
    const second = await start(config, 'second')
    const http = await fetch(`${second.url}/v1/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ id: 50_000, kind: 'click' }, { id: 50_001, kind: 'view' }, { id: 50_002, kind: 'order' }, { id: 50_003, kind: 'nope' }]),
    })
    const answer = (await http.json()) as { accepted: number; tables: Record<string, number>; rejected: { index: number; reason: string }[] }
    expect(answer.accepted).toBe(3)
    expect(answer.tables).toEqual({ [`${ns}.click`]: 1, [`${ns}.view`]: 1, [`${ns}.order`]: 1 })
    expect(answer.rejected).toEqual([{ index: 3, reason: `route field kind → ${ns}.$1: table ${ns}.nope (from kind "nope") is not allowed by the route's allow pattern ${ns}\\.(click|view|order)` }])
    const tables = await until({ [`${ns}.click`]: 1_001, [`${ns}.view`]: 1_001, [`${ns}.order`]: 1_001, [`${ns}.unrouted_dead_letters`]: 31 })
    second.process.kill('SIGTERM')
    expect(await second.exited).toBe(0)

    for (const [index, kind] of KINDS.entries()) {
      const ids = tables[`${ns}.${kind}`]!.rows.map((row) => Number(row.id)).sort((a, b) => a - b)
      const expected = [...Array.from({ length: 1_000 }, (_, i) => i * 3 + index), 50_000 + index]
      expect(ids).toEqual(expected)
    }
    const letters = (await report(`${ns}.unrouted_dead_letters`)).rows
    expect(letters.length).toBe(31)
    expect(letters.filter((row) => String(row.error).includes('is not allowed by the route')).length).toBe(11)
    expect(letters.filter((row) => String(row.error).endsWith('the record has no kind to route by')).length).toBe(20)
    expect(letters.filter((row) => row.source === 'kafka').length).toBe(30)
  })

  test('by topic: topics matching the pattern go to the table its group names, a topic created while the worker runs too', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const ns = `raw_${suffix}`
    const topics = [`sens_${suffix}.north`, `sens_${suffix}.south`]
    for (const topic of topics) await createTopic(brokers, topic, 1)
    const env = stackEnv()
    const config = stackWorkerConfig({
      http: { port: freePort() },
      kafka: { brokers: [env.kafkaBootstrap], topicRefreshMs: 1_000 },
      tables: [],
      routes: [{ route: { topicPattern: `^sens_${suffix}\\.(.+)$`, table: `${ns}.$1` }, schema: 'id long not null', roll: { intervalMs: 500 }, kafka: { groupId: `g-${suffix}` } }],
    })
    const worker = await start(config, 'worker')
    await produce(brokers, topics[0]!, Array.from({ length: 200 }, (_, id) => JSON.stringify({ id })))
    await produce(brokers, topics[1]!, Array.from({ length: 100 }, (_, id) => JSON.stringify({ id })))
    await until({ [`${ns}.north`]: 200, [`${ns}.south`]: 100 })
    // Created after the start: the worker's next look at the topics (every second here) subscribes to it.
    const late = `sens_${suffix}.east`
    await createTopic(brokers, late, 2)
    await produce(brokers, late, Array.from({ length: 150 }, (_, id) => JSON.stringify({ id })))
    // More on the first topics meanwhile: the resubscription neither loses nor repeats them.
    await produce(brokers, topics[0]!, Array.from({ length: 50 }, (_, id) => JSON.stringify({ id: 200 + id })))
    const tables = await until({ [`${ns}.north`]: 250, [`${ns}.south`]: 100, [`${ns}.east`]: 150 })
    worker.process.kill('SIGTERM')
    expect(await worker.exited).toBe(0)
    expect(tables[`${ns}.north`]!.count).toBe(250)
    expect(new Set(tables[`${ns}.north`]!.rows.map((row) => row.id)).size).toBe(250)
    expect(tables[`${ns}.south`]!.count).toBe(100)
    expect(tables[`${ns}.east`]!.count).toBe(150)
    expect(new Set(tables[`${ns}.east`]!.rows.map((row) => row.id)).size).toBe(150)
  })
})
