import { describe, expect, test } from 'bun:test'
import { civilFromDays, daysFromCivil, floorDiv, formatDate, formatTimestamp } from '../../src/iceberg/datetime.ts'

describe('calendar arithmetic', () => {
  test('civilFromDays and daysFromCivil agree with Date.UTC across eras', () => {
    for (let day = -800_000; day <= 800_000; day += 997) {
      const date = new Date(day * 86_400_000)
      const civil = civilFromDays(day)
      expect(civil).toEqual({ year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() })
      expect(daysFromCivil(civil.year, civil.month, civil.day)).toBe(day)
    }
  })

  test('floorDiv rounds toward negative infinity', () => {
    expect(floorDiv(-1n, 10n)).toBe(-1n)
    expect(floorDiv(-10n, 10n)).toBe(-1n)
    expect(floorDiv(9n, 10n)).toBe(0n)
  })

  test('ISO forms as java.time prints them', () => {
    expect(formatDate(0)).toBe('1970-01-01')
    expect(formatDate(daysFromCivil(10000, 1, 1))).toBe('+10000-01-01')
    expect(formatTimestamp(0n, true)).toBe('1970-01-01T00:00:00+00:00')
  })
})
