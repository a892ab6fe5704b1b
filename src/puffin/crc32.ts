/** CRC-32 (ISO-HDLC / zlib: reflected polynomial 0xEDB88320), table-driven; pure. The deletion-vector checksum. */

const POLY = 0xedb88320

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256)
  for (let b = 0; b < 256; b++) {
    let c = b
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    table[b] = c >>> 0
  }
  return table
})()

/** CRC-32 of `bytes[start, end)`, as java.util.zip.CRC32 computes it: `crc32(utf8("123456789")) === 0xCBF43926`. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
