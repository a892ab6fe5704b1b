/** Murmur3 x86 32-bit hash, seed 0, as the spec requires for bucketing (spec: "Appendix B: 32-bit Hash Requirements"). */

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

function mixK(k: number): number {
  k = Math.imul(k, C1)
  k = (k << 15) | (k >>> 17)
  return Math.imul(k, C2)
}

function mixH(h: number, k: number): number {
  h ^= mixK(k)
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

function finalize(h: number, length: number): number {
  h ^= length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h | 0
}

/** Hash of the bytes as a signed 32-bit integer (what Java's Guava murmur3_32 `asInt()` returns). */
export function murmur3Bytes(bytes: Uint8Array, seed = 0): number {
  let h = seed | 0
  const blocks = bytes.length & ~3
  for (let i = 0; i < blocks; i += 4) {
    const k = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24)
    h = mixH(h, k)
  }
  const rest = bytes.length & 3
  if (rest > 0) {
    let k = 0
    if (rest === 3) k ^= (bytes[blocks + 2] as number) << 16
    if (rest >= 2) k ^= (bytes[blocks + 1] as number) << 8
    k ^= bytes[blocks] as number
    h ^= mixK(k)
  }
  return finalize(h, bytes.length)
}

/**
 * Hash of a 64-bit integer as its 8 little-endian bytes (the spec's `hashLong`), computed on the two
 * 32-bit halves directly so hashing a row value allocates nothing. `low`/`high` are the halves as int32.
 */
export function murmur3Long(low: number, high: number): number {
  return finalize(mixH(mixH(0, low | 0), high | 0), 8)
}

/** `hashLong` of a bigint (taken modulo 2^64, as Java's long is). */
export function murmur3BigInt(value: bigint): number {
  return murmur3Long(Number(BigInt.asIntN(32, value)), Number(BigInt.asIntN(32, value >> 32n)))
}

/** `hashLong(long(v))` of a 32-bit integer: int and long must hash alike so promotion keeps buckets. */
export function murmur3Int(value: number): number {
  return murmur3Long(value | 0, value < 0 ? -1 : 0)
}
