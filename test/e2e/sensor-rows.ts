/** Deterministic sensor readings for end-to-end tests, with the totals a reader must reproduce. */
import type { Row } from '../../src/iceberg/types.ts'

export interface SensorTotals {
  count: number
  sum: number
  perSensor: Record<string, number>
  minMicros: bigint
  maxMicros: bigint
}

const BASE_MICROS = 1_767_225_600_000_000n // 2026-01-01T00:00:00Z

/**
 * `count` rows over `sensors` sensors starting at row `offset`. Readings are multiples of 0.25 below
 * 1000, so their sum is exact in binary floating point in any order a reader adds them.
 */
export function sensorRows(count: number, sensors = 10, offset = 0): Row[] {
  const rows: Row[] = []
  for (let i = offset; i < offset + count; i++) {
    rows.push({
      sensor_id: `sensor-${i % sensors}`,
      timestamp: BASE_MICROS + BigInt(i) * 1_000_123n,
      reading: ((i * 37) % 4000) / 4,
    })
  }
  return rows
}

export function totals(rows: Row[]): SensorTotals {
  const perSensor: Record<string, number> = {}
  let sum = 0
  let minMicros = BigInt(Number.MAX_SAFE_INTEGER) * 1000n
  let maxMicros = -minMicros
  for (const row of rows) {
    const id = row.sensor_id as string
    perSensor[id] = (perSensor[id] ?? 0) + 1
    sum += row.reading as number
    const ts = row.timestamp as bigint
    if (ts < minMicros) minMicros = ts
    if (ts > maxMicros) maxMicros = ts
  }
  return { count: rows.length, sum, perSensor, minMicros, maxMicros }
}

/** ISO form PyIceberg prints for a timestamp without zone, from epoch microseconds. */
export function isoMicros(micros: bigint): string {
  const ms = Number(micros / 1000n)
  const fraction = String(micros % 1_000_000n).padStart(6, '0')
  return `${new Date(ms).toISOString().slice(0, 19)}.${fraction}`.replace(/\.000000$/, '')
}
