/** A cursor over bytes and the Avro binary decoding of primitives from it (inverse of byte-writer.ts). */
import { IngestError } from '../errors.ts'

/** Reads advance `pos`; nothing is copied except where a value must outlive the buffer. */
export interface ByteCursor {
  bytes: Uint8Array
  view: DataView
  pos: number
}

const TWO_32 = 4294967296
const utf8 = new TextDecoder()

export function createCursor(bytes: Uint8Array, pos = 0): ByteCursor {
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), pos }
}

/** @throws IngestError `AVRO_DECODE` */
export function truncated(c: ByteCursor, need: number): IngestError {
  return new IngestError('AVRO_DECODE', `Avro data truncated: need ${need} bytes at offset ${c.pos}, have ${c.bytes.length - c.pos}`, {
    context: { offset: c.pos },
  })
}

function ensure(c: ByteCursor, n: number): void {
  if (c.pos + n > c.bytes.length) throw truncated(c, n)
}

function nextByte(c: ByteCursor): number {
  if (c.pos >= c.bytes.length) throw truncated(c, 1)
  return c.bytes[c.pos++]!
}

/**
 * Avro `int` (zigzag varint of at most 5 bytes).
 * @throws IngestError `AVRO_DECODE` when truncated or longer than 32 bits.
 */
export function readInt(c: ByteCursor): number {
  let z = 0
  for (let shift = 0; shift < 35; shift += 7) {
    const b = nextByte(c)
    z |= (b & 0x7f) << shift
    if (b < 0x80) {
      if (shift === 28 && b > 0x0f) break
      return (z >>> 1) ^ -(z & 1)
    }
  }
  throw new IngestError('AVRO_DECODE', `Avro int varint too long or beyond 32 bits at offset ${c.pos}`, { context: { offset: c.pos } })
}

/**
 * Avro `long` as an exact bigint (the whole 64-bit range).
 * @throws IngestError `AVRO_DECODE` when truncated or longer than 10 bytes.
 */
export function readLong(c: ByteCursor): bigint {
  let lo = 0
  let hi = 0
  let b = 0
  let done = false
  // Bits 0..27 in the first four bytes, bits 28..34 straddle the halves, the rest go to `hi`.
  for (let shift = 0; shift < 28 && !done; shift += 7) {
    b = nextByte(c)
    lo |= (b & 0x7f) << shift
    done = b < 0x80
  }
  if (!done) {
    b = nextByte(c)
    lo |= (b & 0x7f) << 28
    hi = (b & 0x7f) >>> 4
    done = b < 0x80
    for (let shift = 3; shift < 32 && !done; shift += 7) {
      b = nextByte(c)
      hi |= (b & 0x7f) << shift
      done = b < 0x80
    }
    if (!done) throw new IngestError('AVRO_DECODE', `Avro long varint too long at offset ${c.pos}`, { context: { offset: c.pos } })
  }
  lo >>>= 0
  hi >>>= 0
  // Un-zigzag: magnitude = z >>> 1; value = magnitude, or -magnitude - 1 when the low bit is set.
  const negative = (lo & 1) === 1
  const mlo = ((lo >>> 1) | (hi << 31)) >>> 0
  const mhi = hi >>> 1
  if (mhi < 0x200000) {
    const magnitude = mhi * TWO_32 + mlo
    return BigInt(negative ? -magnitude - 1 : magnitude)
  }
  const magnitude = (BigInt(mhi) << 32n) | BigInt(mlo)
  return negative ? -magnitude - 1n : magnitude
}

/**
 * Avro `long` that must fit a JS number (counts, lengths, block sizes).
 * @throws IngestError `AVRO_DECODE` when it is not a safe integer.
 */
export function readSafeLong(c: ByteCursor): number {
  const value = readLong(c)
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new IngestError('AVRO_DECODE', `Avro long ${value} at offset ${c.pos} exceeds 2^53`, { context: { offset: c.pos } })
  }
  return Number(value)
}

/** @throws IngestError `AVRO_DECODE` when the byte is neither 0 nor 1. */
export function readBoolean(c: ByteCursor): boolean {
  const b = nextByte(c)
  if (b > 1) throw new IngestError('AVRO_DECODE', `Avro boolean byte ${b} at offset ${c.pos - 1}`, { context: { offset: c.pos - 1 } })
  return b === 1
}

export function readFloat(c: ByteCursor): number {
  ensure(c, 4)
  const value = c.view.getFloat32(c.pos, true)
  c.pos += 4
  return value
}

export function readDouble(c: ByteCursor): number {
  ensure(c, 8)
  const value = c.view.getFloat64(c.pos, true)
  c.pos += 8
  return value
}

/** `n` raw bytes as a copy, so the value does not pin the (possibly decompressed) block. */
export function readFixed(c: ByteCursor, n: number): Uint8Array {
  ensure(c, n)
  const value = c.bytes.slice(c.pos, c.pos + n)
  c.pos += n
  return value
}

function readLength(c: ByteCursor): number {
  const n = readSafeLong(c)
  if (n < 0) throw new IngestError('AVRO_DECODE', `negative Avro length ${n} at offset ${c.pos}`, { context: { offset: c.pos } })
  return n
}

/** Avro `bytes` (copied). */
export function readBytes(c: ByteCursor): Uint8Array {
  return readFixed(c, readLength(c))
}

/** Avro `string` (UTF-8). */
export function readString(c: ByteCursor): string {
  const n = readLength(c)
  ensure(c, n)
  const value = utf8.decode(c.bytes.subarray(c.pos, c.pos + n))
  c.pos += n
  return value
}
