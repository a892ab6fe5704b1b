/**
 * `bun run workers/ingest.ts [--config FILE] [--discard-wal]` — the ingest worker. With no config it runs the
 * embedded default: SQLite catalog + local warehouse + WAL under ./data, HTTP on 127.0.0.1:8181.
 */
import { parseArgs } from 'node:util'
import { ConfigError } from '../src/errors.ts'
import { loadWorkerConfig } from '../src/worker/config-file.ts'
import { startWorker, type RunningWorker } from '../src/worker/ingest-worker.ts'
import { createShutdown } from '../src/worker/shutdown.ts'

const HELP = `Usage: bun run workers/ingest.ts [--config FILE] [--discard-wal]

Lands records POSTed over HTTP and consumed from Kafka in Apache Iceberg tables.

Options:
  -c, --config FILE   JSON config (default: $INGEST_CONFIG, else the embedded default:
                      table learning.sensor_readings on a local warehouse under ./data)
      --discard-wal   drop the records the WAL holds instead of committing them (says how
                      many); for a WAL bound to a catalog this config no longer writes to
  -h, --help          show this help

Environment overrides (see docs/configuration.md): INGEST_DATA_DIR, INGEST_HTTP_HOST,
INGEST_HTTP_PORT, INGEST_HTTP_TOKENS, ICEBERG_CATALOG_URI, ICEBERG_CATALOG_WAREHOUSE,
ICEBERG_CATALOG_TOKEN, ICEBERG_CATALOG_CREDENTIAL, S3_ENDPOINT, S3_REGION,
S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_SESSION_TOKEN, KAFKA_BOOTSTRAP.
Memory: BUN_JSC_forceRAMSize=536870912 (set by \`bun run ingest\`) makes the JavaScript
heap collect as on a 512 MiB machine; without it the worker grows with the host's RAM.

Send records:  curl -X POST http://127.0.0.1:8181/v1/tables/learning.sensor_readings/records \\
                 -H 'content-type: application/json' \\
                 -d '{"sensor_id":"s1","timestamp":"2026-01-01T00:00:00","reading":21.5}'
Health, metrics: GET /health, GET /metrics.
Stop: Ctrl-C or SIGTERM commits what is buffered, then exits 0; past shutdownTimeoutMs (30 s)
it exits 130/143 with the rest safe in the WAL. Ctrl-C again (after a second) exits at once.
Exit codes: 0 stopped cleanly, 1 stop failed, 2 bad config or start-up failed (data dir in
use by another worker, WAL bound to another catalog, ...), 130/143 stopped by a signal before
everything was committed.`

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`)

function fail(message: string): never {
  console.error(message)
  process.exit(2)
}

let args
try {
  args = parseArgs({
    options: { config: { type: 'string', short: 'c' }, 'discard-wal': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: false,
  })
} catch (error) {
  fail(`${(error as Error).message}\n\n${HELP}`)
}
if (args.values.help) {
  console.log(HELP)
  process.exit(0)
}

let loaded
try {
  loaded = loadWorkerConfig(args.values.config, process.env)
} catch (error) {
  if (error instanceof ConfigError) fail(error.issues.length === 1 ? error.issues[0]! : error.message)
  throw error
}
const { config, source } = loaded

// Read by JavaScriptCore at process start, so it can only be reported here, not set.
if (process.env.BUN_JSC_forceRAMSize === undefined) {
  log('memory: BUN_JSC_forceRAMSize is not set, so the heap is sized for this host\'s RAM; `bun run ingest` sets 512 MiB (docs/configuration.md#memory)')
}
log(source === 'embedded default' ? `no config given: embedded default (catalog and warehouse under ${config.dataDir})` : `config ${source}`)
// Handlers go in before start-up, so a signal during WAL replay or the Kafka join still stops cleanly.
const starting = startWorker(config, log, { discardWal: args.values['discard-wal'] ?? false })
let running: RunningWorker | undefined
const onSignal = createShutdown({
  stop: (signal) => starting.then((worker) => worker.stop(signal)),
  uncommittedRows: () => running?.pipeline.uncommittedRows() ?? 0,
  timeoutMs: config.shutdownTimeoutMs,
  exit: (code) => process.exit(code),
  log,
})
process.on('SIGINT', () => onSignal('SIGINT'))
process.on('SIGTERM', () => onSignal('SIGTERM'))
running = await starting.catch((error: Error) => fail(`start-up failed: ${error.message}`))
