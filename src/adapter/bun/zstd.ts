/** Host-only zstd block compressor for writeDataFile's `compressors.zstd` (edge code has no zstd). */

/** Level 3: parquet-java's default, which Iceberg uses while `write.parquet.compression-level` is unset. */
export const ZSTD_LEVEL = 3

/** Compresses one Parquet page with Bun's built-in zstd. */
export function zstdCompress(input: Uint8Array): Uint8Array {
  return Bun.zstdCompressSync(input, { level: ZSTD_LEVEL })
}
