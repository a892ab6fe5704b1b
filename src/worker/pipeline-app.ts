/**
 * What every worker (Bun, Deno) builds from the config around the pipeline: the tables it serves and
 * the HTTP app's ports. Runtime-neutral; the hosts add their server, WAL and sources.
 */
import type { Config } from '../config/schema.ts'
import type { Catalog } from '../catalog/catalog.ts'
import type { Pipeline, PipelineOptions, PipelineRouteConfig, PipelineTableConfig } from '../pipeline/pipeline.ts'
import type { RoutedPart } from '../pipeline/http-intake.ts'
import type { FileIO } from '../storage/file-io.ts'
import type { WorkerLog } from './wal-log.ts'
import type { IngestAppDeps, RoutedIngest } from '../sources/http/deps.ts'
import { tableIdentifier, tableName } from '../iceberg/table-identifier.ts'
import { IngestError } from '../errors.ts'

/**
 * The pipeline's options from the config, as every worker (Bun, Deno) starts it: its tables, the WAL and
 * key log, Idempotency-Key window, compression and the memory cap. The host adds its zstd and encoder.
 */
export function pipelineOptions(
  config: Config,
  resources: { catalog: Catalog; io: FileIO; log: WorkerLog },
  host: Pick<PipelineOptions, 'compressors' | 'encoder' | 'logLine'>,
): PipelineOptions {
  return {
    catalog: resources.catalog,
    io: resources.io,
    log: resources.log,
    keyLog: resources.log.keys,
    idempotency: { windowMs: config.http.idempotency.windowS * 1000, maxKeys: config.http.idempotency.maxKeys },
    tables: pipelineTables(config),
    routes: pipelineRoutes(config),
    compression: config.compression,
    maxPendingBytes: config.maxPendingBytes,
    ...host,
  }
}

export function pipelineTables(config: Config): PipelineTableConfig[] {
  return config.tables.map((table) => {
    const tokens = table.http === false ? undefined : table.http.tokens
    return {
      ...table.resolved,
      properties: table.properties,
      triggers: table.roll,
      schemaEvolution: table.schemaEvolution,
      extraFields: table.extraFields,
      ...(tokens?.length ? { tokens } : {}),
      ...(table.upsert
        ? { upsert: { key: table.upsert.key, httpEnvelope: table.http === false ? 'none' : table.http.envelope, kafkaEnvelope: table.kafka?.envelope ?? 'none' } }
        : {}),
    }
  })
}

/** The config's routes as the pipeline takes them: the rule, and the template their tables are created from. */
export function pipelineRoutes(config: Config): PipelineRouteConfig[] {
  return config.routes.map((route) => {
    const tokens = route.http === false ? undefined : route.http.tokens
    return {
      rule: route.route,
      template: {
        schema: route.resolved.schema,
        ...(route.resolved.partitionSpec ? { partitionSpec: route.resolved.partitionSpec } : {}),
        properties: route.properties,
        triggers: route.roll,
        schemaEvolution: route.schemaEvolution,
        extraFields: route.extraFields,
        ...(tokens?.length ? { tokens } : {}),
      },
      deadLetters: route.resolved.deadLetters,
    }
  })
}

/** `POST /v1/records` over the pipeline: the one field route that serves HTTP (parseConfig allows one). */
function routedIngest(config: Config, pipeline: Pipeline, log: (line: string) => void): RoutedIngest | undefined {
  const index = config.routes.findIndex((route) => route.route.field !== undefined && route.http !== false)
  const router = pipeline.intake.router(index)
  if (!router) return undefined
  const route = config.routes[index]!
  const tokens = route.http === false ? [] : route.http.tokens
  return {
    ...(tokens.length ? { tokens } : {}),
    route: async (record) => {
      let decision = router.forRecord(record)
      while ('opening' in decision) {
        try {
          await decision.opening
        } catch (error) {
          // The catalog could not load or create the table: the client retries (503), nothing was logged yet. The
          // catalog's own message stays in the worker log (it may name endpoints), not in the answer.
          log(`route ${router.label}: opening a table failed: ${(error as Error).message}`)
          throw new IngestError('TABLE_UNAVAILABLE', `route ${router.label}: the table for a record cannot be opened now; retry shortly`, { retryable: true, cause: error })
        }
        decision = router.forRecord(record)
      }
      if ('reason' in decision) return decision
      const table = decision.table
      return { table: tableIdentifier(table.name), ingest: { coerce: table.coerce, admit: (input: unknown) => table.admit(input) } }
    },
    accept: (input) =>
      pipeline.http.acceptRouted({
        parts: input.parts.map((part) => ({
          target: part.table === undefined ? router.unrouted : pipeline.table(part.table.namespace, part.table.name)!,
          rows: part.rows,
          records: part.records,
          letters: part.letters,
        })) as RoutedPart[],
        response: input.response,
        ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
        ...(input.fingerprint ? { fingerprint: input.fingerprint } : {}),
      }),
    claimIdempotencyKey: (key, fingerprint) => pipeline.http.claimRouted(key, fingerprint),
  }
}

/**
 * The HTTP app's ports over the pipeline: tables, durable accept, dead letters, health, metrics, a log line per refusal.
 * `remoteTrouble` adds /health reasons for services failing now (remote-calls.ts).
 */
export function pipelineAppDeps(
  config: Config,
  pipeline: Pipeline,
  metrics: () => string,
  log: (line: string) => void,
  remoteTrouble: () => string[] = () => [],
): IngestAppDeps {
  const httpTables = new Set(config.tables.filter((t) => t.http !== false).map((t) => t.name))
  const routed = routedIngest(config, pipeline, log)
  return {
    ...(routed ? { routed } : {}),
    auth: { tokens: config.http.tokens },
    maxBodyBytes: config.http.maxBodyBytes,
    tables: (namespace, name) => {
      if (!httpTables.has(tableName({ namespace, name }))) return undefined
      const table = pipeline.table(namespace, name)
      return table && { coerce: table.intake.coerce, admit: (input: unknown) => table.intake.admit(input), ...(table.config.tokens ? { tokens: table.config.tokens } : {}) }
    },
    accept: async (input) => {
      const table = pipeline.table(input.table.namespace, input.table.name)!
      return pipeline.http.accept({
        table,
        records: input.records,
        ...(input.recordsJson === undefined ? {} : { recordsJson: input.recordsJson }),
        rows: input.rows,
        response: input.response,
        ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
        ...(input.fingerprint ? { fingerprint: input.fingerprint } : {}),
      })
    },
    deadLetter: async (input) => {
      const table = pipeline.table(input.table.namespace, input.table.name)!
      await pipeline.http.deadLetter({
        table,
        letters: input.records,
        ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
        ...(input.fingerprint ? { fingerprint: input.fingerprint } : {}),
        ...(input.response ? { response: input.response } : {}),
      })
    },
    claimIdempotencyKey: (input) => pipeline.http.claim(pipeline.table(input.table.namespace, input.table.name)!, input.key, input.fingerprint),
    health: () => {
      if (!pipeline.ready) return { ready: false, state: 'starting', reasons: ['WAL recovery in progress'] }
      const reasons: string[] = []
      for (const batcher of pipeline.batchers()) {
        // Three in a row: one failure is a blip the retry absorbs, a streak means nothing is landing.
        if (batcher.stats.consecutiveFailures >= 3) {
          reasons.push(`table ${tableName(batcher.identifier)}: ${batcher.stats.consecutiveFailures} commits failed in a row (${batcher.stats.lastError})`)
        }
      }
      reasons.push(...remoteTrouble())
      return reasons.length ? { ready: false, state: 'degraded', reasons } : { ready: true, reasons: [] }
    },
    metrics,
    onRequest: (event) => {
      if (event.status >= 400) log(`http ${event.status} table ${event.table ?? '-'}: ${event.error instanceof Error ? event.error.message : 'request refused'}`)
    },
  }
}
