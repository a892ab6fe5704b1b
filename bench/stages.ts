/**
 * The work every Kafka message of the ingest bench needs, stage by stage, each measured alone on the
 * same messages in this process (one core): decode + JSON.parse, coercion (the worker's coercer, with
 * schema evolution on), and the Parquet encode of the coerced columns (zstd, as the worker writes).
 * The worker cannot beat its slowest necessary stage; what it reaches of it is its efficiency.
 */
import { zstdCompress } from '../src/adapter/bun/zstd.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../src/iceberg/schema-dsl.ts'
import type { Row } from '../src/iceberg/types.ts'
import { createRecordCoercer } from '../src/records/coerce.ts'
import { encodeBatch } from '../src/table/encode-batch.ts'

export const SENSOR_SCHEMA = parseSchemaDsl('sensor_id string, timestamp timestamp, reading double')
export const SENSOR_SPEC = parsePartitionDsl('sensor_id', SENSOR_SCHEMA)

/** The bench's sensor message `i`, as the producer sends it. */
export const sensorMessage = (i: number): string => JSON.stringify({ sensor_id: `sensor-${i % 10}`, timestamp: 1767225600000 + i, reading: (i % 4000) / 4 })

export interface StageRates {
  /** messages/s of each stage alone */
  parse: number
  coerce: number
  encode: number
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

function rate(count: number, runs: number, work: () => void): number {
  work() // warm-up
  const rates: number[] = []
  for (let r = 0; r < runs; r++) {
    const started = performance.now()
    work()
    rates.push(count / ((performance.now() - started) / 1000))
  }
  return median(rates)
}

/** Each stage's rate on `values` (the messages' bytes), median of `runs`. */
export async function stageRates(values: Uint8Array[], runs = 3): Promise<StageRates> {
  const decoder = new TextDecoder()
  const parsed: unknown[] = new Array(values.length)
  const parse = rate(values.length, runs, () => {
    for (let i = 0; i < values.length; i++) parsed[i] = JSON.parse(decoder.decode(values[i]))
  })
  const coercer = createRecordCoercer(SENSOR_SCHEMA, { extraFields: 'report' })
  const rows: Row[] = new Array(values.length)
  const coerce = rate(values.length, runs, () => {
    for (let i = 0; i < parsed.length; i++) {
      const result = coercer(parsed[i])
      if (!result.ok) throw new Error(result.reason)
      rows[i] = result.row
    }
  })
  // Encoding is async (it yields between files): timed around the awaited call.
  const encodeRates: number[] = []
  for (let r = 0; r <= runs; r++) {
    const started = performance.now()
    await encodeBatch({ schema: SENSOR_SCHEMA, spec: SENSOR_SPEC, rows, compression: 'zstd', targetFileBytes: 128 * 1024 * 1024 }, { zstd: zstdCompress })
    if (r > 0) encodeRates.push(rows.length / ((performance.now() - started) / 1000))
  }
  return { parse, coerce, encode: median(encodeRates) }
}

/** The slowest of the stages (and the consumer, when given): the rate no worker on one core can pass. */
export function slowestStage(rates: StageRates & { consumer?: number }): { name: string; rate: number } {
  return Object.entries(rates).reduce<{ name: string; rate: number }>((min, [name, value]) => (value < min.rate ? { name, rate: value } : min), { name: '', rate: Infinity })
}
