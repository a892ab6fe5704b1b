/**
 * Shared commits (issue 14 item 4) on the stack (Kafka, REST catalog, S3 server; needs `bun run stack up`):
 * three worker processes in one group read one table's 12-partition topic (produced before they start),
 * with a control topic (one commit per table per interval) and without (each worker commits on its own).
 * Per mode, medians of the runs: aggregate rows/s from the moment all three answer /health to the last
 * data commit, data snapshots, snapshots per minute over the same span, and the share of rows in
 * snapshots that folded handoffs. Prints figures; never passes or fails on time.
 * No kills here (test/e2e/shared-commit.test.ts has those): the figures are the steady state.
 * Usage: bun run bench/shared-commit.bench.ts [--messages N] [--runs N] [--interval-ms N] [--mode shared|independent] [--keep-logs]
 */
import { rmSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { tableMarkers } from '../src/batcher/table-markers.ts'
import { HANDOFFS_SUMMARY_KEY } from '../src/batcher/shared-commit.ts'
import { committedKafkaOffsets } from '../src/batcher/markers.ts'
import { createRestCatalog } from '../src/catalog/rest/client.ts'
import { tableIdentifier } from '../src/iceberg/table-identifier.ts'
import { createTopic, produce } from '../test/e2e/kafka-topics.ts'
import { stackEnv } from '../test/e2e/stack-env.ts'
import { stackWorkerConfig } from '../test/e2e/worker-config.ts'
import { freePort, spawnWorker, type WorkerProcess } from '../test/e2e/worker-process.ts'

const { values } = parseArgs({ options: { messages: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' }, 'interval-ms': { type: 'string', default: '1000' }, 'keep-logs': { type: 'boolean', default: false }, mode: { type: 'string' } } })
const MESSAGES = Number(values.messages)
const RUNS = Number(values.runs)
const INTERVAL_MS = Number(values['interval-ms'])
const PARTITIONS = 12
/** A run that has not committed every message by then is reported as stalled, and the bench goes on. */
const STALL_MS = 180_000
const WORKERS = 3
const env = stackEnv()
const brokers = [env.kafkaBootstrap]
const catalog = createRestCatalog({ uri: env.restUri })
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

interface RunFigures {
  rowsPerSecond: number
  snapshots: number
  snapshotsPerMinute: number
  /** Share of the rows in snapshots that folded at least one handoff. */
  foldedShare: number
  seconds: number
}

async function run(mode: 'shared' | 'independent'): Promise<RunFigures> {
  const suffix = crypto.randomUUID().slice(0, 8)
  const topic = `bench_shared_${suffix}`
  const controlTopic = `${topic}_control`
  const table = `bench_shared_${suffix}.events`
  await createTopic(brokers, topic, PARTITIONS)
  if (mode === 'shared') await createTopic(brokers, controlTopic, 1)
  await produce(brokers, topic, Array.from({ length: MESSAGES }, (_, id) => `{"id":${id},"sensor":"s-${id % 500}","reading":${(id % 1000) / 10}}`), 10_000)
  const configs = Array.from({ length: WORKERS }, () =>
    stackWorkerConfig({
      http: { enabled: true, host: '127.0.0.1', port: freePort() },
      kafka: { brokers },
      tables: [
        {
          name: table,
          schema: 'id long not null, sensor string, reading double',
          roll: { intervalMs: INTERVAL_MS },
          kafka: { topics: [topic], groupId: `g-${suffix}`, ...(mode === 'shared' ? { controlTopic } : {}) },
        },
      ],
    }),
  )
  const workers: WorkerProcess[] = []
  let finished = false
  try {
    // Started together, so the group's first assignment already spreads the partitions.
    workers.push(...(await Promise.all(configs.map((config, i) => spawnWorker(config, `${config.dataDir}/bench-${i}.log`)))))
    const startedAt = Date.now()
    const deadline = Date.now() + STALL_MS
    for (;;) {
      const loaded = await catalog.loadTable(tableIdentifier(table))
      const committed = [...committedKafkaOffsets(tableMarkers(loaded.metadata).markers, topic).values()].reduce((a, b) => a + Number(b), 0)
      if (committed >= MESSAGES) break
      if (Date.now() > deadline) throw new Error(`${mode}: ${committed} of ${MESSAGES} committed after ${STALL_MS / 1000} s (see the workers' logs for why; e.g. a consumer stream that failed)`)
      await Bun.sleep(500)
    }
    const metadata = (await catalog.loadTable(tableIdentifier(table))).metadata
    const data = metadata.snapshots.filter((s) => s.summary.operation === 'append' && Number(s.summary['added-records'] ?? 0) > 0).sort((a, b) => a['timestamp-ms'] - b['timestamp-ms'])
    const seconds = (data.at(-1)!['timestamp-ms'] - startedAt) / 1000
    // Rows of snapshots that folded at least one handoff (the committer's own rows included).
    const folded = data.filter((s) => s.summary[HANDOFFS_SUMMARY_KEY]).reduce((sum, s) => sum + Number(s.summary['added-records']), 0)
    finished = true
    return { rowsPerSecond: MESSAGES / seconds, snapshots: data.length, snapshotsPerMinute: (data.length / seconds) * 60, foldedShare: folded / MESSAGES, seconds }
  } finally {
    for (const worker of workers) worker.process.kill('SIGTERM')
    await Promise.all(workers.map((worker) => worker.exited))
    // A stalled run keeps its data dirs, for the workers' logs.
    if (finished && !values['keep-logs']) for (const config of configs) rmSync(config.dataDir as string, { recursive: true, force: true })
    else console.log(`  ${mode}: worker logs kept in ${configs.map((c) => c.dataDir).join(', ')}`)
  }
}

console.log(`shared-commit bench: ${WORKERS} workers, one table, ${PARTITIONS} partitions, ${fmt(MESSAGES)} messages, roll.intervalMs ${INTERVAL_MS}, ${RUNS} runs per mode (REST catalog + S3 on the stack)`)
const results: Record<string, RunFigures[]> = { independent: [], shared: [] }
for (let i = 0; i < RUNS; i++) {
  for (const mode of (values.mode ? [values.mode as 'independent' | 'shared'] : (['independent', 'shared'] as const))) {
    let figures: RunFigures
    try {
      figures = await run(mode)
    } catch (error) {
      console.log(`  run ${i + 1} ${mode.padEnd(11)} stalled, left out of the medians: ${(error as Error).message}`)
      continue
    }
    results[mode]!.push(figures)
    console.log(`  run ${i + 1} ${mode.padEnd(11)} ${fmt(figures.rowsPerSecond)} rows/s over ${figures.seconds.toFixed(1)} s, ${figures.snapshots} data snapshots (${figures.snapshotsPerMinute.toFixed(1)}/min), rows in snapshots with handoffs ${(figures.foldedShare * 100).toFixed(0)}%`)
  }
}
const line = (mode: string) => {
  const runs = results[mode]!
  if (!runs.length) return `${mode.padEnd(11)} no run finished`
  return `${mode.padEnd(11)} ${fmt(median(runs.map((r) => r.rowsPerSecond))).padStart(9)} rows/s   ${String(median(runs.map((r) => r.snapshots))).padStart(4)} data snapshots   ${median(runs.map((r) => r.snapshotsPerMinute)).toFixed(1).padStart(6)} snapshots/min`
}
console.log('medians (rows/s from all workers up to the last data commit):')
console.log(`  ${line('independent')}`)
console.log(`  ${line('shared')}`)
if (!results.shared!.length || !results.independent!.length) process.exit(0)
const ratio = median(results.shared!.map((r) => r.rowsPerSecond)) / median(results.independent!.map((r) => r.rowsPerSecond))
const snapshotRatio = median(results.shared!.map((r) => r.snapshotsPerMinute)) / median(results.independent!.map((r) => r.snapshotsPerMinute))
console.log(`  shared / independent: ${ratio.toFixed(2)}x rows/s, ${snapshotRatio.toFixed(2)}x snapshots per minute (one commit per interval would be ${(60_000 / INTERVAL_MS).toFixed(0)}/min)`)
