import { describe, expect, test } from 'bun:test'
import { ValidationError } from '../../../src/errors.ts'
import { parseJson, stringifyJson } from '../../../src/iceberg/serde/json.ts'

describe('parseJson / stringifyJson keep 64-bit integers exact', () => {
  test('integers beyond 2^53 parse to exact bigints; others stay numbers', () => {
    const parsed = parseJson('{"max": 9223372036854775807, "id": 5780384282046449170, "neg": -9223372036854775808, "small": 42, "f": 1.5, "e": 1e300, "safe": 9007199254740991}') as Record<string, unknown>
    expect(parsed.max).toBe(9223372036854775807n)
    expect(parsed.id).toBe(5780384282046449170n)
    expect(parsed.neg).toBe(-9223372036854775808n)
    expect(parsed.small).toBe(42)
    expect(parsed.f).toBe(1.5)
    expect(parsed.e).toBe(1e300)
    expect(parsed.safe).toBe(9007199254740991)
  })

  test('bigints are written as bare numbers and round-trip exactly', () => {
    const text = stringifyJson({ 'snapshot-id': 9223372036854775807n, ids: [5780384282046449170n, -1n], name: 'x' })
    expect(text).toBe('{"snapshot-id":9223372036854775807,"ids":[5780384282046449170,-1],"name":"x"}')
    expect(parseJson(text)).toEqual({ 'snapshot-id': 9223372036854775807n, ids: [5780384282046449170n, -1], name: 'x' })
  })

  test('indent is honoured', () => {
    expect(stringifyJson({ a: 1n }, 2)).toBe('{\n  "a": 1\n}')
  })

  test('malformed JSON is a ValidationError quoting the parser', () => {
    expect(() => parseJson('{"a": ')).toThrow(ValidationError)
    expect(() => parseJson('{"a": ')).toThrow(/invalid JSON/)
  })
})
