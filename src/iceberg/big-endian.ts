/**
 * Two's-complement big-endian integers of any width: the byte form of decimal unscaled values in single values
 * (spec Appendix D), Avro fixed decimals, Parquet FIXED_LEN_BYTE_ARRAY decimals and the bucket hash (Appendix B).
 * The widths that fit a machine word go through DataView where they occur; these are the arbitrary-width ones.
 */

/** Whether `value` fits a signed integer of `size` bytes. */
function fits(value: bigint, size: number): boolean {
  const half = 1n << BigInt(8 * size - 1)
  return value >= -half && value < half
}

/** `value` in exactly `size` bytes, or undefined when it does not fit them. */
export function fixedBigEndian(value: bigint, size: number): Uint8Array | undefined {
  if (!fits(value, size)) return undefined
  const out = new Uint8Array(size)
  let rest = BigInt.asUintN(8 * size, value)
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn)
    rest >>= 8n
  }
  return out
}

/** The fewest bytes that hold `value` (Java BigInteger.toByteArray; 0 is one zero byte). */
export function minimalBigEndian(value: bigint): Uint8Array {
  let size = 1
  while (!fits(value, size)) size++
  return fixedBigEndian(value, size)!
}

/** The signed integer of `bytes` (sign-extended from the top bit of the first byte; no bytes is 0). */
export function fromBigEndian(bytes: Uint8Array): bigint {
  let value = 0n
  for (const b of bytes) value = (value << 8n) | BigInt(b)
  return BigInt.asIntN(8 * bytes.length, value)
}

/**
 * Smallest byte count whose signed range holds every unscaled value of `precision` digits (Java
 * TypeUtil.decimalRequiredBytes): the size of fixed-backed decimals in Avro and Parquet.
 */
export function decimalRequiredBytes(precision: number): number {
  const largest = 10n ** BigInt(precision) - 1n
  let bytes = 1
  while (!fits(largest, bytes)) bytes++
  return bytes
}
