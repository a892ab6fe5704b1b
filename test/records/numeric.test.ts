import { describe, expect, test } from 'bun:test'
import { coerceValue, rejectReason } from './one-field.ts'

describe('int', () => {
  test('accepts integral numbers, integer strings and in-range bigints', () => {
    expect(coerceValue('int', 42)).toBe(42)
    expect(coerceValue('int', 1e3)).toBe(1000)
    expect(coerceValue('int', '-17')).toBe(-17)
    expect(coerceValue('int', 2147483647)).toBe(2147483647)
    expect(coerceValue('int', -2147483648)).toBe(-2147483648)
    expect(coerceValue('int', 5n)).toBe(5)
    expect(Object.is(coerceValue('int', -0), 0)).toBe(true)
  })
  test('rejects fractions, out-of-range values and non-canonical strings', () => {
    expect(rejectReason('int', 1.5)).toBe('field "v": expected int, got number 1.5')
    expect(rejectReason('int', 2147483648)).toBe('field "v": int out of range -2^31..2^31-1, got number 2147483648')
    expect(rejectReason('int', '99999999999')).toContain('int out of range')
    expect(rejectReason('int', '007')).toBe('field "v": expected int, got string "007"')
    expect(rejectReason('int', '1e3')).toContain('expected int')
    expect(rejectReason('int', ' 1')).toContain('expected int')
    expect(rejectReason('int', true)).toBe('field "v": expected int, got boolean true')
  })
})

describe('long', () => {
  test('numbers and decimal strings become exact bigints', () => {
    expect(coerceValue('long', 7)).toBe(7n)
    expect(coerceValue('long', Number.MAX_SAFE_INTEGER)).toBe(9007199254740991n)
    expect(coerceValue('long', '9223372036854775807')).toBe(9223372036854775807n)
    expect(coerceValue('long', '-9223372036854775808')).toBe(-9223372036854775808n)
    expect(coerceValue('long', 12n)).toBe(12n)
  })
  test('refuses numbers JSON may already have rounded, fractions and out-of-range strings', () => {
    // 2^53 + 1 parses to 2^53: the number is not safe, so the record is refused rather than stored wrong.
    expect(rejectReason('long', JSON.parse('9007199254740993'))).toContain('beyond ±(2^53-1) and may have been rounded by JSON parsing; send it as a string')
    expect(rejectReason('long', 0.5)).toBe('field "v": expected long, got number 0.5')
    expect(rejectReason('long', '9223372036854775808')).toContain('long out of range')
    expect(rejectReason('long', '123456789012345678901234')).toContain('long out of range')
    expect(rejectReason('long', 'abc')).toBe('field "v": expected long, got string "abc"')
  })
})

describe('float and double', () => {
  test('double takes numbers, JSON-number strings and the non-finite names', () => {
    expect(coerceValue('double', 1.25)).toBe(1.25)
    expect(coerceValue('double', '2.5e-3')).toBe(0.0025)
    expect(coerceValue('double', 'NaN')).toBeNaN()
    expect(coerceValue('double', 'Infinity')).toBe(Number.POSITIVE_INFINITY)
    expect(coerceValue('double', '-Infinity')).toBe(Number.NEGATIVE_INFINITY)
  })
  test('double rejects other strings and booleans', () => {
    expect(rejectReason('double', 'abc')).toBe('field "v": expected double, got string "abc"')
    expect(rejectReason('double', 'nan')).toContain('expected double')
    expect(rejectReason('double', '1.')).toContain('expected double')
    expect(rejectReason('double', false)).toBe('field "v": expected double, got boolean false')
  })
  test('float rounds to float32 and refuses finite values beyond its range', () => {
    expect(coerceValue('float', 0.1)).toBe(Math.fround(0.1))
    expect(coerceValue('float', 'Infinity')).toBe(Number.POSITIVE_INFINITY)
    expect(rejectReason('float', 1e39)).toBe('field "v": float out of range ±3.4028235e38, got number 1e+39')
  })
})

describe('decimal(P,S)', () => {
  test('strings and numbers become the unscaled bigint, rescaled without loss', () => {
    expect(coerceValue('decimal(9,2)', '12.3')).toBe(1230n)
    expect(coerceValue('decimal(9,2)', '-0.05')).toBe(-5n)
    expect(coerceValue('decimal(9,2)', 12.34)).toBe(1234n)
    expect(coerceValue('decimal(9,2)', '1.2300')).toBe(123n)
    expect(coerceValue('decimal(9,2)', '1.5e2')).toBe(15000n)
    expect(coerceValue('decimal(9,2)', '+7')).toBe(700n)
    expect(coerceValue('decimal(9,2)', '.5')).toBe(50n)
    expect(coerceValue('decimal(9,2)', '0000')).toBe(0n)
    expect(coerceValue('decimal(38,0)', '99999999999999999999999999999999999999')).toBe(10n ** 38n - 1n)
    expect(coerceValue('decimal(5,5)', '0.12345')).toBe(12345n)
  })
  test('rejects lost fraction digits, precision overflow and unsafe numbers', () => {
    expect(rejectReason('decimal(9,2)', '1.234')).toBe('field "v": decimal(9,2) allows 2 fraction digits; "1.234" would lose precision')
    expect(rejectReason('decimal(9,2)', '12345678')).toBe('field "v": "12345678" needs 10 digits, more than decimal(9,2) holds')
    expect(rejectReason('decimal(9,2)', '1e999999999')).toContain('more than decimal(9,2) holds')
    expect(rejectReason('decimal(38,20)', 0.1 + 0.2)).toContain('more than 15 significant digits')
    expect(rejectReason('decimal(9,2)', 'abc')).toBe('field "v": expected decimal(9,2), got string "abc"')
    expect(rejectReason('decimal(9,2)', '.')).toContain('expected decimal(9,2)')
    expect(rejectReason('decimal(9,2)', Number.NaN)).toContain('expected decimal(9,2) (string or number)')
    expect(rejectReason('decimal(9,2)', true)).toContain('got boolean true')
  })
})
