/** Two's-complement big-endian integers: fixed and minimal widths, and reading them back signed. */
import { describe, expect, test } from 'bun:test'
import { fixedBigEndian, fromBigEndian, minimalBigEndian } from '../../src/iceberg/big-endian.ts'

describe('big-endian integers', () => {
  test('a fixed width pads with the sign and refuses a value that does not fit', () => {
    expect([...fixedBigEndian(1n, 3)!]).toEqual([0, 0, 1])
    expect([...fixedBigEndian(-2n, 3)!]).toEqual([0xff, 0xff, 0xfe])
    expect([...fixedBigEndian(-128n, 1)!]).toEqual([0x80])
    expect(fixedBigEndian(128n, 1)).toBeUndefined()
    expect(fixedBigEndian(-129n, 1)).toBeUndefined()
  })

  test('every width reads back as the signed value it was written from', () => {
    const values = [0n, 1n, -1n, 127n, 128n, -128n, -129n, 2n ** 63n - 1n, -(2n ** 63n), 10n ** 38n - 1n, -(10n ** 38n) + 1n]
    for (const value of values) {
      expect(fromBigEndian(minimalBigEndian(value))).toBe(value)
      expect(fromBigEndian(fixedBigEndian(value, 17)!)).toBe(value)
    }
    expect(fromBigEndian(new Uint8Array(0))).toBe(0n)
  })
})
