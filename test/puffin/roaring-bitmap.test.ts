import { describe, expect, test } from 'bun:test'
import { decodeRoaring32, encodeRoaring32 } from '../../src/puffin/roaring-bitmap.ts'

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

describe('portable roaring bitmap', () => {
  test('an array container, byte for byte (no-run cookie, count, key/cardinality, offsets, values)', () => {
    expect(hex(encodeRoaring32([1, 2, 3]))).toBe('3a 30 00 00 01 00 00 00 00 00 02 00 10 00 00 00 01 00 02 00 03 00')
  })

  test('a run container when strictly smaller, with the run cookie and no offsets under 4 containers', () => {
    // 100 consecutive values: array 200 bytes, run 6 → run. Cookie 12347 | (1 - 1) << 16, run flags 01.
    expect(hex(encodeRoaring32(range(10, 110)))).toBe('3b 30 00 00 01 00 00 63 00 01 00 0a 00 63 00')
  })

  test('the empty bitmap is cookie and zero count', () => {
    expect(hex(encodeRoaring32([]))).toBe('3a 30 00 00 00 00 00 00')
    expect(decodeRoaring32(encodeRoaring32([]))).toEqual([])
  })

  test('array, bitmap and run containers round-trip, offsets present with 4+ containers', () => {
    const sparse = range(0, 3000).map((i) => i * 7) // key 0: 3,000 values, no two adjacent → array
    const dense = range(0, 30000).map((i) => 65536 + i * 2) // key 1, 30,000 values alternate: bitmap
    const runs = range(0, 50000).map((i) => 131072 + i) // key 2, one run
    const last = [0xffffffff - 1, 0xffffffff] // key 65535, array of 2
    const values = [...sparse, ...dense, ...runs, ...last]
    const bytes = encodeRoaring32(values)
    expect(decodeRoaring32(bytes)).toEqual(values)
    // run cookie with 4 containers → offsets follow the 16-byte descriptive header.
    const view = new DataView(bytes.buffer)
    expect(view.getUint16(0, true)).toBe(12347)
    expect(view.getUint16(2, true)).toBe(3)
    expect(bytes[4]).toBe(0b0100)
    expect(view.getUint32(5 + 16, true)).toBe(5 + 16 + 16)
  })

  test('a full container of 65536 values is one run', () => {
    const values = range(0, 65536)
    const bytes = encodeRoaring32(values)
    expect(bytes.length).toBe(4 + 1 + 4 + 2 + 4)
    expect(decodeRoaring32(bytes)).toEqual(values)
  })

  test('unsorted input and truncated or foreign bytes are refused with the offset named', () => {
    expect(() => encodeRoaring32([3, 2])).toThrow(/ascending and distinct: 2 after 3/)
    const bytes = encodeRoaring32([1, 2, 3])
    expect(() => decodeRoaring32(bytes.subarray(0, bytes.length - 1))).toThrow(/array container at byte 16 runs past the end/)
    expect(() => decodeRoaring32(Uint8Array.of(1, 2, 3, 4))).toThrow(/cookie 67305985/)
  })
})
