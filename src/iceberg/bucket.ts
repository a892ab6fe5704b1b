/** The bucket transform's per-type hash (spec: "Bucket Transform Details", "Appendix B") over canonical row values. */
import { ValidationError } from '../errors.ts'
import { minimalBigEndian } from './big-endian.ts'
import { floorDiv } from './datetime.ts'
import { murmur3BigInt, murmur3Bytes, murmur3Int } from './murmur3.ts'
import type { IcebergValue, PrimitiveType } from './types.ts'

const utf8 = new TextEncoder()

/** The 16 big-endian bytes of a hyphenated UUID string. Throws ValidationError (code VALIDATION) on a malformed one. */
export function uuidBytes(uuid: string): Uint8Array {
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(uuid)) {
    throw new ValidationError(`invalid uuid ${JSON.stringify(uuid)}: expected 8-4-4-4-12 hex digits`, { value: uuid })
  }
  const hex = uuid.replaceAll('-', '')
  const out = new Uint8Array(16)
  for (let i = 0; i < 16; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

function wrongValue(type: PrimitiveType, value: IcebergValue, expected: string): ValidationError {
  const shown = typeof value === 'bigint' ? `${value}n` : value instanceof Uint8Array ? `Uint8Array(${value.length})` : JSON.stringify(value)
  return new ValidationError(`a ${type} value must be ${expected}, got ${typeof value} ${shown}`, { type, value: String(value) })
}

/**
 * The spec's 32-bit hash of a non-null value of `type`, as a signed int. int/date hash as longs,
 * time/timestamp as microsecond longs, decimal as the minimal bytes of its unscaled value, uuid as
 * 16 big-endian bytes. Throws ValidationError (code VALIDATION) for a type without a defined hash
 * (boolean, float, double) or a value not in the canonical form of `type`.
 */
export function hashValue(type: PrimitiveType, value: IcebergValue): number {
  switch (type) {
    case 'int':
    case 'date':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongValue(type, value, 'an integer number')
      return murmur3Int(value)
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      if (typeof value !== 'bigint') throw wrongValue(type, value, 'a bigint')
      return murmur3BigInt(value)
    case 'timestamp_ns':
    case 'timestamptz_ns':
      // Spec Appendix B: nanosecond timestamps hash as their microseconds (floor), so they bucket like timestamp.
      if (typeof value !== 'bigint') throw wrongValue(type, value, 'a bigint')
      return murmur3BigInt(floorDiv(value, 1000n))
    case 'string':
      if (typeof value !== 'string') throw wrongValue(type, value, 'a string')
      return murmur3Bytes(utf8.encode(value))
    case 'uuid':
      if (typeof value !== 'string') throw wrongValue(type, value, 'a uuid string')
      return murmur3Bytes(uuidBytes(value))
    case 'binary':
      if (!(value instanceof Uint8Array)) throw wrongValue(type, value, 'a Uint8Array')
      return murmur3Bytes(value)
    case 'boolean':
    case 'float':
    case 'double':
      throw new ValidationError(`cannot bucket a ${type} column: the spec defines bucket hashes only for int, long, decimal, date, time, timestamp, timestamptz, string, uuid, fixed and binary`, { type })
    default:
      if (type.startsWith('decimal')) {
        if (typeof value !== 'bigint') throw wrongValue(type, value, 'a bigint unscaled value')
        return murmur3Bytes(minimalBigEndian(value))
      }
      if (!(value instanceof Uint8Array)) throw wrongValue(type, value, 'a Uint8Array')
      return murmur3Bytes(value)
  }
}

/** `(hash & Integer.MAX_VALUE) % n`: the bucket of a non-null value. Throws ValidationError like hashValue. */
export function bucketOf(type: PrimitiveType, value: IcebergValue, n: number): number {
  return (hashValue(type, value) & 0x7fffffff) % n
}
