/**
 * The ingest worker's lifecycle (HOST-ONLY): resources → pipeline (WAL replay) → HTTP and Kafka
 * sources; on stop: intake off, everything buffered committed, resources closed.
 */
import type { Config } from '../config/schema.ts'
import { zstdCompress } from '../adapter/bun/zstd.ts'
import { Pipeline } from '../pipeline/pipeline.ts'
import { tableIdentifier, tableName } from '../iceberg/table-identifier.ts'
import { pipelineAppDeps, pipelineOptions } from './pipeline-app.ts'
import { createIngestApp } from '../sources/http/app.ts'
import { MaintenanceScheduler, type ScheduledTable } from '../maintenance/scheduler.ts'
import type { KafkaSource } from '../sources/kafka/kafka-source.ts'
import { kafkaSourcesFor } from './kafka-sources.ts'
import { createWorkerMetrics } from './metrics.ts'
import { countKafkaCalls } from './kafka-calls.ts'
import { createRemoteCalls } from './remote-calls.ts'
import { ParquetEncoderThread } from './parquet-encoder.ts'
import { openResources } from './resources.ts'
import { tryLockFile } from '../adapter/bun/dir-lock.ts'
import { hostDecompressors } from '../adapter/bun/decompress.ts'
import { createFsStore } from '../storage/fs.ts'
import { upsertServices } from '../upsert/upsert-services.ts'
import { openSharedCommits } from './shared-commits.ts'
import { join, resolve } from 'node:path'

export interface RunningWorker {
  /** `http://host:port` of the ingest endpoint, when HTTP is enabled. */
  url: string | undefined
  pipeline: Pipeline
  /** Graceful stop; `signal` aborting stops the wait for commits (what is not committed stays in the WAL). */
  stop(signal?: AbortSignal): Promise<void>
}

export interface StartOptions {
  /** `--discard-wal`: drop what the WAL holds instead of replaying it (wal-log.ts). */
  discardWal?: boolean
}

/**
 * Opens the WAL (locking its directory), the catalog and tables, replays the WAL, starts HTTP and Kafka.
 * Throws DirLockedError (DIR_LOCKED), WalBoundElsewhereError (WAL_BOUND_ELSEWHERE), catalog and Kafka errors.
 */
export async function startWorker(config: Config, log: (line: string) => void, options: StartOptions = {}): Promise<RunningWorker> {
  // Retried and failed S3, catalog and Kafka calls, for /metrics and /health.
  const calls = createRemoteCalls()
  const stopCountingKafka = countKafkaCalls(calls)
  const resources = await openResources(config, log, { tryLock: tryLockFile, pid: process.pid, discard: options.discardWal ?? false }, calls)
  // Built once the pipeline serves the tables; /metrics reads whatever is there by then.
  let kafkaSources: KafkaSource[] = []
  // Encoding off the intake thread: acks and fetches never wait behind a batch's Parquet encoding.
  const encoder = new ParquetEncoderThread()
  encoder.start()
  log(`catalog ${resources.catalog.name}; WAL ${resources.log.id} holds ${resources.log.bytes} bytes in ${resources.log.segmentCount} segments`)
  // Routed tables open on first sight (WAL replay included, before the scheduler exists): each gets its route's maintenance.
  const routedOpened: ScheduledTable[] = []
  let scheduleRouted = (table: ScheduledTable): void => void routedOpened.push(table)
  // One commit per table per interval across the group's workers, for tables with kafka.controlTopic (docs/design.md).
  const shared = await openSharedCommits(config, resources, log)
  const pipeline = await Pipeline.start({
    ...pipelineOptions(config, resources, { compressors: { zstd: zstdCompress }, encoder: encoder.encode, logLine: log }),
    // Upsert tables' key indexes live beside the WAL, under the data dir (docs/upserts.md).
    upserts: upsertServices(resources.io, { compressors: { zstd: zstdCompress }, decompressors: hostDecompressors, indexStore: createFsStore(join(resolve(config.dataDir), 'upsert-index')) }),
    onRoutedTableOpened: (index, identifier) => scheduleRouted({ identifier, config: config.routes[index]!.maintenance }),
    ...(shared ? { commitAttempt: shared.attemptFor } : {}),
  })

  let server: ReturnType<typeof Bun.serve> | undefined
  if (config.http.enabled) {
    const metrics = createWorkerMetrics(pipeline, resources.log, () => kafkaSources, Date.now, calls, shared?.coordinators)
    const app = createIngestApp(pipelineAppDeps(config, pipeline, metrics, log, () => calls.healthReasons()))
    server = Bun.serve({ hostname: config.http.host, port: config.http.port, fetch: app.fetch, maxRequestBodySize: config.http.maxBodyBytes + 1024 })
    log(`http listening on http://${server.hostname}:${server.port}`)
  }

  kafkaSources = await kafkaSourcesFor(config, pipeline.intake, log)
  const started: KafkaSource[] = []
  try {
    for (const source of kafkaSources) {
      started.push(source)
      await source.start()
    }
  } catch (error) {
    // A source that cannot start (broker down, dead-letter topic missing) fails start-up; close what did start.
    await server?.stop()
    shared?.close()
    await Promise.all(started.map((source) => source.stop()))
    await pipeline.stop()
    await shared?.finish()
    encoder.close()
    await resources.close()
    stopCountingKafka()
    throw error
  }
  shared?.start(pipeline, {
    owns: (groupId, topic, partition) => kafkaSources.some((source) => source.groupId === groupId && source.owns(topic, partition)),
    covered: (groupId, markers) => kafkaSources.find((source) => source.groupId === groupId)?.committedElsewhere(markers),
    joined: (groupId, listener) => kafkaSources.filter((source) => source.groupId === groupId).forEach((source) => source.onGroupJoin(listener)),
  })

  // Table maintenance in the background, one task at a time, off the ingest path (docs/maintenance.md).
  const maintenance = new MaintenanceScheduler({
    catalog: resources.catalog,
    io: resources.io,
    tables: config.tables.map((table) => ({ identifier: tableIdentifier(table.name), config: table.maintenance })),
    compressors: { zstd: zstdCompress },
    decompressors: { ZSTD: (input) => Bun.zstdDecompressSync(input) },
    // Off the intake thread, like ingest's encoding: a bin can take seconds to decode and rewrite.
    compactor: encoder.compactBin,
    log,
    // An idle batcher would otherwise build its next commit on a parent expiry may have removed.
    onCommitted: (id) =>
      void pipeline
        .table(id.namespace, id.name)
        ?.batcher.reload()
        .catch((error: Error) => log(`table ${tableName(id)}: reload after maintenance failed (a commit on a stale parent reloads and retries): ${error.message}`)),
  })
  maintenance.start()
  scheduleRouted = (table) => maintenance.schedule(table)
  for (const table of routedOpened) maintenance.schedule(table)

  let stopping: Promise<void> | undefined
  return {
    url: server ? `http://${server.hostname}:${server.port}` : undefined,
    pipeline,
    stop(signal) {
      stopping ??= (async () => {
        log('stopping: intake closed, committing what is buffered')
        await server?.stop()
        // Before the consumers leave: a batch waiting for the committer commits by itself instead.
        shared?.close()
        await Promise.all(kafkaSources.map((source) => source.stop()))
        await maintenance.stop()
        await pipeline.stop(signal)
        await shared?.finish()
        encoder.close()
        await resources.close()
        stopCountingKafka()
        log('stopped')
      })()
      return stopping
    },
  }
}
