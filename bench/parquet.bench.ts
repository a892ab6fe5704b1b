/** Parquet data-file write throughput: ours (rows, columns) vs hyparquet-writer's plain parquetWriteBuffer on the same data. */
import type { SchemaElement } from 'hyparquet'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { parseSchemaDsl } from '../src/iceberg/schema-dsl.ts'
import type { Row } from '../src/iceberg/types.ts'
import { estimateRowBytes, parquetSchemaFor, writeDataFile } from '../src/parquet/data-file.ts'
import type { ParquetCompression } from '../src/parquet/data-file.ts'
import { zstdCompress } from '../src/adapter/bun/zstd.ts'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const RUNS = 3

const schema = parseSchemaDsl('event string, ts timestamptz not null, value double, count int')

// Deterministic data: 100k distinct strings, increasing timestamps, pseudo-random doubles.
const event = new Array<string>(ROWS)
const ts = new Array<bigint>(ROWS)
const value = new Array<number>(ROWS)
const count = new Array<number>(ROWS)
let seed = 42
for (let i = 0; i < ROWS; i++) {
  seed = (seed * 1103515245 + 12345) % 2147483648
  event[i] = `user-${(i * 7919) % 100_000}-clicked`
  ts[i] = 1_700_000_000_000_000n + BigInt(i) * 1000n
  value[i] = seed / 1e4
  count[i] = seed % 1000
}
const rows: Row[] = event.map((e, i) => ({ event: e, ts: ts[i]!, value: value[i]!, count: count[i]! }))
let rawBytes = 0
for (const row of rows) rawBytes += estimateRowBytes(schema, row)

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
}

function measure(run: () => number): { ms: number; size: number } {
  run() // warm-up, so JIT state does not favour whichever runs later
  const times: number[] = []
  let size = 0
  for (let r = 0; r < RUNS; r++) {
    Bun.gc(true)
    const start = performance.now()
    size = run()
    times.push(performance.now() - start)
  }
  return { ms: median(times), size }
}

const compressors = { zstd: zstdCompress }

function ours(compression: ParquetCompression, shape: 'rows' | 'columns'): number {
  const input = shape === 'rows' ? { rows } : { columns: { event, ts, value, count } }
  return writeDataFile({ schema, ...input, compression, compressors }).bytes.length
}

/** hyparquet-writer alone: its automatic schema, or ours (ids, logical types, same nullability). */
function baseline(compression: ParquetCompression, schemaElements?: SchemaElement[]): number {
  const codec = compression === 'zstd' ? 'ZSTD' : 'SNAPPY'
  return parquetWriteBuffer({
    schema: schemaElements,
    columnData: [
      { name: 'event', data: event },
      { name: 'ts', data: ts },
      { name: 'value', data: value },
      { name: 'count', data: count },
    ],
    codec,
    compressors: { ZSTD: zstdCompress },
    rowGroupSize: ROWS, // one row group, as ours picks for this data at 128 MiB
  }).byteLength
}

console.log(`${ROWS} rows × (string, timestamptz, double, int), ~${(rawBytes / 1e6).toFixed(1)} MB plain, median of ${RUNS} runs`)
const line = (label: string, ms: number, size: number, base?: number): void =>
  console.log(
    `${label.padEnd(32)} ${ms.toFixed(0).padStart(6)} ms  ${(ROWS / (ms / 1000) / 1e6).toFixed(2)} M rows/s  ` +
      `${(rawBytes / 1e6 / (ms / 1000)).toFixed(1).padStart(5)} MB/s  file ${(size / 1e6).toFixed(1)} MB` +
      (base ? `  ×${(ms / base).toFixed(2)} vs auto-schema baseline` : ''),
  )
const elements = parquetSchemaFor(schema)
for (const compression of ['snappy', 'zstd'] as const) {
  const auto = measure(() => baseline(compression))
  const same = measure(() => baseline(compression, elements))
  line(`${compression} baseline, auto schema`, auto.ms, auto.size)
  line(`${compression} baseline, our schema`, same.ms, same.size, auto.ms)
  for (const shape of ['rows', 'columns'] as const) {
    const { ms, size } = measure(() => ours(compression, shape))
    line(`${compression} writeDataFile(${shape})`, ms, size, auto.ms)
  }
}
