/** The roll triggers and commit pacing of policy.ts, without clocks or I/O. */
import { describe, expect, test } from 'bun:test'
import { commitLatencyMs, effectiveIntervalMs, maxIntervalMs, msUntilInterval, observeCommit, PACE_WINDOW, rollReason, type RollTriggers } from '../../src/batcher/policy.ts'

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

describe('commit pacing', () => {
  const paced: RollTriggers = { intervalMs: 1000, maxRows: 100, maxBytes: 10_000 }
  test('no commit yet, or commits well inside the interval: the configured interval', () => {
    expect(effectiveIntervalMs(paced, [])).toBe(1000)
    expect(effectiveIntervalMs(paced, [50, 80, 250])).toBe(1000)
  })
  test('slow commits stretch the interval to four commit latencies, capped at ten intervals by default', () => {
    // Glue-like 300 ms commits on a 1 s interval: commits would take 30% of it.
    expect(effectiveIntervalMs(paced, [300])).toBe(1200)
    // Unity-like 5 s commits: 20 s wanted, 10 s allowed.
    expect(effectiveIntervalMs(paced, [5000, 5000])).toBe(10_000)
    expect(effectiveIntervalMs({ ...paced, maxIntervalMs: 30_000 }, [5000])).toBe(20_000)
  })
  test('maxIntervalMs equal to intervalMs turns the stretching off', () => {
    expect(effectiveIntervalMs({ ...paced, maxIntervalMs: 1000 }, [5000])).toBe(1000)
    expect(maxIntervalMs({ ...paced, maxIntervalMs: 500 })).toBe(1000)
  })
  test('the latency is the median of the last five commits: one outlier stretches nothing, a faster catalog shrinks it back', () => {
    let pace = observeCommit([], 100)
    for (const ms of [120, 90, 4000, 110]) pace = observeCommit(pace, ms)
    expect(pace).toEqual([100, 120, 90, 4000, 110])
    expect(commitLatencyMs(pace)).toBe(110)
    expect(effectiveIntervalMs(paced, pace)).toBe(1000)
    for (const ms of [2000, 2000, 2000]) pace = observeCommit(pace, ms)
    expect(pace).toHaveLength(PACE_WINDOW)
    expect(effectiveIntervalMs(paced, pace)).toBe(8000)
    for (const ms of [40, 40, 40]) pace = observeCommit(pace, ms)
    expect(effectiveIntervalMs(paced, pace)).toBe(1000)
    expect(commitLatencyMs([10, 30])).toBe(20)
  })
})
