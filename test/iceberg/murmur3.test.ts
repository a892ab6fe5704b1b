import { describe, expect, test } from 'bun:test'
import { murmur3BigInt, murmur3Bytes, murmur3Int, murmur3Long } from '../../src/iceberg/murmur3.ts'

const utf8 = (s: string) => new TextEncoder().encode(s)

describe('murmur3 x86 32-bit, seed 0', () => {
  test('matches the spec examples (Appendix B)', () => {
    expect(murmur3Int(34)).toBe(2017239379)
    expect(murmur3BigInt(34n)).toBe(2017239379)
    expect(murmur3Bytes(utf8('iceberg'))).toBe(1210000089)
    expect(murmur3Bytes(new Uint8Array([0, 1, 2, 3]))).toBe(-188683207)
  })

  test('known reference vectors for every tail length', () => {
    // Reference values of MurmurHash3_x86_32 (seed 0) as published with the algorithm's test suites.
    expect(murmur3Bytes(new Uint8Array(0))).toBe(0)
    expect(murmur3Bytes(utf8('a')) >>> 0).toBe(0x3c2569b2)
    expect(murmur3Bytes(utf8('ab')) >>> 0).toBe(0x9bbfd75f)
    expect(murmur3Bytes(utf8('abc')) >>> 0).toBe(0xb3dd93fa)
    expect(murmur3Bytes(utf8('abcd')) >>> 0).toBe(0x43ed676a)
    expect(murmur3Bytes(utf8('Hello, world!')) >>> 0).toBe(0xc0363e43)
  })

  test('a long hashes as its 8 little-endian bytes', () => {
    for (const v of [0n, 1n, -1n, 34n, 1510871468000000n, -(1n << 63n), (1n << 63n) - 1n]) {
      const bytes = new Uint8Array(8)
      new DataView(bytes.buffer).setBigInt64(0, v, true)
      expect(murmur3BigInt(v)).toBe(murmur3Bytes(bytes))
    }
  })

  test('int and long hash alike, negatives included', () => {
    for (const v of [0, 1, -1, 34, -34, 2147483647, -2147483648]) {
      expect(murmur3Int(v)).toBe(murmur3BigInt(BigInt(v)))
    }
    expect(murmur3Long(-1, -1)).toBe(murmur3BigInt(-1n))
  })
})
