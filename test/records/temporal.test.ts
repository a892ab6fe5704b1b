import { describe, expect, test } from 'bun:test'
import { coerceValue, rejectReason } from './one-field.ts'

describe('date', () => {
  test('ISO dates and integer days become days since epoch', () => {
    expect(coerceValue('date', '1970-01-01')).toBe(0)
    expect(coerceValue('date', '2024-02-29')).toBe(19782)
    expect(coerceValue('date', '1969-12-31')).toBe(-1)
    expect(coerceValue('date', 19782)).toBe(19782)
  })
  test('rejects impossible dates, other shapes and fractional days', () => {
    expect(rejectReason('date', '2023-02-29')).toBe('field "v": invalid date "2023-02-29" (expected YYYY-MM-DD)')
    expect(rejectReason('date', '2024-13-01')).toContain('invalid date')
    expect(rejectReason('date', '2024-1-01')).toContain('invalid date')
    expect(rejectReason('date', '2024-01-01T00:00:00')).toContain('invalid date')
    expect(rejectReason('date', 1.5)).toContain('expected date')
    expect(rejectReason('date', 2 ** 31)).toContain('date out of range')
  })
})

describe('time', () => {
  test('clock text and integer micros become µs since midnight', () => {
    expect(coerceValue('time', '00:00:00')).toBe(0n)
    expect(coerceValue('time', '12:34:56.789')).toBe(45_296_789_000n)
    expect(coerceValue('time', '23:59:59.999999')).toBe(86_399_999_999n)
    expect(coerceValue('time', '01:00:00.123456000')).toBe(3_600_123_456n)
    expect(coerceValue('time', 1_000_000)).toBe(1_000_000n)
  })
  test('rejects bad clocks, sub-microsecond digits and out-of-range micros', () => {
    expect(rejectReason('time', '24:00:00')).toContain('invalid time "24:00:00"')
    expect(rejectReason('time', '12:00:60')).toContain('invalid time')
    expect(rejectReason('time', '12:00')).toContain('invalid time')
    expect(rejectReason('time', '12:00:00.1234567')).toContain('invalid time')
    expect(rejectReason('time', 86_400_000_000)).toContain('time out of range')
    expect(rejectReason('time', -1)).toContain('time out of range')
  })
})

describe('timestamp', () => {
  const at = (text: string): bigint => BigInt(Date.parse(text)) * 1000n
  test('zone-less ISO text is taken as is; zoned text is converted to UTC', () => {
    expect(coerceValue('timestamp', '2024-03-15T10:20:30')).toBe(at('2024-03-15T10:20:30Z'))
    expect(coerceValue('timestamp', '2024-03-15 10:20:30')).toBe(at('2024-03-15T10:20:30Z'))
    expect(coerceValue('timestamp', '2024-03-15T10:20')).toBe(at('2024-03-15T10:20:00Z'))
    expect(coerceValue('timestamp', '2024-03-15T10:20:30.123456')).toBe(at('2024-03-15T10:20:30Z') + 123_456n)
    expect(coerceValue('timestamp', '2024-03-15T10:20:30.5Z')).toBe(at('2024-03-15T10:20:30Z') + 500_000n)
    expect(coerceValue('timestamp', '2024-03-15T10:20:30+02:00')).toBe(at('2024-03-15T08:20:30Z'))
    expect(coerceValue('timestamp', '2024-03-15T10:20:30-0530')).toBe(at('2024-03-15T15:50:30Z'))
    expect(coerceValue('timestamp', '2024-03-15T10:20:30.123456000')).toBe(at('2024-03-15T10:20:30Z') + 123_456n)
    expect(coerceValue('timestamp', '1969-12-31T23:59:59.999999')).toBe(-1n)
    expect(coerceValue('timestamp', '9999-12-31T23:59:59.999999')).toBe(253_402_300_799_999_999n)
  })
  test('numbers are integer epoch milliseconds', () => {
    expect(coerceValue('timestamp', 1_700_000_000_123)).toBe(1_700_000_000_123_000n)
    expect(coerceValue('timestamp', -1)).toBe(-1000n)
    expect(coerceValue('timestamp', Number.MAX_SAFE_INTEGER)).toBe(9_007_199_254_740_991_000n)
    expect(rejectReason('timestamp', 1.5)).toBe('field "v": timestamp numbers are integer epoch milliseconds, got number 1.5')
  })
  test('rejects unparseable text, impossible dates, nanoseconds and bad zones', () => {
    expect(rejectReason('timestamp', 'yesterday')).toBe(
      'field "v": invalid timestamp "yesterday" (expected ISO-8601 YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|±HH:MM])',
    )
    expect(rejectReason('timestamp', '2024-02-30T00:00:00')).toContain('no such date or time')
    expect(rejectReason('timestamp', '2024-03-15T25:00:00')).toContain('no such date or time')
    expect(rejectReason('timestamp', '2024-03-15T10:20:30.1234567')).toContain('finer than microseconds')
    expect(rejectReason('timestamp', '2024-03-15T10:20:30.1234567891')).toContain('invalid timestamp')
    expect(rejectReason('timestamp', '2024-03-15T10:20:30+19:00')).toContain('zone offset out of range')
    expect(rejectReason('timestamp', '2024-03-15T10:20:30+02')).toContain('invalid timestamp')
    expect(rejectReason('timestamp', '2024-03-15T10:20:30Zjunk')).toContain('invalid timestamp')
    expect(rejectReason('timestamp', '2024-03-15')).toContain('invalid timestamp')
    expect(rejectReason('timestamp', '1700000000000')).toContain('invalid timestamp')
    expect(rejectReason('timestamp', true)).toContain('expected timestamp')
  })
})

describe('timestamptz', () => {
  test('requires a zone in text; numbers are epoch milliseconds', () => {
    expect(coerceValue('timestamptz', '2024-03-15T10:20:30Z')).toBe(1_710_498_030_000_000n)
    expect(coerceValue('timestamptz', '2024-03-15t10:20:30.000001z')).toBe(1_710_498_030_000_001n)
    expect(coerceValue('timestamptz', '2024-03-15T11:20:30+01:00')).toBe(1_710_498_030_000_000n)
    expect(coerceValue('timestamptz', 1_710_498_030_000)).toBe(1_710_498_030_000_000n)
    expect(rejectReason('timestamptz', '2024-03-15T10:20:30')).toBe(
      'field "v": invalid timestamptz "2024-03-15T10:20:30": a zone is required (Z or ±HH:MM)',
    )
  })
})
