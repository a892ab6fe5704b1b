// `bun run produce <topic>` / `produce --http <url>` — JSON messages (sensor readings or a template) with totals.
import { KAFKA_HELP, kafkaBrokers } from './cli/kafka.ts'
import { EXIT_HELP } from './cli/missing-table.ts'
import { progressLine } from './cli/progress.ts'
import { httpSender, kafkaSender, type OutgoingMessage, type Sender } from './cli/senders.ts'
import {
  addToTotals, emptyTotals, MALFORMED_KINDS, SENSOR_TOTALS_HEADER, sensorMessages, sensorTotalsRows, type SensorMessage,
} from './cli/sensor-data.ts'
import { compileTemplate, TEMPLATE_HELP } from './cli/template.ts'
import { parseTableName, } from './cli/table-name.ts'
import { textTable } from './cli/text-table.ts'
import { intOption, numberOption, parseCommand, runCommand, UsageError } from './cli/usage.ts'
import { tableName } from '../src/iceberg/table-identifier.ts'

const HELP = `Usage: bun run produce TOPIC [options]
       bun run produce --http URL [options]

Sends JSON messages: realistic sensor readings {"sensor_id", "timestamp", "reading"} by default, or --template.
Prints a progress line while sending and, at the end, what was sent: per sensor the readings, their sum and
average — the figures a query over the table must reproduce.

Options:
  -n, --count N          messages to send (default 1000)
  -r, --rate N           messages per second (default: as fast as possible)
      --bad-ratio R      share of malformed messages, 0..1 (default 0): not JSON, reading "n/a",
                         timestamp "yesterday" in turn — the worker sends them to the dead-letter table
      --sensors N        distinct sensor ids, sensor-01..sensor-10 for 10 (default 10)
      --seed N           make the readings reproducible
      --template JSON|FILE
                         send this JSON instead of sensor readings (see below)
      --http URL         POST to the ingest worker instead of Kafka: the records URL, or the worker's base URL
                         with --table (default learning.sensor_readings); batches as NDJSON
      --table NS.TABLE   the table for --http with a base URL
      --token TOKEN      bearer token for --http (default $INGEST_TOKEN)
      --batch N          messages per Kafka send / HTTP request (default 500)
${KAFKA_HELP}
  -c, --config FILE      the ingest worker's config, for its kafka.brokers
  -q, --quiet            no progress line
  -h, --help             show this help

${TEMPLATE_HELP}

${EXIT_HELP} Here that is the table --http sends to, when the worker has none by that name.

Examples:
  bun run produce sensor_data --count 5000 --bad-ratio 0.05
  bun run produce --http http://127.0.0.1:8181 --count 1000 --rate 200`

/** The records URL to POST to, and the table it addresses (for messages). */
function httpUrl(command: string, url: string, table: string | undefined): { url: string; table: string } {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new UsageError(`${command}: --http takes a URL, got ${JSON.stringify(url)}; e.g. --http http://127.0.0.1:8181`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`${command}: --http takes an http(s) URL, got ${JSON.stringify(url)}`)
  if (/\/records\/?$/.test(parsed.pathname)) {
    if (table) throw new UsageError(`${command}: the --http URL already names a table; leave out --table`)
    // The worker's routes: /v1/tables/ns.table/records and /v1/tables/ns/table/records.
    const named = /\/tables\/(.+)\/records\/?$/.exec(parsed.pathname)?.[1]
    const decoded = (part: string) => {
      try {
        return decodeURIComponent(part)
      } catch {
        return part // a bad %-escape: the worker will answer for it; the name is only for messages
      }
    }
    return { url: parsed.href, table: named ? named.split('/').map(decoded).join('.') : parsed.pathname }
  }
  const id = parseTableName(command, table ?? 'learning.sensor_readings')
  return { url: `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}/v1/tables/${encodeURIComponent(tableName(id))}/records`, table: tableName(id) }
}

await runCommand(async () => {
  const command = 'produce'
  const args = parseCommand(command, process.argv.slice(2), {
    count: { type: 'string', short: 'n' },
    rate: { type: 'string', short: 'r' },
    'bad-ratio': { type: 'string' },
    sensors: { type: 'string' },
    seed: { type: 'string' },
    template: { type: 'string' },
    http: { type: 'string' },
    table: { type: 'string' },
    token: { type: 'string' },
    batch: { type: 'string' },
    bootstrap: { type: 'string', short: 'b' },
    config: { type: 'string', short: 'c' },
    quiet: { type: 'boolean', short: 'q' },
  })
  const v = args.values
  if (v.help) {
    console.log(HELP)
    return 0
  }
  const [topic, ...extra] = args.positionals
  if (extra.length) throw new UsageError(`${command}: unexpected ${extra.map((e) => JSON.stringify(e)).join(' ')}; one topic per call, options as --name value`)
  if (topic === undefined && v.http === undefined) throw new UsageError(`${command}: name the topic (\`bun run produce sensor_data\`) or give --http URL`)
  if (topic !== undefined && v.http !== undefined) throw new UsageError(`${command}: send either to topic ${topic} or to --http ${v.http}, not both`)
  if (v.table !== undefined && v.http === undefined) throw new UsageError(`${command}: --table goes with --http; Kafka messages go to the topic, and the worker's config routes them to a table`)
  const count = intOption(command, 'count', v.count, 1000, 1)
  const rate = numberOption(command, 'rate', v.rate, 0, 0, 10_000_000, '100')
  const badRatio = numberOption(command, 'bad-ratio', v['bad-ratio'], 0, 0, 1, '0.05')
  const sensors = intOption(command, 'sensors', v.sensors, 10, 1, 1_000_000)
  const batchSize = intOption(command, 'batch', v.batch, 500, 1, 100_000)
  const seed = intOption(command, 'seed', v.seed, Math.floor(Math.random() * 2 ** 31), 0, 2 ** 32 - 1)
  if (v.template !== undefined && (v['bad-ratio'] !== undefined || v.sensors !== undefined)) {
    throw new UsageError(`${command}: --bad-ratio and --sensors shape sensor readings; with --template, write the data you want in the template`)
  }
  let templateText = v.template
  if (templateText !== undefined && !templateText.trimStart().startsWith('{') && !templateText.trimStart().startsWith('[')) {
    const file = Bun.file(templateText)
    if (!(await file.exists())) throw new UsageError(`${command}: --template ${templateText} is neither JSON nor an existing file`)
    templateText = await file.text()
  }
  const template = templateText === undefined ? undefined : compileTemplate(templateText, seed)
  const next = sensorMessages({ sensors, badRatio, seed })
  const http = v.http === undefined ? undefined : httpUrl(command, v.http, v.table)
  const sender: Sender = http
    ? httpSender(http.url, v.token ?? process.env.INGEST_TOKEN, http.table)
    : await kafkaSender(kafkaBrokers(command, v.bootstrap, v.config, process.env), topic!)

  const totals = emptyTotals()
  const progress = progressLine({ quiet: v.quiet })
  let accepted = 0
  let rejected = 0
  const started = performance.now()
  // With a rate, send small batches on schedule (~10 per second) rather than bursts of --batch.
  const perBatch = rate > 0 ? Math.max(1, Math.min(batchSize, Math.floor(rate / 10))) : batchSize
  try {
    for (let sent = 0; sent < count; ) {
      const size = Math.min(perBatch, count - sent)
      const batch: OutgoingMessage[] = []
      for (let i = 0; i < size; i++) {
        if (template) {
          batch.push({ key: String(sent + i), value: template(sent + i) })
          totals.messages++
        } else {
          const message: SensorMessage = next()
          addToTotals(totals, message)
          batch.push(message)
        }
      }
      const outcome = await sender.send(batch)
      accepted += outcome.accepted ?? 0
      rejected += outcome.rejected ?? 0
      sent += size
      const elapsed = (performance.now() - started) / 1000
      const bad = totals.messages - totals.valid
      progress.update(`${command}: ${sent.toLocaleString('en-US')}/${count.toLocaleString('en-US')} (${Math.floor((sent / count) * 100)}%) · ${Math.round(sent / Math.max(elapsed, 1e-3)).toLocaleString('en-US')} msg/s${template ? '' : ` · ${bad} malformed`}`)
      if (rate > 0) {
        const due = started + (sent / rate) * 1000
        const wait = due - performance.now()
        if (wait > 0) await Bun.sleep(wait)
      }
    }
  } finally {
    progress.done()
    await sender.close()
  }
  const seconds = (performance.now() - started) / 1000
  const lines = [`produced ${count.toLocaleString('en-US')} messages to ${sender.target} in ${seconds.toFixed(1)} s (${Math.round(count / Math.max(seconds, 1e-3)).toLocaleString('en-US')} msg/s)`]
  if (!template) {
    const bad = totals.messages - totals.valid
    const kinds = MALFORMED_KINDS.filter((k) => totals.malformed[k]).map((k) => `${totals.malformed[k]} ${k}`).join(', ')
    lines.push(`  valid ${totals.valid}, malformed ${bad} (${((bad / count) * 100).toFixed(1)}%)${kinds ? `: ${kinds}` : ''}`)
  }
  if (http) lines.push(`  the worker accepted ${accepted} and rejected ${rejected} (rejected ones are in the dead-letter table)`)
  if (!template) lines.push('', textTable(SENSOR_TOTALS_HEADER, sensorTotalsRows(totals), [1, 2, 3, 4, 5]))
  console.log(lines.join('\n'))
  return 0
})
