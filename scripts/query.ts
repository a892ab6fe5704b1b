// `bun run query "<SQL>"` — SQL over Iceberg tables of the configured catalog: our planner prunes, DuckDB runs the SQL.
import { writeFileSync } from 'node:fs'
import { resultToArrowIpc } from '../src/query/arrow.ts'
import { formatCsv, formatJson, formatTable } from '../src/query/output.ts'
import { Invalid } from '../src/records/invalid.ts'
import { timestampConverter } from '../src/records/temporal.ts'
import { CONFIG_HELP, loadConfig, openCatalog } from './cli/catalog.ts'
import { EXIT_HELP, namingMissingTables } from './cli/missing-table.ts'
import { progressLine } from './cli/progress.ts'
import { explainJson, explainText, planSummary } from './cli/query-report.ts'
import { formatBytes } from './cli/text-table.ts'
import { didYouMean, parseCommand, runCommand, UsageError } from './cli/usage.ts'

const HELP = `Usage: bun run query "<SQL>" [options]

Runs one SELECT over Iceberg tables of the configured catalog, named namespace.table. Our scan planning picks
the snapshot, prunes partitions and skips files by column bounds using the WHERE clause; DuckDB runs the SQL
over the files that remain.

Options:
      --explain           print the files planned and pruned per table (and the predicates used); run nothing
      --snapshot ID       read this snapshot (see \`bun run tables snapshots NS.TABLE\`)
      --as-of TIMESTAMP   read the snapshot that was current then: 2026-01-01T12:00:00Z, 2026-01-01, or epoch ms
  -f, --format FORMAT     table (default), json, csv or arrow (Arrow IPC stream)
  -o, --output FILE       write the result to FILE instead of stdout (needed for arrow on a terminal)
${CONFIG_HELP}
  -q, --quiet             no progress line and no plan summary on stderr
  -h, --help              show this help

${EXIT_HELP}

Example:
  bun run query "SELECT sensor_id, count(*), avg(reading) FROM learning.sensor_readings
                 WHERE timestamp >= '2026-01-01' GROUP BY sensor_id ORDER BY sensor_id"`

const FORMATS = ['table', 'json', 'csv', 'arrow']

function asOfMs(text: string): number {
  if (/^\d+$/.test(text)) return Number(text)
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00` : text
  const micros = timestampConverter('timestamp')(iso)
  if (micros instanceof Invalid) {
    throw new UsageError(`query: --as-of ${JSON.stringify(text)} is not a time${micros.problem.replace(/^invalid timestamp "[^"]*"/, '')}; write 2026-01-01T12:00:00Z, 2026-01-01 (UTC) or epoch milliseconds`)
  }
  return Number(micros / 1000n)
}

await runCommand(async () => {
  const args = parseCommand('query', process.argv.slice(2), {
    explain: { type: 'boolean' },
    snapshot: { type: 'string' },
    'as-of': { type: 'string' },
    format: { type: 'string', short: 'f' },
    output: { type: 'string', short: 'o' },
    config: { type: 'string', short: 'c' },
    quiet: { type: 'boolean', short: 'q' },
  })
  const v = args.values
  if (v.help) {
    console.log(HELP)
    return 0
  }
  const [sql, ...extra] = args.positionals
  if (sql === undefined || sql.trim() === '') throw new UsageError(`query: give the SQL as one quoted argument, e.g. bun run query "SELECT count(*) FROM learning.sensor_readings"`)
  if (extra.length) throw new UsageError(`query: the SQL must be one argument; quote it: bun run query "${[sql, ...extra].join(' ').replaceAll('"', '\\"')}"`)
  const format = v.format ?? 'table'
  if (!FORMATS.includes(format)) throw new UsageError(`query: --format ${JSON.stringify(format)} is not one of ${FORMATS.join(', ')}${didYouMean(format, FORMATS)}`)
  if (v.snapshot !== undefined && !/^-?\d+$/.test(v.snapshot)) throw new UsageError(`query: --snapshot takes a snapshot id (digits), got ${JSON.stringify(v.snapshot)}; list them with \`bun run tables snapshots NS.TABLE\``)
  if (v.snapshot !== undefined && v['as-of'] !== undefined) throw new UsageError('query: give --snapshot or --as-of, not both')
  if (format === 'arrow' && !v.explain && v.output === undefined && process.stdout.isTTY) throw new UsageError('query: Arrow IPC is binary; add --output result.arrows (or pipe stdout)')
  const asOf = v['as-of'] === undefined ? undefined : asOfMs(v['as-of'])
  const { config } = loadConfig('query', v.config, process.env)
  const { catalog, io, close } = openCatalog(config)
  const progress = progressLine({ quiet: v.quiet })
  // DuckDB (a native addon) loads only once the arguments are known to be good.
  const { runQuery } = await import('../src/adapter/bun/run-query.ts')
  try {
    const outcome = await runQuery(sql, {
      catalog: namingMissingTables('query', catalog),
      io,
      explain: v.explain === true,
      ...(v.snapshot !== undefined ? { snapshotId: BigInt(v.snapshot) } : {}),
      ...(asOf !== undefined ? { asOfMs: asOf } : {}),
      onFetch: (p) => progress.update(`query: fetching ${p.table}: ${p.done}/${p.total} files (${formatBytes(p.bytes)})`),
    })
    progress.done()
    let text: string | Uint8Array
    if (v.explain) text = format === 'json' ? explainJson(outcome) : explainText(outcome)
    else if (format === 'json') text = formatJson(outcome.result!)
    else if (format === 'csv') text = formatCsv(outcome.result!)
    else if (format === 'arrow') text = resultToArrowIpc(outcome.result!)
    else text = formatTable(outcome.result!)
    if (v.output !== undefined) writeFileSync(v.output, text)
    else if (typeof text === 'string') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    else process.stdout.write(text)
    if (!v.explain && !v.quiet) console.error(planSummary(outcome))
    return 0
  } finally {
    close()
  }
})
