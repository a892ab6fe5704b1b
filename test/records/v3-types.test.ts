/** Coercion into the format v3 types: timestamp_ns / timestamptz_ns (nanoseconds kept) and variant (any JSON-like value). */
import { describe, expect, test } from 'bun:test'
import { coerceValue, rejectReason } from './one-field.ts'

describe('timestamp_ns, timestamptz_ns', () => {
  test('ISO text keeps all nine fraction digits; numbers are epoch milliseconds', () => {
    expect(coerceValue('timestamp_ns', '2023-11-14T22:13:20.123456789')).toBe(1_700_000_000_123_456_789n)
    expect(coerceValue('timestamp_ns', '1970-01-01T00:00:00.5')).toBe(500_000_000n)
    expect(coerceValue('timestamptz_ns', '2023-11-14T23:13:20.000000001+01:00')).toBe(1_700_000_000_000_000_001n)
    expect(coerceValue('timestamp_ns', 1_700_000_000_123)).toBe(1_700_000_000_123_000_000n)
    expect(coerceValue('timestamp_ns', '1969-12-31T23:59:59.999999999')).toBe(-1n)
  })
  test('timestamptz_ns needs a zone; the micro types still refuse nanoseconds', () => {
    expect(rejectReason('timestamptz_ns', '2023-11-14T22:13:20.1')).toContain('a zone is required')
    expect(rejectReason('timestamp', '2023-11-14T22:13:20.123456789')).toContain('finer than microseconds')
  })
})

describe('variant', () => {
  test('objects, arrays and scalars are kept as they are', () => {
    const doc = { a: [1, 'x', { b: null }], c: true, d: 1.5 }
    expect(coerceValue('variant', doc)).toEqual(doc)
    expect(coerceValue('variant', 'text')).toBe('text')
    expect(coerceValue('variant', 42)).toBe(42)
  })
  test('values the variant encoding cannot hold are refused with the reason', () => {
    expect(rejectReason('variant', { n: Number.POSITIVE_INFINITY })).toContain('variant cannot hold a non-finite number Infinity')
    expect(rejectReason('variant', [new Map()])).toContain('variant cannot hold')
    let deep: unknown = 1
    for (let i = 0; i < 70; i++) deep = [deep]
    expect(rejectReason('variant', deep)).toContain('nesting deeper than 64 levels')
  })
})
