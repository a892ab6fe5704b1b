import { describe, expect, test } from 'bun:test'
import { createCursor, readBoolean, readBytes, readDouble, readFloat, readInt, readLong, readSafeLong, readString } from '../../src/avro/byte-reader.ts'
import {
  createByteWriter,
  writeBoolean,
  writeBytes,
  writeDouble,
  writeFloat,
  writeInt,
  writeLong,
  writeString,
  written,
} from '../../src/avro/byte-writer.ts'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const bytesOf = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replaceAll(' ', ''), 'hex'))

function encoded(write: (w: ReturnType<typeof createByteWriter>) => void): Uint8Array {
  const w = createByteWriter(16)
  write(w)
  return written(w).slice()
}

describe('zigzag varints', () => {
  // The Avro spec's table plus the 32- and 64-bit extremes.
  const vectors: [bigint, string][] = [
    [0n, '00'],
    [-1n, '01'],
    [1n, '02'],
    [-2n, '03'],
    [2n, '04'],
    [-64n, '7f'],
    [64n, '8001'],
    [-65n, '8101'],
    [8191n, 'fe7f'],
    [8192n, '808001'],
    [2147483647n, 'feffffff0f'],
    [-2147483648n, 'ffffffff0f'],
    [2n ** 53n, '80808080808080 20'],
    [9223372036854775807n, 'feffffffffffffffff01'],
    [-9223372036854775808n, 'ffffffffffffffffff01'],
  ]
  for (const [value, bytes] of vectors) {
    test(`long ${value} <-> ${bytes}`, () => {
      expect(hex(encoded((w) => writeLong(w, value)))).toBe(bytes.replaceAll(' ', ''))
      expect(readLong(createCursor(bytesOf(bytes)))).toBe(value)
      if (value >= -(2n ** 53n) + 1n && value <= 2n ** 53n - 1n) {
        // The number path writes the same bytes as the bigint path.
        expect(hex(encoded((w) => writeLong(w, Number(value))))).toBe(bytes.replaceAll(' ', ''))
      }
    })
  }

  test('int uses the same encoding for 32-bit values', () => {
    for (const value of [0, -1, 1, -64, 64, 2147483647, -2147483648, 123456789, -987654321]) {
      const bytes = encoded((w) => writeInt(w, value))
      expect(hex(bytes)).toBe(hex(encoded((w) => writeLong(w, BigInt(value)))))
      expect(readInt(createCursor(bytes))).toBe(value)
    }
  })

  test('longs round-trip across every boundary, as bigint and as number', () => {
    const values: bigint[] = []
    for (let bit = 0; bit < 63; bit++) {
      const p = 1n << BigInt(bit)
      values.push(p - 1n, p, p + 1n, -p + 1n, -p, -p - 1n)
    }
    values.push(2n ** 63n - 1n, -(2n ** 63n), 1885989861900109568n, -1885989861900109568n)
    const w = createByteWriter(8)
    for (const value of values) writeLong(w, value)
    const safe = values.filter((v) => v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER))
    for (const value of safe) writeLong(w, Number(value))
    const c = createCursor(written(w))
    for (const value of values) expect(readLong(c)).toBe(value)
    for (const value of safe) expect(readSafeLong(c)).toBe(Number(value))
    expect(c.pos).toBe(w.length)
  })

  test('out-of-range values are rejected, not wrapped', () => {
    const w = createByteWriter()
    expect(() => writeLong(w, 2n ** 63n)).toThrow(/out of range/)
    expect(() => writeLong(w, -(2n ** 63n) - 1n)).toThrow(/out of range/)
    expect(() => writeLong(w, 2 ** 53)).toThrow(/safe integer/)
    expect(() => writeLong(w, 1.5)).toThrow(/safe integer/)
    expect(() => writeInt(w, 2 ** 31)).toThrow(/int out of range/)
    expect(() => writeInt(w, 0.5)).toThrow(/int out of range/)
    expect(w.length).toBe(0)
  })

  test('readSafeLong refuses a long beyond 2^53', () => {
    const bytes = encoded((w) => writeLong(w, 2n ** 53n))
    expect(() => readSafeLong(createCursor(bytes))).toThrow(/exceeds 2\^53/)
  })

  test('truncated and overlong varints fail with AVRO_DECODE', () => {
    expect(() => readLong(createCursor(bytesOf('80')))).toThrow(expect.objectContaining({ code: 'AVRO_DECODE' }))
    expect(() => readLong(createCursor(bytesOf('ffffffffffffffffffff01')))).toThrow(/too long/)
    expect(() => readInt(createCursor(bytesOf('ffffffff1f')))).toThrow(/beyond 32 bits/)
    expect(() => readInt(createCursor(bytesOf('ffffffffff01')))).toThrow(/too long/)
  })
})

describe('other primitives', () => {
  test('float and double are little-endian IEEE 754', () => {
    expect(hex(encoded((w) => writeFloat(w, 1.5)))).toBe('0000c03f')
    expect(hex(encoded((w) => writeDouble(w, 1.5)))).toBe('000000000000f83f')
    const doubles = [0, -0, 1.5, -2.25, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, Math.PI]
    const w = createByteWriter()
    for (const d of doubles) writeDouble(w, d)
    writeDouble(w, Number.NaN)
    writeFloat(w, Math.PI)
    writeFloat(w, -0)
    const c = createCursor(written(w))
    for (const d of doubles) expect(Object.is(readDouble(c), d)).toBe(true)
    expect(readDouble(c)).toBeNaN()
    expect(readFloat(c)).toBe(Math.fround(Math.PI))
    expect(Object.is(readFloat(c), -0)).toBe(true)
  })

  test('boolean is one byte; any other byte value is rejected', () => {
    expect(hex(encoded((w) => (writeBoolean(w, true), writeBoolean(w, false))))).toBe('0100')
    const c = createCursor(bytesOf('010002'))
    expect(readBoolean(c)).toBe(true)
    expect(readBoolean(c)).toBe(false)
    expect(() => readBoolean(c)).toThrow(/boolean byte 2/)
  })

  test('strings are length-prefixed UTF-8, including astral and lone surrogates', () => {
    expect(hex(encoded((w) => writeString(w, 'foo')))).toBe('06666f6f')
    expect(hex(encoded((w) => writeString(w, '')))).toBe('00')
    expect(hex(encoded((w) => writeString(w, 'é')))).toBe('04c3a9')
    expect(hex(encoded((w) => writeString(w, '😀')))).toBe('08f09f9880')
    // A lone surrogate becomes U+FFFD (3 bytes), as TextEncoder does; the length prefix must agree.
    expect(hex(encoded((w) => writeString(w, 'a\ud800b')))).toBe('0a61efbfbd62')
    const strings = ['plain/ascii/path.parquet', 'zé', '日本語', '😀x😀', 'x'.repeat(5000), 'ü'.repeat(3000)]
    const w = createByteWriter(4)
    for (const s of strings) writeString(w, s)
    const c = createCursor(written(w))
    for (const s of strings) expect(readString(c)).toBe(s)
    expect(c.pos).toBe(w.length)
  })

  test('bytes are length-prefixed and read back as copies', () => {
    const data = new Uint8Array([0, 255, 128, 1])
    const bytes = encoded((w) => writeBytes(w, data))
    expect(hex(bytes)).toBe('0800ff8001')
    const value = readBytes(createCursor(bytes))
    expect(value).toEqual(data)
    bytes[1] = 7
    expect(value[0]).toBe(0)
  })

  test('reading past the end fails with the offset', () => {
    expect(() => readString(createCursor(bytesOf('0a6162')))).toThrow(/truncated: need 5 bytes at offset 1/)
    expect(() => readDouble(createCursor(bytesOf('0000')))).toThrow(expect.objectContaining({ code: 'AVRO_DECODE' }))
    expect(() => readBytes(createCursor(bytesOf('03')))).toThrow(/negative Avro length/)
  })

  test('the buffer grows from a tiny start without losing bytes', () => {
    const w = createByteWriter(1)
    for (let i = 0; i < 10000; i++) writeLong(w, BigInt(i) * 1000003n)
    const c = createCursor(written(w))
    for (let i = 0; i < 10000; i++) expect(readLong(c)).toBe(BigInt(i) * 1000003n)
  })
})
