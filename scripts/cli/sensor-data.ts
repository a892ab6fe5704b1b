// Realistic sensor readings as JSON messages (optionally some malformed ones), and the totals a reader must reproduce.

/** A small seeded PRNG (mulberry32): the same --seed gives the same messages. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The kinds of malformed message mixed in by --bad-ratio; each is refused by the worker whatever the columns' nullability. */
export const MALFORMED_KINDS = ['not JSON', 'reading not a number', 'invalid timestamp'] as const
export type MalformedKind = (typeof MALFORMED_KINDS)[number]

export interface SensorMessage {
  key: string
  value: string
  /** Undefined for a well-formed reading. */
  malformed?: MalformedKind
  sensor: string
  /** The reading in hundredths (readings have two decimals), so totals add up exactly. */
  readingCents: number
}

export interface SensorTotals {
  messages: number
  valid: number
  malformed: Record<MalformedKind, number>
  /** Per sensor: valid readings, their sum in hundredths, min and max in hundredths. */
  sensors: Map<string, { count: number; sumCents: number; minCents: number; maxCents: number }>
}

export interface SensorOptions {
  sensors: number
  badRatio: number
  seed: number
  /** Epoch ms for a message's timestamp; default the current time. */
  now?: () => number
}

/**
 * Messages `{"sensor_id": "sensor-3", "timestamp": "2026-...Z", "reading": 21.37}`: each sensor has its own baseline
 * temperature, a daily cycle and noise. With `badRatio`, that share of messages is malformed, cycling through
 * MALFORMED_KINDS.
 */
export function sensorMessages(options: SensorOptions): () => SensorMessage {
  const random = seededRandom(options.seed)
  const now = options.now ?? Date.now
  // Zero-padded ids (sensor-01 .. sensor-10) sort the same as text and as numbers.
  const width = String(options.sensors).length
  const baselines = Array.from({ length: options.sensors }, (_, i) => 1800 + Math.round(random() * 600) + i * 10)
  let bad = 0
  return () => {
    const index = Math.floor(random() * options.sensors)
    const sensor = `sensor-${String(index + 1).padStart(width, '0')}`
    const ms = now()
    const hour = (ms / 3_600_000) % 24
    const noise = (random() + random() + random() - 1.5) * 60
    const readingCents = Math.round(baselines[index]! + 300 * Math.sin((hour / 24) * 2 * Math.PI) + noise)
    const timestamp = new Date(ms).toISOString()
    const reading = readingCents / 100
    if (random() < options.badRatio) {
      const malformed = MALFORMED_KINDS[bad++ % MALFORMED_KINDS.length]!
      const value =
        malformed === 'not JSON' ? `{"sensor_id": "${sensor}", "timestamp": "${timestamp}", "reading": ${reading}`
          : malformed === 'reading not a number' ? JSON.stringify({ sensor_id: sensor, timestamp, reading: 'n/a' })
          : JSON.stringify({ sensor_id: sensor, timestamp: 'yesterday', reading })
      return { key: sensor, value, malformed, sensor, readingCents }
    }
    return { key: sensor, value: JSON.stringify({ sensor_id: sensor, timestamp, reading }), sensor, readingCents }
  }
}

/** Totals before the first message. */
export function emptyTotals(): SensorTotals {
  return { messages: 0, valid: 0, malformed: { 'not JSON': 0, 'reading not a number': 0, 'invalid timestamp': 0 }, sensors: new Map() }
}

/** Counts one sent message: malformed by kind, valid ones per sensor. */
export function addToTotals(totals: SensorTotals, message: SensorMessage): void {
  totals.messages++
  if (message.malformed) {
    totals.malformed[message.malformed]++
    return
  }
  totals.valid++
  const s = totals.sensors.get(message.sensor)
  if (!s) totals.sensors.set(message.sensor, { count: 1, sumCents: message.readingCents, minCents: message.readingCents, maxCents: message.readingCents })
  else {
    s.count++
    s.sumCents += message.readingCents
    s.minCents = Math.min(s.minCents, message.readingCents)
    s.maxCents = Math.max(s.maxCents, message.readingCents)
  }
}

const cents = (n: number) => (n / 100).toFixed(2)

/** Per-sensor lines of the final summary, sorted by sensor id (numeric part in order), plus a total line. */
export function sensorTotalsRows(totals: SensorTotals): string[][] {
  const ids = [...totals.sensors.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  const rows = ids.map((id) => {
    const s = totals.sensors.get(id)!
    return [id, String(s.count), cents(s.sumCents), (s.sumCents / s.count / 100).toFixed(4), cents(s.minCents), cents(s.maxCents)]
  })
  const all = [...totals.sensors.values()]
  const count = all.reduce((n, s) => n + s.count, 0)
  const sum = all.reduce((n, s) => n + s.sumCents, 0)
  if (count) rows.push(['total', String(count), cents(sum), (sum / count / 100).toFixed(4), cents(Math.min(...all.map((s) => s.minCents))), cents(Math.max(...all.map((s) => s.maxCents)))])
  return rows
}

export const SENSOR_TOTALS_HEADER = ['sensor_id', 'messages', 'sum_reading', 'avg_reading', 'min_reading', 'max_reading']
