/** Test helpers: read our Parquet bytes back with hyparquet, keeping raw physical values where hyparquet would convert them. */
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import type { Compressors, FileMetaData } from 'hyparquet'

export function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

export function metadataOf(bytes: Uint8Array): FileMetaData {
  return parquetMetadata(arrayBufferOf(bytes))
}

/** Deeply replaces `undefined` with `null` (hyparquet returns undefined for some null groups). */
export function normalize(value: unknown): unknown {
  if (value === undefined || value === null) return null
  if (value instanceof Uint8Array || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(normalize)
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]))
}

/**
 * Rows as stored: timestamps/times as bigint micros, dates as day numbers, uuids and binary as
 * bytes, decimals as their unscaled physical value (number for INT32, bigint for INT64, bytes for
 * FIXED) because hyparquet would turn DECIMAL into a lossy float.
 */
export async function readRows(bytes: Uint8Array, compressors?: Compressors): Promise<Record<string, unknown>[]> {
  const file = arrayBufferOf(bytes)
  const metadata = parquetMetadata(file)
  for (const element of metadata.schema) {
    if (element.converted_type === 'DECIMAL') {
      element.converted_type = undefined
      element.logical_type = undefined
    }
  }
  const rows = await parquetReadObjects({
    file,
    metadata,
    compressors,
    utf8: false,
    parsers: {
      timestampFromMicroseconds: (v: bigint) => v,
      dateFromDays: (v: number) => v,
      uuidFromBytes: (v: Uint8Array) => v,
    },
  })
  return rows.map((row) => normalize(row) as Record<string, unknown>)
}

/** Two's-complement big-endian bytes → bigint (an independent decoder for FIXED decimals). */
export function signedBigEndian(bytes: Uint8Array): bigint {
  const hex = Buffer.from(bytes).toString('hex') || '0'
  const unsigned = BigInt(`0x${hex}`)
  return bytes.length && bytes[0]! >= 0x80 ? unsigned - (1n << BigInt(bytes.length * 8)) : unsigned
}
