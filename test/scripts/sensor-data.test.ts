import { describe, expect, test } from 'bun:test'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { createRecordCoercer } from '../../src/records/coerce.ts'
import { addToTotals, emptyTotals, sensorMessages, sensorTotalsRows } from '../../scripts/cli/sensor-data.ts'
import { compileTemplate } from '../../scripts/cli/template.ts'

// The walkthrough's table, with every column optional: malformed messages must be refused even so.
const coerce = createRecordCoercer(parseSchemaDsl('sensor_id string, timestamp timestamp, reading double'))

function verdict(value: string): 'ok' | string {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return 'not JSON'
  }
  const result = coerce(parsed)
  return result.ok ? 'ok' : result.reason
}

describe('sensorMessages', () => {
  test('the same seed gives the same messages; valid ones are accepted by the worker\'s coercion, malformed ones refused', () => {
    const a = sensorMessages({ sensors: 4, badRatio: 0.2, seed: 1, now: () => 1_767_225_600_000 })
    const b = sensorMessages({ sensors: 4, badRatio: 0.2, seed: 1, now: () => 1_767_225_600_000 })
    const messages = Array.from({ length: 2000 }, () => a())
    expect(messages).toEqual(Array.from({ length: 2000 }, () => b()))
    const bad = messages.filter((m) => m.malformed)
    expect(bad.length / messages.length).toBeGreaterThan(0.17)
    expect(bad.length / messages.length).toBeLessThan(0.23)
    for (const m of messages) {
      const v = verdict(m.value)
      if (m.malformed) expect(v).not.toBe('ok')
      else expect(v).toBe('ok')
    }
    expect(new Set(bad.map((m) => m.malformed))).toEqual(new Set(['not JSON', 'reading not a number', 'invalid timestamp']))
    expect(new Set(messages.map((m) => m.key))).toEqual(new Set(['sensor-1', 'sensor-2', 'sensor-3', 'sensor-4']))
  })

  test('totals count only valid readings, sums exact in hundredths', () => {
    const next = sensorMessages({ sensors: 3, badRatio: 0.1, seed: 2 })
    const totals = emptyTotals()
    const valid: { sensor: string; reading: number }[] = []
    for (let i = 0; i < 500; i++) {
      const m = next()
      addToTotals(totals, m)
      if (!m.malformed) valid.push({ sensor: m.sensor, reading: (JSON.parse(m.value) as { reading: number }).reading })
    }
    expect(totals.valid).toBe(valid.length)
    const rows = sensorTotalsRows(totals)
    expect(rows.at(-1)![0]).toBe('total')
    expect(Number(rows.at(-1)![1])).toBe(valid.length)
    for (const row of rows.slice(0, -1)) {
      const mine = valid.filter((v) => v.sensor === row[0])
      expect(Number(row[1])).toBe(mine.length)
      expect(row[2]).toBe((Math.round(mine.reduce((s, v) => s + v.reading * 100, 0)) / 100).toFixed(2))
    }
  })
})

describe('compileTemplate', () => {
  test('fills placeholders per message and checks the result is JSON', () => {
    const render = compileTemplate('{"id": {{seq}}, "data": "row-{{seq}}", "n": {{int 1 3}}, "c": "{{pick red blue}}", "f": {{float 0 1 2}}}', 1)
    const values = Array.from({ length: 50 }, (_, i) => JSON.parse(render(i)) as { id: number; data: string; n: number; c: string; f: number })
    expect(values[7]!.id).toBe(7)
    expect(values[7]!.data).toBe('row-7')
    expect(new Set(values.map((v) => v.n))).toEqual(new Set([1, 2, 3]))
    expect(new Set(values.map((v) => v.c))).toEqual(new Set(['red', 'blue']))
    expect(values.every((v) => v.f >= 0 && v.f < 1)).toBe(true)
    expect(() => compileTemplate('{"id": {{int 1}}}', 1)).toThrow(/\{\{int\}\} takes 2 numbers/)
    expect(() => compileTemplate('{"t": {{now}}}', 1)).toThrow(/not JSON .*quote string placeholders/)
  })
})
