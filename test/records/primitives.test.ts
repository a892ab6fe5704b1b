import { describe, expect, test } from 'bun:test'
import { coerceValue, rejectReason } from './one-field.ts'

describe('boolean and string', () => {
  test('boolean takes true and false only', () => {
    expect(coerceValue('boolean', true)).toBe(true)
    expect(coerceValue('boolean', false)).toBe(false)
    expect(rejectReason('boolean', 'true')).toBe('field "v": expected boolean, got string "true"')
    expect(rejectReason('boolean', 1)).toBe('field "v": expected boolean, got number 1')
  })
  test('string takes strings only and refuses lone surrogates', () => {
    expect(coerceValue('string', 'héllo 🌍')).toBe('héllo 🌍')
    expect(coerceValue('string', '')).toBe('')
    expect(rejectReason('string', 12)).toBe('field "v": expected string, got number 12')
    expect(rejectReason('string', JSON.parse('"a\\ud800"'))).toContain('lone UTF-16 surrogate')
  })
  test('long strings are cut in reasons', () => {
    const reason = rejectReason('int', 'x'.repeat(500))
    expect(reason.length).toBeLessThan(140)
    expect(reason).toContain('(500 chars)')
  })
})

describe('uuid', () => {
  test('canonical hyphenated form, lower-cased', () => {
    expect(coerceValue('uuid', 'F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6')).toBe('f81d4fae-7dec-11d0-a765-00a0c91e6bf6')
  })
  test('other shapes are rejected', () => {
    expect(rejectReason('uuid', 'f81d4fae7dec11d0a76500a0c91e6bf6')).toBe(
      'field "v": expected uuid (8-4-4-4-12 hex), got string "f81d4fae7dec11d0a76500a0c91e6bf6"',
    )
    expect(rejectReason('uuid', '{f81d4fae-7dec-11d0-a765-00a0c91e6bf6}')).toContain('expected uuid')
    expect(rejectReason('uuid', 'g81d4fae-7dec-11d0-a765-00a0c91e6bf6')).toContain('expected uuid')
  })
})

describe('binary and fixed', () => {
  test('base64 and base64url, padded or not, become bytes', () => {
    expect(coerceValue('binary', 'AAEC/w==')).toEqual(new Uint8Array([0, 1, 2, 255]))
    expect(coerceValue('binary', 'AAEC_w')).toEqual(new Uint8Array([0, 1, 2, 255]))
    expect(coerceValue('binary', '+/8=')).toEqual(new Uint8Array([251, 255]))
    expect(coerceValue('binary', '')).toEqual(new Uint8Array(0))
    const bytes = new Uint8Array([9])
    expect(coerceValue('binary', bytes)).toBe(bytes)
  })
  test('rejects text that is not base64', () => {
    expect(rejectReason('binary', 'AAE C')).toBe('field "v": expected base64 string, got string "AAE C"')
    expect(rejectReason('binary', 'A')).toContain('expected base64')
    expect(rejectReason('binary', 'a+b_')).toContain('expected base64')
    expect(rejectReason('binary', [1, 2])).toBe('field "v": expected base64 string, got array')
  })
  test('fixed[L] checks the length', () => {
    expect(coerceValue('fixed[4]', 'AAECAw==')).toEqual(new Uint8Array([0, 1, 2, 3]))
    expect(rejectReason('fixed[4]', 'AAEC')).toBe('field "v": expected 4 bytes for fixed[4], got 3')
  })
})
