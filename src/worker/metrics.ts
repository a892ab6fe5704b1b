/** The worker's /metrics: pipeline, batcher, WAL, Kafka and remote-call figures rendered as Prometheus text at scrape time. */
import type { Pipeline } from '../pipeline/pipeline.ts'
import type { RecordLog } from '../pipeline/record-log.ts'
import { createMetricsRegistry, type Counter, type Labels } from '../sources/http/metrics.ts'
import type { KafkaSource } from '../sources/kafka/kafka-source.ts'
import { tableName } from '../iceberg/table-identifier.ts'
import { REMOTE_TARGETS, type RemoteCalls } from './remote-calls.ts'

/** Counters fed from cumulative figures: each scrape adds what changed since the last one. */
function cumulative(counter: Counter) {
  const seen = new Map<string, number>()
  return (labels: Labels, total: number) => {
    const key = JSON.stringify(labels)
    const delta = total - (seen.get(key) ?? 0)
    if (delta > 0) counter.inc(labels, delta)
    seen.set(key, total)
  }
}

/** What a table's shared-commit coordinator (batcher/shared-commit.ts) counts. */
export interface SharedCommitCounts {
  stats: { handoffsSent: number; handoffsFolded: number; handoffsReceived: number; fallbacks: number }
}

/**
 * `calls`: retried and failed calls to S3, the catalog and Kafka (remote-calls.ts), when the host counts them.
 * `sharedCommits`: the coordinators of tables with a control topic, by table name.
 */
export function createWorkerMetrics(
  pipeline: Pipeline,
  log: RecordLog,
  kafka: () => KafkaSource[],
  now: () => number = Date.now,
  calls?: RemoteCalls,
  sharedCommits?: ReadonlyMap<string, SharedCommitCounts>,
): () => string {
  const registry = createMetricsRegistry()
  const accepted = cumulative(registry.counter({ name: 'ingest_records_accepted_total', help: 'Records accepted (logged or buffered)', labelNames: ['source'] }))
  const rejected = cumulative(registry.counter({ name: 'ingest_records_rejected_total', help: 'Records sent to dead letters', labelNames: ['source'] }))
  const bytes = cumulative(registry.counter({ name: 'ingest_wal_bytes_written_total', help: 'Bytes appended to the WAL' }))
  const commits = cumulative(registry.counter({ name: 'ingest_commits_total', help: 'Iceberg commits', labelNames: ['table'] }))
  const failures = cumulative(registry.counter({ name: 'ingest_commit_failures_total', help: 'Failed Iceberg commit attempts (retried)', labelNames: ['table'] }))
  const retries = cumulative(registry.counter({ name: 'ingest_commit_retries_total', help: 'Commit retries after conflicts or failures', labelNames: ['table'] }))
  const walBytes = registry.gauge({ name: 'ingest_wal_bytes', help: 'Bytes in WAL segments' })
  const walSegments = registry.gauge({ name: 'ingest_wal_segments', help: 'WAL segment files' })
  const pendingRows = registry.gauge({ name: 'ingest_rows_pending', help: 'Rows buffered or queued, not yet committed', labelNames: ['table'] })
  const pendingBytes = registry.gauge({ name: 'ingest_pending_bytes', help: 'Estimated heap bytes of everything buffered or queued, across tables (what maxPendingBytes caps)' })
  const sinceCommit = registry.gauge({ name: 'ingest_seconds_since_last_commit', help: 'Seconds since the last successful commit (-1: none yet)', labelNames: ['table'] })
  const failing = registry.gauge({ name: 'ingest_commit_consecutive_failures', help: 'Commit failures since the last success', labelNames: ['table'] })
  const commitLatency = registry.gauge({ name: 'ingest_commit_latency_ms', help: 'Median commit latency of the last 5 commits (manifests + catalog), ms (-1: none yet)', labelNames: ['table'] })
  const effectiveInterval = registry.gauge({ name: 'ingest_effective_interval_ms', help: 'Roll interval in force: roll.intervalMs, stretched while commits are slow (up to roll.maxIntervalMs)', labelNames: ['table'] })
  const forwarded = cumulative(registry.counter({ name: 'ingest_dead_letter_topic_forwarded_total', help: 'Bad Kafka messages acknowledged by their dead-letter topic', labelNames: ['topic'] }))
  const fallbacks = cumulative(
    registry.counter({ name: 'ingest_dead_letter_topic_fallbacks_total', help: 'Bad Kafka messages the dead-letter topic refused, written to the dead-letter table instead', labelNames: ['topic'] }),
  )
  const residentBytes = registry.gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory of the worker process, all threads (what maxPendingBytes does not cap alone: code, heaps, fetches)' })
  // process.memoryUsage()'s heapUsed: on Bun, the JavaScriptCore heap's size (live objects and garbage not
  // yet collected); its heapTotal reads below that there, so it is left out.
  const heapBytes = registry.gauge({ name: 'ingest_heap_bytes', help: "The main thread's JavaScript heap: live objects and garbage not yet collected" })
  const externalBytes = registry.gauge({ name: 'ingest_heap_external_bytes', help: "Memory outside the main thread's heap that its objects hold (buffers, typed arrays)" })
  const indexKeys = registry.gauge({ name: 'ingest_upsert_index_keys', help: "Keys in an upsert table's primary-key index (docs/upserts.md; ~100 bytes of heap each)", labelNames: ['table'] })
  const handoffsSent = cumulative(registry.counter({ name: 'ingest_shared_commit_handoffs_sent_total', help: "Batches this worker handed to the table's committer (again after a rebalance counts again)", labelNames: ['table'] }))
  const handoffsFolded = cumulative(registry.counter({ name: 'ingest_shared_commit_handoffs_folded_total', help: "Other workers' handoffs this worker, as committer, folded into its snapshots", labelNames: ['table'] }))
  const handoffsReceived = cumulative(registry.counter({ name: 'ingest_shared_commit_handoffs_received_total', help: "Other workers' handoffs read from the control topic", labelNames: ['table'] }))
  const sharedFallbacks = cumulative(
    registry.counter({ name: 'ingest_shared_commit_fallbacks_total', help: 'Handed-off batches no committer took in time (or that were partly committed elsewhere), committed by this worker itself', labelNames: ['table'] }),
  )
  const lag = registry.gauge({ name: 'ingest_kafka_lag', help: 'Messages behind the partition high watermark', labelNames: ['topic', 'partition'] })
  const retriedCounter = registry.counter({
    name: 'ingest_remote_calls_retried_total',
    help: 'Calls to S3, the catalog or Kafka whose attempt failed and was tried again',
    labelNames: ['target'],
  })
  const failedCounter = registry.counter({
    name: 'ingest_remote_calls_failed_total',
    help: 'Calls to S3, the catalog or Kafka that failed for good (out of attempts or not retryable)',
    labelNames: ['target'],
  })
  // Every target from the first scrape on, at 0: a dashboard tells "none yet" from "not counted".
  if (calls) for (const target of REMOTE_TARGETS) [retriedCounter, failedCounter].forEach((counter) => counter.inc({ target }, 0))
  const remoteRetried = cumulative(retriedCounter)
  const remoteFailed = cumulative(failedCounter)

  return () => {
    accepted({ source: 'http' }, pipeline.counters.httpAccepted)
    accepted({ source: 'kafka' }, pipeline.counters.kafkaAccepted)
    rejected({ source: 'http' }, pipeline.counters.httpRejected)
    rejected({ source: 'kafka' }, pipeline.counters.kafkaRejected)
    bytes({}, pipeline.counters.bytesIn)
    walBytes.set(log.bytes)
    pendingBytes.set(pipeline.pendingBytes())
    const memory = process.memoryUsage()
    residentBytes.set(memory.rss)
    heapBytes.set(memory.heapUsed)
    externalBytes.set(memory.external)
    walSegments.set(log.segmentCount)
    // Every batcher: routed tables as they open, and each route's table for unroutable records.
    for (const batcher of pipeline.batchers()) {
      const labels = { table: tableName(batcher.identifier) }
      commits(labels, batcher.stats.commits)
      failures(labels, batcher.stats.commitFailures)
      retries(labels, batcher.stats.commitRetries)
      pendingRows.set(labels, batcher.pending().rows)
      const last = batcher.stats.lastCommitAtMs
      sinceCommit.set(labels, last === undefined ? -1 : (now() - last) / 1000)
      failing.set(labels, batcher.stats.consecutiveFailures)
      commitLatency.set(labels, batcher.stats.commitLatencyMs ?? -1)
      effectiveInterval.set(labels, batcher.stats.effectiveIntervalMs)
    }
    for (const [name, table] of pipeline.tables) if (table.upsert) indexKeys.set({ table: name }, table.upsert.keys)
    for (const [table, { stats }] of sharedCommits ?? []) {
      handoffsSent({ table }, stats.handoffsSent)
      handoffsFolded({ table }, stats.handoffsFolded)
      handoffsReceived({ table }, stats.handoffsReceived)
      sharedFallbacks({ table }, stats.fallbacks)
    }
    for (const source of kafka()) {
      for (const dlq of source.deadLetterTopics.values()) {
        forwarded({ topic: dlq.topic }, dlq.stats.forwarded)
        fallbacks({ topic: dlq.topic }, dlq.stats.fallbacks)
      }
      for (const [tp, behind] of source.lag()) {
        const split = tp.lastIndexOf(':')
        lag.set({ topic: tp.slice(0, split), partition: tp.slice(split + 1) }, Number(behind))
      }
    }
    if (calls) {
      for (const target of REMOTE_TARGETS) {
        const counts = calls.counts(target)
        remoteRetried({ target }, counts.retried)
        remoteFailed({ target }, counts.failed)
      }
    }
    return registry.render()
  }
}
