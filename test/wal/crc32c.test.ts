/** CRC-32C against published vectors (RFC 3720 B.4) and a bitwise reference. */

import { describe, expect, test } from 'bun:test'
import { crc32c } from '../../src/wal/crc32c.ts'

function reference(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const b of bytes) {
    c ^= b
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  }
  return ~c >>> 0
}

describe('crc32c', () => {
  test('published vectors', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283)
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa)
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43)
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e)
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c)
    expect(crc32c(new Uint8Array(0))).toBe(0)
  })

  test('matches a bitwise reference at every length and alignment', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) & 0xff)
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= bytes.length; end += 1 + (end % 5)) {
        expect(crc32c(bytes, start, end)).toBe(reference(bytes.subarray(start, end)))
      }
    }
  })

  test('continues across calls', () => {
    const bytes = new TextEncoder().encode('123456789')
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(crc32c(bytes, cut, bytes.length, crc32c(bytes, 0, cut))).toBe(0xe3069283)
    }
  })
})
