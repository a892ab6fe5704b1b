/**
 * Issue 14 item 4, HTTP half, on the stack (Kafka, S3 server, REST catalog; PyIceberg reads): a worker
 * behind a load balancer that takes HTTP for a shared table without reading its topics
 * (`kafka.consume: false`) hands its batches to the group's committer over the control topic instead
 * of committing them. Every id, Kafka's and HTTP's, lands exactly once; the HTTP worker hands off and
 * never falls back to a commit of its own; its WAL is released once the committer's snapshots hold it.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { createTopic, produce } from './kafka-topics.ts'
import { runPython } from './pyiceberg.ts'
import { stackEnv } from './stack-env.ts'
import { waitFor } from './wait-for.ts'
import { stackWorkerConfig } from './worker-config.ts'
import { freePort, startPoster, workerFleet } from './worker-process.ts'

const brokers = [stackEnv().kafkaBootstrap]
const fleet = workerFleet()
afterAll(() => fleet.cleanup())

interface Report {
  count: number
  distinct: number
  snapshots: { operation: string; added_records: number; handoffs: number }[]
}

const KAFKA_MESSAGES = 5_000

function workerConfig(table: string, topic: string, controlTopic: string, group: string, consume: boolean) {
  return stackWorkerConfig({
    http: { enabled: true, host: '127.0.0.1', port: freePort() },
    kafka: { brokers, sessionTimeoutMs: 3_000, heartbeatIntervalMs: 300 },
    tables: [{ name: table, schema: 'id long not null, src string', roll: { intervalMs: 1_000 }, kafka: { topics: [topic], groupId: group, controlTopic, consume } }],
  })
}

const gauge = (text: string, name: string, table: string) => Number(new RegExp(`^${name}\\{table="${table}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN)
/** A counter is rendered from its first increment on: absent is zero. */
const counter = (text: string, name: string, table: string) => (text.includes(`${name}{table="${table}"}`) ? gauge(text, name, table) : 0)

describe('shared commits: an HTTP-only worker beside the group', () => {
  test('its HTTP rows go to the committer’s snapshots, once each, with the Kafka rows', async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const topic = `shttp_${suffix}`
    const controlTopic = `shttp_${suffix}_control`
    const table = `shttp_${suffix}.events`
    await createTopic(brokers, topic, 2)
    await createTopic(brokers, controlTopic, 1)
    // Each config makes its data dir: made right before its worker starts, so the fleet removes every one.
    const consumerConfig = workerConfig(table, topic, controlTopic, `g-${suffix}`, true)
    const committer = await fleet.start(consumerConfig, 'consumer')
    const committerLog = `${consumerConfig.dataDir as string}/consumer.log`
    await produce(brokers, topic, Array.from({ length: KAFKA_MESSAGES }, (_, i) => JSON.stringify({ id: i, src: 'kafka' })), 1_000)
    // The role shows in the log with the first batch the consuming worker commits.
    await waitFor('the consuming worker to take the committer role', 30_000, () =>
      existsSync(committerLog) && readFileSync(committerLog, 'utf8').includes('this worker commits the table now') ? true : undefined,
    )
    const httpConfig = workerConfig(table, topic, controlTopic, `g-${suffix}`, false)
    const httpWorker = await fleet.start(httpConfig, 'http-only')
    const httpLog = readFileSync(`${httpConfig.dataDir as string}/http-only.log`, 'utf8')
    expect(httpLog).not.toContain('kafka: consuming')

    const poster = startPoster(() => httpWorker.url, table, 1_000_000, 4, 50)
    await Bun.sleep(4_000)
    await poster.stop()
    const expected = KAFKA_MESSAGES + poster.acknowledged.length
    expect(poster.acknowledged.length).toBeGreaterThan(1_000)

    const final = await waitFor('every id in the table', 60_000, async () => {
      const current = (await runPython('shared_commit_report.py', [table, topic])) as Report
      return current.count >= expected ? current : undefined
    })
    expect([final.count, final.distinct]).toEqual([expected, expected])
    // The HTTP worker's batches reached the table as handoffs folded into the committer's snapshots.
    expect(final.snapshots.some((s) => s.handoffs > 0)).toBe(true)

    const httpMetrics = await waitFor('the HTTP worker to hold nothing uncommitted', 30_000, async () => {
      const text = await (await fetch(`${httpWorker.url}/metrics`)).text()
      return gauge(text, 'ingest_rows_pending', table) === 0 ? text : undefined
    })
    expect(counter(httpMetrics, 'ingest_shared_commit_handoffs_sent_total', table)).toBeGreaterThan(0)
    expect(counter(httpMetrics, 'ingest_shared_commit_fallbacks_total', table)).toBe(0)
    const committerMetrics = await (await fetch(`${committer.url}/metrics`)).text()
    expect(counter(committerMetrics, 'ingest_shared_commit_handoffs_folded_total', table)).toBeGreaterThan(0)
  }, 180_000)
})
