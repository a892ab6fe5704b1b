/** Host-only Parquet decompressors for scans: zstd and gzip from Bun (hyparquet has only snappy built in). */
import type { Decompressors } from '../../parquet/read.ts'
import { gunzipSync } from 'node:zlib'

/** ZSTD (our writer's default, and Spark's) and GZIP pages, decompressed with the host's codecs. */
export const hostDecompressors: Decompressors = {
  ZSTD: (input: Uint8Array) => Bun.zstdDecompressSync(input),
  GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)),
}
