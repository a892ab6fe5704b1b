/**
 * The `deletion-vector-v1` blob (puffin-spec.md "deletion-vector-v1"): the deleted row positions of one data file as a
 * 64-bit Roaring bitmap, framed by a length, a magic and a CRC. Pure; positions are safe integers in ascending order.
 */
import { crc32 } from './crc32.ts'
import { PuffinError } from './errors.ts'
import { planRoaring32, readRoaring32, type Roaring32Plan } from './roaring-bitmap.ts'

// Blob layout:
//   u32 big-endian   length of magic + vector
//   4 bytes          magic D1 D3 39 64
//   vector           u64 little-endian count of 32-bit bitmaps, then per bitmap, keys ascending:
//                    u32 little-endian key (the positions' high 32 bits), a portable 32-bit Roaring bitmap of the low bits
//   u32 big-endian   CRC-32 of magic + vector

export const DELETION_VECTOR_MAGIC = Uint8Array.of(0xd1, 0xd3, 0x39, 0x64)
export const DELETION_VECTOR_BLOB_TYPE = 'deletion-vector-v1'
const TWO_32 = 2 ** 32

/**
 * Positions as a DV holds them: ascending and distinct. Accepts any order and repeats.
 * @throws PuffinError `DELETION_VECTOR_INVALID` for a position that is not a non-negative safe integer.
 */
export function sortedPositions(positions: Iterable<number>): number[] {
  const all = Float64Array.from(positions)
  for (const p of all) {
    if (!Number.isSafeInteger(p) || p < 0) throw new PuffinError('DELETION_VECTOR_INVALID', `row position ${p} is not a non-negative integer`)
  }
  all.sort()
  const out: number[] = []
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) out.push(all[i]!)
  return out
}

/** The union of two ascending, distinct position lists (a merged DV), ascending and distinct. */
export function mergePositions(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    const x = i < a.length ? a[i]! : Number.POSITIVE_INFINITY
    const y = j < b.length ? b[j]! : Number.POSITIVE_INFINITY
    if (x <= y) {
      out.push(x)
      i++
      if (x === y) j++
    } else {
      out.push(y)
      j++
    }
  }
  return out
}

/**
 * The blob bytes for `positions` (ascending, distinct; see sortedPositions). Like Iceberg Java, every key from 0 to
 * the highest one gets a bitmap, empty ones included, and containers are run-length encoded where that is smaller.
 * @throws PuffinError `DELETION_VECTOR_INVALID` for positions out of order or not non-negative integers.
 */
export function encodeDeletionVector(positions: readonly number[]): Uint8Array {
  const lows: number[] = new Array(positions.length)
  const bounds: number[] = [0]
  let previous = -1
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!
    if (!Number.isSafeInteger(p) || p <= previous) {
      throw new PuffinError('DELETION_VECTOR_INVALID', `deletion vector positions must be ascending, distinct non-negative integers: ${p} after ${previous}`)
    }
    const key = Math.floor(p / TWO_32)
    while (bounds.length <= key) bounds.push(i)
    lows[i] = p - key * TWO_32
    previous = p
  }
  const keys = positions.length ? bounds.length : 0
  const plans: Roaring32Plan[] = []
  for (let k = 0; k < keys; k++) plans.push(planRoaring32(lows, bounds[k]!, k + 1 < keys ? bounds[k + 1]! : positions.length))
  const vectorBytes = 8 + plans.reduce((sum, plan) => sum + 4 + plan.bytes, 0)
  const blob = new Uint8Array(4 + 4 + vectorBytes + 4)
  const view = new DataView(blob.buffer)
  view.setUint32(0, 4 + vectorBytes, false)
  blob.set(DELETION_VECTOR_MAGIC, 4)
  view.setBigUint64(8, BigInt(keys), true)
  let o = 16
  for (const [key, plan] of plans.entries()) {
    view.setUint32(o, key, true)
    o = plan.write(view, o + 4)
  }
  view.setUint32(o, crc32(blob, 4, o), false)
  return blob
}

/**
 * The deleted positions of a blob, ascending.
 * @throws PuffinError `DELETION_VECTOR_INVALID` for a wrong length, magic or CRC, or keys out of order;
 *   `ROARING_INVALID` for a malformed bitmap inside.
 */
export function decodeDeletionVector(blob: Uint8Array): number[] {
  const invalid = (message: string) => new PuffinError('DELETION_VECTOR_INVALID', message)
  if (blob.length < 16) throw invalid(`deletion vector blob is ${blob.length} bytes, shorter than its framing (16)`)
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength)
  const length = view.getUint32(0, false)
  if (length + 8 !== blob.length) throw invalid(`deletion vector length field says ${length} bytes of magic + vector, the blob holds ${blob.length - 8}`)
  for (let i = 0; i < 4; i++) {
    if (blob[4 + i] !== DELETION_VECTOR_MAGIC[i]) throw invalid(`deletion vector magic is ${hex(blob.subarray(4, 8))}, expected d1d33964`)
  }
  const end = 4 + length
  const stored = view.getUint32(end, false)
  const computed = crc32(blob, 4, end)
  if (stored !== computed) throw invalid(`deletion vector CRC-32 is ${stored.toString(16)}, the content gives ${computed.toString(16)}`)
  const vector = new DataView(blob.buffer, blob.byteOffset, end)
  const count = vector.getBigUint64(8, true)
  const positions: number[] = []
  let o = 16
  let previousKey = -1
  for (let b = 0n; b < count; b++) {
    if (o + 4 > end) throw invalid(`deletion vector claims ${count} bitmaps but ends after ${b}`)
    const key = vector.getUint32(o, true)
    if (key <= previousKey) throw invalid(`deletion vector bitmap keys out of order: ${key} after ${previousKey}`)
    previousKey = key
    o = readRoaring32(vector, o + 4, (p) => positions.push(p), key * TWO_32)
  }
  if (o !== end) throw invalid(`deletion vector has ${end - o} bytes after its last bitmap`)
  return positions
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
