import { describe, expect, test } from 'bun:test'
import { ValidationError } from '../../src/errors.ts'
import { parsePrimitive } from '../../src/iceberg/schema.ts'
import {
  compareValues, decodeSingleValue, encodeSingleValue, truncateLowerBound, truncateUpperBound,
} from '../../src/iceberg/single-value.ts'
import type { IcebergValue, PrimitiveType } from '../../src/iceberg/types.ts'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))

// Byte vectors per the spec's Appendix D table (little-endian numbers, big-endian uuid and
// decimal) and Appendix B's uuid example; numbers cross-checked with Python's struct.pack.
const vectors: [PrimitiveType, IcebergValue, string][] = [
  ['boolean', false, '00'],
  ['boolean', true, '01'],
  ['int', 1, '01000000'],
  ['int', -1, 'ffffffff'],
  ['int', -2147483648, '00000080'],
  ['date', 19000, '384a0000'],
  ['long', 1n, '0100000000000000'],
  ['long', -2n, 'feffffffffffffff'],
  ['long', 2n ** 63n - 1n, 'ffffffffffffff7f'],
  ['time', 3_600_000_000n, '00a493d600000000'],
  ['timestamp', 1_700_000_000_000_000n, '00401e18240a0600'],
  ['timestamptz', -1n, 'ffffffffffffffff'],
  ['float', 1, '0000803f'],
  ['float', -0, '00000080'],
  ['double', 1, '000000000000f03f'],
  ['double', -2.5, '00000000000004c0'],
  ['string', 'iceberg', '69636562657267'],
  ['string', 'é😀', 'c3a9f09f9880'],
  ['string', '', ''],
  ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 'f79c3e09677c4bbda4793f349cb785e7'],
  ['fixed[3]', fromHex('00ff10'), '00ff10'],
  ['binary', fromHex('0001fe'), '0001fe'],
  ['binary', new Uint8Array(), ''],
  ['decimal(4,2)', 1420n, '058c'], // 14.20
  ['decimal(9,0)', 0n, '00'],
  ['decimal(9,0)', 127n, '7f'],
  ['decimal(9,0)', 128n, '0080'],
  ['decimal(9,0)', -1n, 'ff'],
  ['decimal(9,0)', -128n, '80'],
  ['decimal(9,0)', -129n, 'ff7f'],
  ['decimal(38,0)', 10n ** 38n - 1n, '4b3b4ca85a86c47a098a223fffffffff'],
]

describe('binary single-value serialization (Appendix D)', () => {
  test.each(vectors)('%s %p ↔ %s', (type, value, bytes) => {
    expect(hex(encodeSingleValue(type, value))).toBe(bytes)
    expect(decodeSingleValue(type, fromHex(bytes))).toEqual(value)
  })

  test('-0.0 keeps its sign both ways', () => {
    expect(Object.is(decodeSingleValue('double', encodeSingleValue('double', -0)), -0)).toBe(true)
  })

  test('any non-zero byte is true; promoted int/float bounds widen on read', () => {
    expect(decodeSingleValue('boolean', fromHex('02'))).toBe(true)
    expect(decodeSingleValue('long', fromHex('feffffff'))).toBe(-2n)
    expect(decodeSingleValue('double', fromHex('0000803f'))).toBe(1)
  })

  test('decimal type strings with a space, as Java writes them', () => {
    expect(parsePrimitive('decimal(10, 2)' as PrimitiveType)).toEqual({ kind: 'decimal', precision: 10, scale: 2 })
    expect(hex(encodeSingleValue('decimal(10, 2)' as PrimitiveType, -5n))).toBe('fb')
  })

  test.each([
    ['int', 2 ** 31],
    ['int', 1.5],
    ['long', 1],
    ['long', 2n ** 63n],
    ['string', null],
    ['uuid', 'f79c3e09677c4bbda4793f349cb785e'],
    ['fixed[3]', fromHex('00')],
    ['decimal(3,1)', 1000n],
    ['binary', 'abc'],
  ] as [PrimitiveType, IcebergValue][])('%s rejects %p', (type, value) => {
    expect(() => encodeSingleValue(type, value)).toThrow(ValidationError)
  })

  test('wrong lengths, bad UTF-8 and unknown types are rejected', () => {
    expect(() => decodeSingleValue('int', fromHex('0100'))).toThrow(/4 bytes/)
    expect(() => decodeSingleValue('uuid', fromHex('00'))).toThrow(ValidationError)
    expect(() => decodeSingleValue('string', fromHex('ff'))).toThrow(/UTF-8/)
    expect(() => encodeSingleValue('varchar' as PrimitiveType, 'x')).toThrow(/not a primitive/)
  })
})

describe('compareValues', () => {
  test('numbers: signed, -0 before +0; bigints', () => {
    expect(compareValues('int', -5, 3)).toBeLessThan(0)
    expect(compareValues('double', -0, 0)).toBeLessThan(0)
    expect(compareValues('double', 0, -0)).toBeGreaterThan(0)
    expect(compareValues('float', -0, -0)).toBe(0)
    expect(compareValues('long', -(2n ** 63n), 1n)).toBeLessThan(0)
    expect(compareValues('decimal(38,2)', 10n ** 37n, 10n ** 36n)).toBeGreaterThan(0)
    expect(compareValues('boolean', false, true)).toBeLessThan(0)
  })

  test('strings in code point (UTF-8 byte) order, not UTF-16 order', () => {
    expect('\uE000' > '😀').toBe(true) // what JS says
    expect(compareValues('string', '\uE000', '😀')).toBeLessThan(0) // U+E000 < U+1F600
    expect(compareValues('string', 'ab', 'abc')).toBeLessThan(0)
    expect(compareValues('string', 'b', 'abc')).toBeGreaterThan(0)
    expect(compareValues('string', 'x😀', 'x😀')).toBe(0)
    expect(compareValues('string', '😀', '😁')).toBeLessThan(0)
  })

  test('binary, fixed and uuid as unsigned bytes', () => {
    expect(compareValues('binary', fromHex('80'), fromHex('7f'))).toBeGreaterThan(0)
    expect(compareValues('binary', fromHex('01'), fromHex('0100'))).toBeLessThan(0)
    expect(compareValues('fixed[2]', fromHex('ff00'), fromHex('00ff'))).toBeGreaterThan(0)
    expect(compareValues('uuid', '80000000-0000-4000-8000-000000000000', '7fffffff-ffff-4fff-bfff-ffffffffffff')).toBeGreaterThan(0)
  })
})

describe('bound truncation (truncate(16), as Java UnicodeUtil / BinaryUtil)', () => {
  test('short values are returned unchanged', () => {
    expect(truncateLowerBound('iceberg')).toBe('iceberg')
    expect(truncateUpperBound('😀'.repeat(16))).toBe('😀'.repeat(16))
    const bytes = fromHex('ffff')
    expect(truncateUpperBound(bytes)).toBe(bytes)
  })

  test('strings count code points, not UTF-16 units', () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz'
    expect(truncateLowerBound(alphabet)).toBe('abcdefghijklmnop')
    expect(truncateUpperBound(alphabet)).toBe('abcdefghijklmnoq')
    expect(truncateLowerBound('😀'.repeat(20))).toBe('😀'.repeat(16))
    expect(truncateUpperBound('😀'.repeat(20))).toBe(`${'😀'.repeat(15)}😁`)
    expect(truncateLowerBound(alphabet, 3)).toBe('abc')
  })

  test('upper bounds carry past U+10FFFF, skip surrogates, or do not exist', () => {
    const max = '\u{10FFFF}'
    expect(truncateUpperBound(`a${max.repeat(16)}`)).toBe('b')
    expect(truncateUpperBound(`${'a'.repeat(15)}\uD7FFz`)).toBe(`${'a'.repeat(15)}\uE000`)
    expect(truncateUpperBound(max.repeat(17))).toBeNull()
  })

  test('binary increments the last byte below 0xff, or has no upper bound', () => {
    const input = new Uint8Array(20).fill(1)
    input[15] = 0xff
    input[14] = 0xfe
    expect(hex(truncateLowerBound(input))).toBe(`${'01'.repeat(14)}feff`)
    expect(hex(truncateUpperBound(input)!)).toBe(`${'01'.repeat(14)}ff`)
    expect(truncateUpperBound(new Uint8Array(17).fill(0xff))).toBeNull()
  })
})
