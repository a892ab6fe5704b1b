/**
 * Issue 14 item 4 on the stack (Kafka, S3 server, REST catalog; PyIceberg reads): three worker processes
 * in one group share one table of a 12-partition topic through a control topic. One of them is killed
 * with -9 twice mid-run (the first time while it is the committer) and restarted. Every id must be in
 * the table exactly once, and the data snapshots must number at most run seconds / interval + 3 —
 * one commit per table per interval, not one per worker.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTopic, endOffsets, produce } from './kafka-topics.ts'
import { runPython } from './pyiceberg.ts'
import { stackEnv } from './stack-env.ts'
import { waitFor } from './wait-for.ts'
import { stackWorkerConfig } from './worker-config.ts'
import { freePort, workerFleet, type WorkerProcess } from './worker-process.ts'

const brokers = [stackEnv().kafkaBootstrap]
const fleet = workerFleet()
afterAll(() => fleet.cleanup())

/** Messages in the run: the 1M (SHARED_COMMIT_MESSAGES overrides it, e.g. for a quicker look). */
const TOTAL = Number(process.env.SHARED_COMMIT_MESSAGES ?? 1_000_000)
const PARTITIONS = 12
const INTERVAL_MS = 1_000
/** Production is spread over this long from the workers' start. */
const PRODUCE_MS = 20_000

interface Report {
  count: number
  distinct: number
  min: number | null
  max: number | null
  offsets: Record<string, number>
  snapshots: { operation: string; added_records: number; timestamp_ms: number; handoffs: number }[]
}

const report = (table: string, topic: string) => runPython('shared_commit_report.py', [table, topic]) as Promise<Report>

function workerConfig(table: string, topic: string, controlTopic: string, group: string) {
  return stackWorkerConfig({
    http: { enabled: true, host: '127.0.0.1', port: freePort() },
    // A dead committer is noticed by the group within 3 s; its successor folds the handoffs that wait.
    kafka: { brokers, sessionTimeoutMs: 3_000, heartbeatIntervalMs: 300 },
    tables: [{ name: table, schema: 'id long not null', roll: { intervalMs: INTERVAL_MS }, kafka: { topics: [topic], groupId: group, controlTopic } }],
  })
}

/** Which of the slots' current logs says its worker commits the table now (the last role line of each log decides). */
function committerSlot(logs: string[]): number | undefined {
  for (const [slot, log] of logs.entries()) {
    if (!existsSync(log)) continue
    const roles = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.includes('commits the table now'))
    if (roles.at(-1)?.includes('this worker commits')) return slot
  }
  return undefined
}

describe('shared commits: three workers, one table', () => {
  test(
    `${TOTAL} messages on ${PARTITIONS} partitions, a worker killed twice: every id once, at most run/interval + 3 data snapshots`,
    async () => {
      const suffix = crypto.randomUUID().slice(0, 8)
      const topic = `shared_${suffix}`
      const controlTopic = `shared_${suffix}_control`
      const table = `shared_${suffix}.events`
      await createTopic(brokers, topic, PARTITIONS)
      await createTopic(brokers, controlTopic, 1)

      const configs = [0, 1, 2].map(() => workerConfig(table, topic, controlTopic, `g-${suffix}`))
      const logs: string[] = []
      const workers: WorkerProcess[] = []
      const start = async (slot: number, run: number) => {
        const name = `slot${slot}-run${run}`
        logs[slot] = join(configs[slot]!.dataDir as string, `${name}.log`)
        workers[slot] = await fleet.start(configs[slot]!, name)
      }
      const startedAt = Date.now()
      let producedAt = 0
      try {
        await run()
      } catch (error) {
        // The fleet removes the data dirs (and logs) after the file: show what the workers said.
        for (const log of logs) if (log && existsSync(log)) console.log(`--- ${log}\n${readFileSync(log, 'utf8').split('\n').slice(-40).join('\n')}`)
        throw error
      } finally {
        // SHARED_COMMIT_LOG_DIR=<dir> keeps every worker log of the run there.
        const keep = process.env.SHARED_COMMIT_LOG_DIR
        if (keep) for (const config of configs) for (const log of readdirSync(config.dataDir as string).filter((f) => f.endsWith('.log') || f.endsWith('.log.err'))) copyFileSync(join(config.dataDir as string, log), join(keep, log))
      }
      async function run() {
      await Promise.all([0, 1, 2].map((slot) => start(slot, 0)))
      // Spread over PRODUCE_MS while the workers run, so both kills fall while messages still arrive.
      const producing = (async () => {
        const chunk = 25_000
        for (let first = 0; first < TOTAL; first += chunk) {
          const due = startedAt + (first / TOTAL) * PRODUCE_MS
          if (Date.now() < due) await Bun.sleep(due - Date.now())
          await produce(brokers, topic, Array.from({ length: Math.min(chunk, TOTAL - first) }, (_, i) => `{"id":${first + i}}`), 5_000)
        }
        producedAt = Date.now() - startedAt
      })()

      // Kill 1: the committer, once it has folded handoffs (it has files of others in memory then).
      const victim = await waitFor('a committer that folded handoffs', 60_000, () => {
        const slot = committerSlot(logs)
        return slot !== undefined && readFileSync(logs[slot]!, 'utf8').includes(' folds ') ? slot : undefined
      })
      workers[victim]!.process.kill(9)
      await workers[victim]!.exited
      const firstKillAt = Date.now() - startedAt
      await start(victim, 1)
      // Kill 2: the same worker, now most likely a sender (partition 0 stayed with its new owner), mid-run.
      await Bun.sleep(3_000)
      workers[victim]!.process.kill(9)
      await workers[victim]!.exited
      const secondKillAt = Date.now() - startedAt
      await start(victim, 2)
      await producing

      const ends = await endOffsets(brokers, topic, PARTITIONS)
      const drained = await waitFor('every offset committed', 120_000, async () => {
        const current = await report(table, topic)
        return Object.values(current.offsets).reduce((a, b) => a + b, 0) >= TOTAL ? current : undefined
      })
      // /metrics of the workers alive now: the committer's folds and the senders' handoffs are visible to an operator.
      const counter = (text: string, name: string) => [...text.matchAll(new RegExp(`^${name}\\{table="${table}"\\} (\\d+)`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0)
      const scraped = await Promise.all(workers.map((worker) => fetch(`${new URL(worker.url).origin}/metrics`).then((r) => r.text())))
      const metricSums = Object.fromEntries(
        ['sent', 'folded', 'received', 'fallbacks'].map((kind) => [kind, scraped.reduce((sum, text) => sum + counter(text, kind === 'fallbacks' ? 'ingest_shared_commit_fallbacks_total' : `ingest_shared_commit_handoffs_${kind}_total`), 0)]),
      )
      console.log(`shared-commit e2e: /metrics of the live workers: ${JSON.stringify(metricSums)}`)
      expect(metricSums.sent).toBeGreaterThan(0)
      expect(metricSums.folded).toBeGreaterThan(0)
      for (const worker of workers) worker.process.kill('SIGTERM')
      for (const worker of workers) expect(await worker.exited).toBe(0)

      const final = await report(table, topic)
      const data = final.snapshots.filter((s) => s.operation === 'append' && s.added_records > 0)
      const runSeconds = (data.at(-1)!.timestamp_ms - startedAt) / 1000
      const bound = Math.floor(runSeconds / (INTERVAL_MS / 1000)) + 3
      const folded = data.reduce((sum, s) => sum + s.handoffs, 0)
      const fallbacks = logs.concat(configs.flatMap((c, slot) => [0, 1, 2].map((run) => join(c.dataDir as string, `slot${slot}-run${run}.log`))))
      const fallbackLines = [...new Set(fallbacks)].filter(existsSync).reduce((sum, log) => sum + readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('committing it here') || l.includes('committing them here')).length, 0)
      console.log(
        `shared-commit e2e: ${final.count} rows, last data commit at ${runSeconds.toFixed(1)} s (produced by ${(producedAt / 1000).toFixed(1)} s), kills at ${firstKillAt} and ${secondKillAt} ms; ` +
          `${data.length} data snapshots (bound ${bound}), ${folded} handoffs folded, ${fallbackLines} sender fallback rounds`,
      )
      // Mid-run: the table was still being filled after the second kill.
      expect(data.at(-1)!.timestamp_ms - startedAt).toBeGreaterThan(secondKillAt)
      expect(drained.offsets).toEqual(ends)
      expect(final.count).toBe(TOTAL)
      expect(final.distinct).toBe(TOTAL)
      expect([final.min, final.max]).toEqual([0, TOTAL - 1])
      // The bound: one commit per table per interval, whatever the kills do (senders of a dead committer hand
      // their batches to its successor after the rebalance; independent commits would make ~3 x run/interval).
      expect(data.length).toBeLessThanOrEqual(bound)
      // The sharing itself: most rows came through handoffs folded into the committer's snapshots.
      expect(folded).toBeGreaterThan(0)
      }
    },
    240_000,
  )
})
