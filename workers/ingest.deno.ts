/**
 * `deno run --allow-net --allow-env --allow-read --allow-write=DATA_DIR workers/ingest.deno.ts [--config FILE] [--discard-wal]` — the
 * ingest worker on Deno: WAL-backed HTTP intake into Iceberg through a REST catalog and S3 (docs/runtimes.md).
 */
import { parseArgs } from 'node:util'
import type { Config } from '../src/config/schema.ts'
import { ConfigError } from '../src/errors.ts'
import { loadWorkerConfig } from '../src/worker/config-file.ts'
import type { DenoApi } from '../src/adapter/deno/deno-api.ts'
import { startDenoWorker, type RunningDenoWorker } from '../src/adapter/deno/ingest-worker.ts'
import { createShutdown } from '../src/worker/shutdown.ts'
import { openRemoteResources } from '../src/config/remote-resources.ts'

declare const Deno: DenoApi

const HELP = `Usage: deno run --allow-net --allow-env --allow-read --allow-write=DATA_DIR workers/ingest.deno.ts [--config FILE] [--discard-wal]

Lands records POSTed over HTTP in Apache Iceberg tables, through an Iceberg REST catalog and S3.

Options:
  -c, --config FILE   JSON config (default: $INGEST_CONFIG); the same file the Bun worker reads, with
                      catalog.type "rest" and storage.type "s3" (the embedded SQLite catalog is Bun-only)
      --discard-wal   drop the records the WAL holds instead of committing them (as for the Bun worker)
  -h, --help          show this help

Environment overrides as for the Bun worker (docs/configuration.md): ICEBERG_CATALOG_URI, S3_ENDPOINT, ...`

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`)

function fail(message: string): never {
  console.error(message)
  Deno.exit(2)
}

let args
try {
  args = parseArgs({
    args: Deno.args,
    options: { config: { type: 'string', short: 'c' }, 'discard-wal': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: false,
  })
} catch (error) {
  fail(`${(error as Error).message}\n\n${HELP}`)
}
if (args.values.help) {
  console.log(HELP)
  Deno.exit(0)
}

const env = Deno.env.toObject()
let config: Config
let remote
try {
  config = loadWorkerConfig(args.values.config, env).config
  remote = openRemoteResources(config, 'the Deno worker')
} catch (error) {
  if (error instanceof ConfigError) fail(error.message)
  throw error
}

log(`config ${args.values.config ?? env.INGEST_CONFIG ?? '(default)'} on Deno`)
// Handlers go in before start-up, so a signal during WAL replay still stops cleanly (src/worker/shutdown.ts).
const starting = startDenoWorker(config, remote, log, { discardWal: args.values['discard-wal'] ?? false })
let running: RunningDenoWorker | undefined
const onSignal = createShutdown({
  stop: (signal) => starting.then((worker) => worker.stop(signal)),
  uncommittedRows: () => running?.pipeline.uncommittedRows() ?? 0,
  timeoutMs: config.shutdownTimeoutMs,
  exit: (code) => Deno.exit(code),
  log,
})
Deno.addSignalListener('SIGINT', () => onSignal('SIGINT'))
Deno.addSignalListener('SIGTERM', () => onSignal('SIGTERM'))
running = await starting.catch((error: Error) => fail(`start-up failed: ${error.message}`))
