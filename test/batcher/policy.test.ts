import { describe, expect, test } from 'bun:test'
import { msUntilInterval, rollReason, type RollTriggers } from '../../src/batcher/policy.ts'

const triggers: RollTriggers = { intervalMs: 1000, maxRows: 100, maxBytes: 10_000 }

describe('rollReason', () => {
  test('an empty buffer never rolls, however old', () => {
    expect(rollReason({ rows: 0, bytes: 0, oldestAtMs: undefined }, triggers, 1e12)).toBeUndefined()
  })
  test('rows, bytes and interval each fire on their own', () => {
    expect(rollReason({ rows: 100, bytes: 1, oldestAtMs: 0 }, triggers, 1)).toBe('rows')
    expect(rollReason({ rows: 1, bytes: 10_000, oldestAtMs: 0 }, triggers, 1)).toBe('bytes')
    expect(rollReason({ rows: 1, bytes: 1, oldestAtMs: 0 }, triggers, 1000)).toBe('interval')
    expect(rollReason({ rows: 99, bytes: 9_999, oldestAtMs: 0 }, triggers, 999)).toBeUndefined()
  })
  test('time left until the interval fires', () => {
    expect(msUntilInterval({ rows: 1, bytes: 1, oldestAtMs: 500 }, triggers, 700)).toBe(800)
    expect(msUntilInterval({ rows: 1, bytes: 1, oldestAtMs: 0 }, triggers, 5000)).toBe(0)
    expect(msUntilInterval({ rows: 0, bytes: 0, oldestAtMs: undefined }, triggers, 5000)).toBeUndefined()
  })
})
