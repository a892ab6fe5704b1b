/**
 * Cloudflare Workers / workerd entry: the HTTP ingest endpoint, each request written straight to Iceberg (S3 + REST
 * catalog) with the same core as the Bun worker. Bundle with `bun run scripts/build-edge.ts`; see docs/runtimes.md.
 */
import { parseConfig, type Env } from '../src/config/config.ts'
import type { Config } from '../src/config/schema.ts'
import { ConfigError } from '../src/errors.ts'
import { createIngestApp } from '../src/sources/http/app.ts'
import { createDirectAppendDeps } from '../src/adapter/workerd/direct-append.ts'
import { openRemoteResources } from '../src/config/remote-resources.ts'

/** Worker bindings: vars and secrets are strings; workerd's `fromEnvironment` gives null for an unset variable. */
type Bindings = Record<string, unknown>

const log = (line: string) => console.log(line)

function envOf(bindings: Bindings): Env {
  const env: Env = {}
  for (const [name, value] of Object.entries(bindings)) if (typeof value === 'string' && value !== '') env[name] = value
  return env
}

/** The worker config from the `INGEST_CONFIG` binding (the same JSON the Bun worker reads), env overrides applied. */
function edgeConfig(env: Env): Config {
  if (env.INGEST_CONFIG === undefined) throw new ConfigError(['INGEST_CONFIG: bind it to the worker config JSON (docs/runtimes.md)'])
  let raw: unknown
  try {
    raw = JSON.parse(env.INGEST_CONFIG)
  } catch (error) {
    throw new ConfigError([`INGEST_CONFIG: not valid JSON (${(error as Error).message})`])
  }
  const config = parseConfig(raw, env)
  const kafka = config.tables.filter((table) => table.kafka).map((table) => `tables.${table.name}.kafka: Kafka sources need sockets; run the Bun worker`)
  if (kafka.length > 0) throw new ConfigError(kafka)
  return config
}

function buildApp(bindings: Bindings) {
  const env = envOf(bindings)
  const config = edgeConfig(env)
  const { catalog, io } = openRemoteResources(config, 'the edge entry')
  const deps = createDirectAppendDeps({
    catalog,
    io,
    tables: config.tables,
    // zstd needs a host codec the edge lacks: let the table property decide, which falls back to snappy.
    compression: config.compression === 'zstd' ? undefined : config.compression,
    log,
  })
  log(`edge ingest: catalog ${catalog.name}; tables ${config.tables.map((table) => table.name).join(', ')}; one commit per request`)
  return createIngestApp({
    auth: { tokens: config.http.tokens },
    maxBodyBytes: config.http.maxBodyBytes,
    ...deps,
    onRequest: (event) => {
      if (event.status >= 400) log(`http ${event.status} table ${event.table}: ${event.error instanceof Error ? event.error.message : 'request refused'}`)
    },
  })
}

// One app per isolate: table handles and the catalog's config are reused across requests.
let app: ReturnType<typeof buildApp> | undefined

export default {
  fetch(request: Request, bindings: Bindings): Response | Promise<Response> {
    try {
      app ??= buildApp(bindings)
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      // The log gets the details; the client only learns that the operator has something to fix.
      console.error(`edge ingest: ${error.message}`)
      return Response.json({ error: { code: 'CONFIG', message: 'the ingest endpoint is misconfigured; see its log' } }, { status: 500 })
    }
    return app.fetch(request)
  },
}
