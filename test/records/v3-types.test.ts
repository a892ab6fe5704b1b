/** Coercion into the format v3 types: timestamp_ns / timestamptz_ns (nanoseconds kept) and variant (any JSON-like value). */
import { describe, expect, test } from 'bun:test'
import { createRecordCoercer } from '../../src/records/coerce.ts'
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

describe('write-default (format v3 column defaults)', () => {
  const coercer = () =>
    createRecordCoercer({
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'id', required: true, type: 'long' },
        { id: 2, name: 'level', required: true, type: 'string', 'write-default': 'info' },
        { id: 3, name: 'at', required: false, type: 'timestamp_ns', 'write-default': '2026-01-01T00:00:00.000000001' },
        { id: 4, name: 'tag', required: false, type: 'binary', 'write-default': 'cafe' },
        { id: 5, name: 'n', required: false, type: 'long', 'write-default': 9007199254740993n },
      ],
    })
  test('a field the record leaves out gets its default, in canonical form; an explicit value or null is kept', () => {
    expect(coercer()({ id: 1 })).toEqual({ ok: true, row: { id: 1n, level: 'info', at: 1_767_225_600_000_000_001n, tag: new Uint8Array([0xca, 0xfe]), n: 9007199254740993n } })
    expect(coercer()({ id: 2, level: 'warn', at: null })).toMatchObject({ ok: true, row: { level: 'warn', at: null } })
  })
  test('a default that is not of its type fails when the coercer is built, naming the field', () => {
    const bad = { type: 'struct' as const, 'schema-id': 0, fields: [{ id: 1, name: 'n', required: false, type: 'int' as const, 'write-default': 'seven' }] }
    expect(() => createRecordCoercer(bad)).toThrow(/field n \(id 1\): write-default "seven" is not a int/)
  })
})
