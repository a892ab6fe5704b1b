/** Host-only zstd block compressor for Deno: node:zlib's zstd (Deno has no web zstd codec; neither does workerd). */
import { constants, zstdCompressSync } from 'node:zlib'

/** Level 3, as the Bun worker uses (src/adapter/bun/zstd.ts): parquet-java's default while `write.parquet.compression-level` is unset. */
const ZSTD_LEVEL = 3

/** Compresses one Parquet page. */
export function zstdCompress(input: Uint8Array): Uint8Array {
  return zstdCompressSync(input, { params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } })
}
