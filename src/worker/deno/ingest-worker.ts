/**
 * The ingest worker on Deno (HOST-ONLY): the same WAL-backed pipeline and Hono app as the Bun worker, served by
 * Deno.serve, writing through a REST catalog and S3 (the embedded SQLite catalog and Kafka sources are Bun-only).
 */
import { resolve } from 'node:path'
import type { Catalog } from '../../catalog/catalog.ts'
import type { Config } from '../../config/schema.ts'
import { ConfigError } from '../../errors.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../../iceberg/schema-dsl.ts'
import type { TableIdentifier } from '../../iceberg/types.ts'
import { Pipeline, type PipelineTableConfig } from '../../pipeline/pipeline.ts'
import { createIngestApp } from '../../sources/http/app.ts'
import type { IngestAppDeps } from '../../sources/http/deps.ts'
import type { FileIO } from '../../storage/file-io.ts'
import { createWorkerMetrics } from '../metrics.ts'
import type { DenoApi, DenoServer } from './deno-api.ts'
import { openWalLog } from './record-log.ts'
import { zstdCompress } from './zstd.ts'

declare const Deno: DenoApi

export interface RunningDenoWorker {
  /** `http://host:port` of the ingest endpoint, when HTTP is enabled. */
  url: string | undefined
  pipeline: Pipeline
  /** Graceful stop; a second call (or `signal` aborting) stops waiting for commits. */
  stop(signal?: AbortSignal): Promise<void>
}

function tableIdentifier(name: string): TableIdentifier {
  const parts = name.split('.')
  return { namespace: parts.slice(0, -1), name: parts.at(-1)! }
}

/** The HTTP app's ports over the pipeline: what the Bun worker wires in ingest-worker.ts, without Kafka. */
function pipelineDeps(config: Config, pipeline: Pipeline, metrics: () => string): Omit<IngestAppDeps, 'onRequest'> {
  const httpTables = new Set(config.tables.filter((t) => t.http !== false).map((t) => t.name))
  return {
    auth: { tokens: config.http.tokens },
    maxBodyBytes: config.http.maxBodyBytes,
    tables: (namespace, name) => {
      if (!httpTables.has([...namespace, name].join('.'))) return undefined
      const table = pipeline.table(namespace, name)
      return table && { coerce: table.coerce, ...(table.config.tokens ? { tokens: table.config.tokens } : {}) }
    },
    accept: async (input) => {
      const table = pipeline.table(input.table.namespace, input.table.name)!
      return pipeline.acceptHttp({ table, records: input.records, rows: input.rows, response: input.response, ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}) })
    },
    deadLetter: async (input) => {
      const table = pipeline.table(input.table.namespace, input.table.name)!
      await pipeline.deadLetterHttp({ table, letters: input.records, ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}) })
    },
    health: () => {
      if (!pipeline.ready) return { ready: false, state: 'starting', reasons: ['WAL recovery in progress'] }
      const reasons: string[] = []
      for (const table of pipeline.tables.values()) {
        for (const batcher of [table.batcher, table.deadLetters]) {
          if (batcher.stats.consecutiveFailures >= 3) {
            reasons.push(`table ${[...batcher.identifier.namespace, batcher.identifier.name].join('.')}: ${batcher.stats.consecutiveFailures} commits failed in a row (${batcher.stats.lastError})`)
          }
        }
      }
      return reasons.length ? { ready: false, state: 'degraded', reasons } : { ready: true, reasons: [] }
    },
    metrics,
  }
}

/**
 * Opens the WAL (replaying what it holds), starts the pipeline and, when enabled, the HTTP endpoint.
 * Throws ConfigError (CONFIG) for Kafka tables, WalError for an unusable WAL, catalog errors while loading tables.
 */
export async function startDenoWorker(config: Config, remote: { catalog: Catalog; io: FileIO }, log: (line: string) => void): Promise<RunningDenoWorker> {
  const kafka = config.tables.filter((table) => table.kafka).map((table) => `tables.${table.name}.kafka: Kafka sources run on the Bun worker only`)
  if (kafka.length > 0) throw new ConfigError(kafka)
  const recordLog = await openWalLog(config, resolve(config.dataDir), log)
  const tables: PipelineTableConfig[] = config.tables.map((table) => {
    const schema = parseSchemaDsl(table.schema)
    const tokens = table.http === false ? undefined : table.http.tokens
    return {
      identifier: tableIdentifier(table.name),
      schema,
      ...(table.partitionBy ? { partitionSpec: parsePartitionDsl(table.partitionBy, schema) } : {}),
      properties: table.properties,
      triggers: table.roll,
      ...(tokens?.length ? { tokens } : {}),
    }
  })
  log(`catalog ${remote.catalog.name}; WAL ${recordLog.id} holds ${recordLog.bytes} bytes in ${recordLog.segmentCount} segments`)
  let pipeline: Pipeline
  try {
    pipeline = await Pipeline.start({
      catalog: remote.catalog,
      io: remote.io,
      log: recordLog,
      tables,
      compression: config.compression,
      compressors: { zstd: zstdCompress },
      maxPendingBytes: config.maxPendingBytes,
      logLine: log,
    })
  } catch (error) {
    await recordLog.close()
    throw error
  }

  let server: DenoServer | undefined
  let url: string | undefined
  if (config.http.enabled) {
    const metrics = createWorkerMetrics(pipeline, recordLog, () => [])
    const app = createIngestApp({
      ...pipelineDeps(config, pipeline, metrics),
      onRequest: (event) => {
        if (event.status >= 400) log(`http ${event.status} table ${event.table}: ${event.error instanceof Error ? event.error.message : 'request refused'}`)
      },
    })
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
