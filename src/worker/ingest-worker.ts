/**
 * The ingest worker's lifecycle (HOST-ONLY): resources → pipeline (WAL replay) → HTTP and Kafka
 * sources; on stop: intake off, everything buffered committed, resources closed.
 */
import type { Config } from '../config/schema.ts'
import type { Env } from '../config/config.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../iceberg/schema-dsl.ts'
import type { TableIdentifier } from '../iceberg/types.ts'
import { zstdCompress } from '../parquet/zstd.bun.ts'
import { Pipeline, type PipelineTableConfig } from '../pipeline/pipeline.ts'
import { createIngestApp } from '../sources/http/app.ts'
import { KafkaSource } from '../sources/kafka/kafka-source.ts'
import type { CommittedEvent } from '../batcher/table-batcher.ts'
import { createWorkerMetrics } from './metrics.ts'
import { openResources } from './resources.ts'

export interface RunningWorker {
  /** `http://host:port` of the ingest endpoint, when HTTP is enabled. */
  url: string | undefined
  pipeline: Pipeline
  /** Graceful stop; a second call (or `signal` aborting) stops waiting for commits. */
  stop(signal?: AbortSignal): Promise<void>
}

export function tableIdentifier(name: string): TableIdentifier {
  const parts = name.split('.')
  return { namespace: parts.slice(0, -1), name: parts.at(-1)! }
}

export async function startWorker(config: Config, env: Env, log: (line: string) => void): Promise<RunningWorker> {
  const resources = await openResources(config, env, log)
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
  const kafkaSources: KafkaSource[] = []
  const onCommitted = (event: CommittedEvent) => {
    for (const source of kafkaSources) source.onCommitted(event)
  }
  log(`catalog ${resources.catalog.name}; WAL ${resources.log.id} holds ${resources.log.bytes} bytes in ${resources.log.segmentCount} segments`)
  const pipeline = await Pipeline.start({
    catalog: resources.catalog,
    io: resources.io,
    log: resources.log,
    tables,
    compression: config.compression,
    compressors: { zstd: zstdCompress },
    maxPendingBytes: config.maxPendingBytes,
    logLine: log,
    onCommitted,
  })

  let server: ReturnType<typeof Bun.serve> | undefined
  if (config.http.enabled) {
    const httpTables = new Set(config.tables.filter((t) => t.http !== false).map((t) => t.name))
    const metrics = createWorkerMetrics(pipeline, resources.log, () => kafkaSources)
    const app = createIngestApp({
      auth: { tokens: config.http.tokens },
      maxBodyBytes: config.http.maxBodyBytes,
      tables: (namespace, name) => {
        const dotted = [...namespace, name].join('.')
        if (!httpTables.has(dotted)) return undefined
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
      onRequest: (event) => {
        if (event.status >= 400) log(`http ${event.status} table ${event.table ?? '-'}: ${event.error instanceof Error ? event.error.message : 'request refused'}`)
      },
    })
    server = Bun.serve({ hostname: config.http.host, port: config.http.port, fetch: app.fetch, maxRequestBodySize: config.http.maxBodyBytes + 1024 })
    log(`http listening on http://${server.hostname}:${server.port}`)
  }

  const groups = new Map<string, { topic: string; table: string; columns?: Record<string, string | undefined>; startFrom: 'earliest' | 'latest' }[]>()
  for (const table of config.tables) {
    if (!table.kafka) continue
    const routes = groups.get(table.kafka.groupId) ?? []
    for (const topic of table.kafka.topics) routes.push({ topic, table: table.name, columns: table.kafka.columns, startFrom: table.kafka.startFrom })
    groups.set(table.kafka.groupId, routes)
  }
  for (const [groupId, routes] of groups) {
    const source = new KafkaSource({
      bootstrapBrokers: config.kafka!.brokers,
      groupId,
      ...(config.kafka!.clientId ? { clientId: config.kafka!.clientId } : {}),
      startFrom: routes[0]!.startFrom,
      sessionTimeoutMs: config.kafka!.sessionTimeoutMs,
      heartbeatIntervalMs: config.kafka!.heartbeatIntervalMs,
      routes: routes.map((route) => {
        const id = tableIdentifier(route.table)
        return { topic: route.topic, table: pipeline.table(id.namespace, id.name)!, ...(route.columns ? { columns: route.columns } : {}) }
      }),
      pipeline,
      log,
    })
    await source.start()
    kafkaSources.push(source)
  }

  let stopping: Promise<void> | undefined
  return {
    url: server ? `http://${server.hostname}:${server.port}` : undefined,
    pipeline,
    stop(signal) {
      stopping ??= (async () => {
        log('stopping: intake closed, committing what is buffered')
        await server?.stop()
        await Promise.all(kafkaSources.map((source) => source.stop()))
        await pipeline.stop(signal)
        await resources.close()
        log('stopped')
      })()
      return stopping
    },
  }
}
