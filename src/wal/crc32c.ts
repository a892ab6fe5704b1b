/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven slicing-by-8; pure. */

const POLY = 0x82f63b78

/** Eight 256-entry tables: TABLE[k][b] is the CRC of byte b followed by k zero bytes. */
const TABLE: Uint32Array = buildTable()

function buildTable(): Uint32Array {
  const table = new Uint32Array(8 * 256)
  for (let b = 0; b < 256; b++) {
    let c = b
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    table[b] = c >>> 0
  }
  for (let b = 0; b < 256; b++) {
    let c = table[b]!
    for (let t = 1; t < 8; t++) {
      c = table[c & 0xff]! ^ (c >>> 8)
      table[t * 256 + b] = c >>> 0
    }
  }
  return table
}

/**
 * CRC-32C of `bytes[start, end)`, continuing from `crc` (the value a previous call returned; 0 to begin).
 * `crc32c(utf8("123456789")) === 0xE3069283`.
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  const t = TABLE
  let c = ~crc >>> 0
  let i = start
  // Slicing-by-8: fold eight bytes per step through eight tables instead of one table lookup per byte.
  for (const stop = end - 8; i <= stop; i += 8) {
    const lo = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0
    const hi = bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24)
    c =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + (hi & 0xff)]! ^
      t[512 + ((hi >>> 8) & 0xff)]! ^
      t[256 + ((hi >>> 16) & 0xff)]! ^
      t[(hi >>> 24) & 0xff]!
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}
