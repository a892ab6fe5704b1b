/**
 * The ingest worker on Deno (HOST-ONLY): the same WAL-backed pipeline and Hono app as the Bun worker, served by
 * Deno.serve, writing through a REST catalog and S3 (the embedded SQLite catalog and Kafka sources are Bun-only).
 */
import { resolve } from 'node:path'
import type { Catalog } from '../../catalog/catalog.ts'
import type { Config } from '../../config/schema.ts'
import { ConfigError } from '../../errors.ts'
import { Pipeline } from '../../pipeline/pipeline.ts'
import { createIngestApp } from '../../sources/http/app.ts'
import type { FileIO } from '../../storage/file-io.ts'
import { createWorkerMetrics } from '../../worker/metrics.ts'
import type { DenoApi, DenoServer } from './deno-api.ts'
import { openWalLog } from '../../worker/wal-log.ts'
import { tryLockFile } from './dir-lock.ts'
import { pipelineAppDeps, pipelineOptions } from '../../worker/pipeline-app.ts'
import { zstdCompress } from './zstd.ts'

declare const Deno: DenoApi

export interface RunningDenoWorker {
  /** `http://host:port` of the ingest endpoint, when HTTP is enabled. */
  url: string | undefined
  pipeline: Pipeline
  /** Graceful stop; `signal` aborting stops the wait for commits (what is not committed stays in the WAL). */
  stop(signal?: AbortSignal): Promise<void>
}

/**
 * Opens the WAL (replaying what it holds), starts the pipeline and, when enabled, the HTTP endpoint.
 * Throws ConfigError (CONFIG) for Kafka tables, WalError for an unusable WAL, catalog errors while loading tables.
 */
export async function startDenoWorker(
  config: Config,
  remote: { catalog: Catalog; io: FileIO },
  log: (line: string) => void,
  options: { discardWal?: boolean } = {},
): Promise<RunningDenoWorker> {
  const kafka = config.tables.filter((table) => table.kafka).map((table) => `tables.${table.name}.kafka: Kafka sources run on the Bun worker only`)
  if (kafka.length > 0) throw new ConfigError(kafka)
  const recordLog = await openWalLog(config, resolve(config.dataDir), log, { tryLock: tryLockFile, pid: Deno.pid, discard: options.discardWal ?? false })
  log(`catalog ${remote.catalog.name}; WAL ${recordLog.id} holds ${recordLog.bytes} bytes in ${recordLog.segmentCount} segments`)
  let pipeline: Pipeline
  try {
    pipeline = await Pipeline.start(pipelineOptions(config, { ...remote, log: recordLog }, { compressors: { zstd: zstdCompress }, logLine: log }))
  } catch (error) {
    await recordLog.close()
    throw error
  }

  let server: DenoServer | undefined
  let url: string | undefined
  if (config.http.enabled) {
    const metrics = createWorkerMetrics(pipeline, recordLog, () => [])
    const app = createIngestApp(pipelineAppDeps(config, pipeline, metrics, log))
    // Deno.serve has no body cap of its own: the app's bodyLimit answers 413 before buffering more than maxBodyBytes.
    server = Deno.serve({ hostname: config.http.host, port: config.http.port, onListen: () => {} }, app.fetch)
    url = `http://${server.addr.hostname}:${server.addr.port}`
    log(`http listening on ${url}`)
  }

  let stopping: Promise<void> | undefined
  return {
    url,
    pipeline,
    stop(signal) {
      stopping ??= (async () => {
        log('stopping: intake closed, committing what is buffered')
        await server?.shutdown()
        await pipeline.stop(signal)
        await recordLog.close()
        log('stopped')
      })()
      return stopping
    },
  }
}
