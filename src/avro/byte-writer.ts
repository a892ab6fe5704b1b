/** One growable byte buffer and the Avro binary encoding of primitives into it (Avro 1.11 spec, "Binary Encoding"). */
import { ValidationError } from '../errors.ts'

// Wire grammar (little-endian where it matters):
//   int, long    zigzag, then base-128 varint, low group first, high bit = "more follows"
//   float        4 bytes IEEE 754 LE        double   8 bytes IEEE 754 LE
//   boolean      1 byte, 0 or 1             null     nothing
//   bytes/string long length, then the bytes (strings as UTF-8)
//   fixed        exactly `size` bytes, no length

/** A buffer that grows by doubling; `length` bytes of `bytes` are written. */
export interface ByteWriter {
  bytes: Uint8Array
  view: DataView
  length: number
}

const TWO_32 = 4294967296
const utf8 = new TextEncoder()

export function createByteWriter(capacity = 4096): ByteWriter {
  const bytes = new Uint8Array(Math.max(16, capacity))
  return { bytes, view: new DataView(bytes.buffer), length: 0 }
}

/** Make room for `n` more bytes. */
export function reserve(w: ByteWriter, n: number): void {
  const needed = w.length + n
  if (needed <= w.bytes.length) return
  let size = w.bytes.length * 2
  while (size < needed) size *= 2
  const bytes = new Uint8Array(size)
  bytes.set(w.bytes.subarray(0, w.length))
  w.bytes = bytes
  w.view = new DataView(bytes.buffer)
}

/** The written bytes (a view, valid until the next write). */
export function written(w: ByteWriter): Uint8Array {
  return w.bytes.subarray(0, w.length)
}

export function writeRaw(w: ByteWriter, data: Uint8Array): void {
  reserve(w, data.length)
  w.bytes.set(data, w.length)
  w.length += data.length
}

export function writeBoolean(w: ByteWriter, value: boolean): void {
  reserve(w, 1)
  w.bytes[w.length++] = value ? 1 : 0
}

/** Varint of an unsigned 64-bit value given as two unsigned 32-bit halves. */
function writeVarint64(w: ByteWriter, hi: number, lo: number): void {
  reserve(w, 10)
  const bytes = w.bytes
  let pos = w.length
  while (hi !== 0 || lo > 0x7f) {
    bytes[pos++] = (lo & 0x7f) | 0x80
    lo = ((lo >>> 7) | (hi << 25)) >>> 0
    hi >>>= 7
  }
  bytes[pos++] = lo
  w.length = pos
}

/**
 * Avro `int`: a 32-bit signed integer.
 * @throws ValidationError `VALIDATION` when `value` is not an integer in [-2^31, 2^31).
 */
export function writeInt(w: ByteWriter, value: number): void {
  if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
    throw new ValidationError(`Avro int out of range: ${value}`, { value })
  }
  writeVarint64(w, 0, ((value << 1) ^ (value >> 31)) >>> 0)
}

const MIN_LONG = -(2n ** 63n)
const MAX_LONG = 2n ** 63n - 1n

/**
 * Avro `long`: a 64-bit signed integer. A bigint is written exactly over the whole range
 * (Java snapshot ids use all 63 bits); a number must be a safe integer.
 * @throws ValidationError `VALIDATION` when the value does not fit.
 */
export function writeLong(w: ByteWriter, value: bigint | number): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new ValidationError(`Avro long must be a safe integer or a bigint, got ${value}`, { value })
    if (value >= -1073741824 && value < 1073741824) {
      // Zigzag fits in 31 bits: plain int arithmetic.
      writeVarint64(w, 0, ((value << 1) ^ (value >> 31)) >>> 0)
      return
    }
    // zigzag(v) = 2v for v >= 0 and 2|v| - 1 for v < 0, computed on 32-bit halves so it stays exact.
    const magnitude = Math.abs(value)
    let hi = Math.floor(magnitude / TWO_32)
    let lo = magnitude % TWO_32
    hi = hi * 2 + (lo >= 0x80000000 ? 1 : 0)
    lo = (lo * 2) % TWO_32
    if (value < 0) {
      if (lo === 0) {
        lo = TWO_32 - 1
        hi -= 1
      } else lo -= 1
    }
    writeVarint64(w, hi >>> 0, lo)
    return
  }
  if (value < MIN_LONG || value > MAX_LONG) throw new ValidationError(`Avro long out of range: ${value}`, { value: String(value) })
  const zigzag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n))
  writeVarint64(w, Number(zigzag >> 32n), Number(zigzag & 0xffffffffn))
}

export function writeFloat(w: ByteWriter, value: number): void {
  reserve(w, 4)
  w.view.setFloat32(w.length, value, true)
  w.length += 4
}

export function writeDouble(w: ByteWriter, value: number): void {
  reserve(w, 8)
  w.view.setFloat64(w.length, value, true)
  w.length += 8
}

/** Avro `bytes`: length, then the bytes. */
export function writeBytes(w: ByteWriter, data: Uint8Array): void {
  writeLong(w, data.length)
  writeRaw(w, data)
}

/** UTF-8 length of a JS string, counting a lone surrogate as U+FFFD (3 bytes), as TextEncoder does. */
function utf8Length(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1)
      if (next >= 0xdc00 && next < 0xe000) {
        n += 4
        i++
      } else n += 3
    } else n += 3
  }
  return n
}

/** Avro `string`: UTF-8 length, then the UTF-8 bytes, encoded straight into the buffer. */
export function writeString(w: ByteWriter, value: string): void {
  const n = utf8Length(value)
  writeLong(w, n)
  reserve(w, n)
  if (n === value.length) {
    // ASCII (file paths, names): copy code units, skipping the encoder call.
    const bytes = w.bytes
    const start = w.length
    for (let i = 0; i < n; i++) bytes[start + i] = value.charCodeAt(i)
  } else {
    utf8.encodeInto(value, w.bytes.subarray(w.length, w.length + n))
  }
  w.length += n
}
