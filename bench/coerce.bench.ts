/** Prints record-coercion throughput (records/s, median of runs) for two schemas beside a plain JSON.parse baseline. */
import { parseSchemaDsl } from '../src/iceberg/schema-dsl.ts'
import { createRecordCoercer, type RecordCoercer } from '../src/records/coerce.ts'

const RECORDS = 200_000
const RUNS = 7

const sensorSchema = parseSchemaDsl('sensor_id string not null, timestamp timestamp not null, reading double not null')

const mixedSchema = parseSchemaDsl(
  'event_id uuid not null, user_id long not null, occurred_at timestamptz not null, day date not null, kind string not null, ' +
    'count int, amount decimal(12,2), ratio float, active boolean, tags list<string not null>',
)

function sensorRecord(i: number): string {
  return JSON.stringify({ sensor_id: `sensor-${i % 500}`, timestamp: 1_700_000_000_000 + i, reading: (i % 1000) / 7 })
}

function mixedRecord(i: number): string {
  const hex = (i + 0x10000000).toString(16).padStart(8, '0')
  return JSON.stringify({
    event_id: `${hex}-1234-4abc-8def-0123456789ab`,
    user_id: String(1_000_000_000_000 + i),
    occurred_at: new Date(1_700_000_000_000 + i * 37).toISOString(),
    day: '2024-03-15',
    kind: i % 3 === 0 ? 'click' : 'view',
    count: i % 100,
    amount: `${i % 10000}.${String(i % 100).padStart(2, '0')}`,
    ratio: (i % 97) / 97,
    active: i % 2 === 0,
    tags: ['a', 'b'],
  })
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

/** Records per second of `work` over all lines, median of RUNS after one warm-up run. */
function measure(lines: string[], work: (line: string) => unknown): number {
  const rates: number[] = []
  let sink = 0
  for (let run = 0; run <= RUNS; run++) {
    const start = performance.now()
    for (const line of lines) if (work(line) !== undefined) sink++
    const seconds = (performance.now() - start) / 1000
    if (run > 0) rates.push(lines.length / seconds)
  }
  if (sink === 0) throw new Error('benchmark produced nothing')
  return median(rates)
}

function report(name: string, lines: string[], coerce: RecordCoercer): void {
  const parsed = lines.map((line) => JSON.parse(line) as unknown)
  for (const value of parsed.slice(0, 100)) {
    const result = coerce(value)
    if (!result.ok) throw new Error(`${name}: sample record rejected: ${result.reason}`)
  }
  let i = 0
  const baseline = measure(lines, (line) => JSON.parse(line))
  const coerceOnly = measure(lines, () => coerce(parsed[i++ % parsed.length]))
  const both = measure(lines, (line) => coerce(JSON.parse(line)))
  const fmt = (rate: number): string => `${Math.round(rate).toLocaleString('en-US').padStart(12)} records/s`
  console.log(`${name} (${lines.length} records, median of ${RUNS})`)
  console.log(`  JSON.parse only      ${fmt(baseline)}`)
  console.log(`  coerce only          ${fmt(coerceOnly)}`)
  console.log(`  JSON.parse + coerce  ${fmt(both)}  (${(both / baseline).toFixed(2)}× the parse-only rate)`)
}

report('sensor schema (string, timestamp, double)', Array.from({ length: RECORDS }, (_, i) => sensorRecord(i)), createRecordCoercer(sensorSchema))
report('mixed 10-field schema', Array.from({ length: RECORDS }, (_, i) => mixedRecord(i)), createRecordCoercer(mixedSchema))

/**
 * What schema evolution costs when no new field appears: the worker's coercer reports unknown keys
 * (extraFields "report") so that a record with a new field can add a column. Same records, same run.
 */
function evolutionCost(name: string, lines: string[], schema: ReturnType<typeof parseSchemaDsl>): void {
  const parsed = lines.map((line) => JSON.parse(line) as unknown)
  const fixed = createRecordCoercer(schema)
  const evolving = createRecordCoercer(schema, { extraFields: 'report' })
  let i = 0
  let j = 0
  const fixedRate = measure(lines, () => fixed(parsed[i++ % parsed.length]))
  const evolvingRate = measure(lines, () => evolving(parsed[j++ % parsed.length]))
  const fmt = (rate: number): string => `${Math.round(rate).toLocaleString('en-US').padStart(12)} records/s`
  console.log(`${name}: schema evolution on, no new field`)
  console.log(`  fixed schema (extraFields ignore)    ${fmt(fixedRate)}`)
  console.log(`  evolving (extraFields report)        ${fmt(evolvingRate)}  (${((1 - evolvingRate / fixedRate) * 100).toFixed(1)}% slower)`)
}

evolutionCost('sensor schema', Array.from({ length: RECORDS }, (_, i) => sensorRecord(i)), sensorSchema)
evolutionCost('mixed 10-field schema', Array.from({ length: RECORDS }, (_, i) => mixedRecord(i)), mixedSchema)
