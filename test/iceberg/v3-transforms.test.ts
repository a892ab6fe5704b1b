/** Partition transforms and single values of the nanosecond timestamp types (format v3). */
import { describe, expect, test } from 'bun:test'
import { humanString } from '../../src/iceberg/human-string.ts'
import { decodeSingleValue, encodeSingleValue } from '../../src/iceberg/single-value.ts'
import { applyTransform, canTransform } from '../../src/iceberg/transforms.ts'

const NS = 1_700_000_000_123_456_789n // 2023-11-14T22:13:20.123456789Z
const MICROS = NS / 1000n

describe('timestamp_ns / timestamptz_ns', () => {
  test('day, hour, month, year count the same units as for micros; bucket hashes the microseconds (floored)', () => {
    for (const transform of ['day', 'hour', 'month', 'year', 'bucket[16]'] as const) {
      expect(applyTransform(transform, 'timestamp_ns', NS)).toEqual(applyTransform(transform, 'timestamp', MICROS))
      expect(applyTransform(transform, 'timestamptz_ns', NS)).toEqual(applyTransform(transform, 'timestamptz', MICROS))
    }
    // before 1970: -1 ns is in the microsecond -1, the day -1
    expect(applyTransform('bucket[16]', 'timestamp_ns', -1n)).toEqual(applyTransform('bucket[16]', 'timestamp', -1n))
    expect(applyTransform('day', 'timestamp_ns', -1n)).toBe(-1)
    expect(canTransform('truncate[4]', 'timestamp_ns')).toBe(false)
  })

  test('single values are 8-byte little-endian longs; identity partitions print nanoseconds', () => {
    expect(decodeSingleValue('timestamp_ns', encodeSingleValue('timestamp_ns', NS))).toBe(NS)
    expect(encodeSingleValue('timestamptz_ns', NS)).toHaveLength(8)
    expect(humanString('identity', 'timestamptz_ns', NS)).toBe('2023-11-14T22:13:20.123456789+00:00')
  })

  test('variant has no single value and no order', () => {
    expect(() => encodeSingleValue('variant', 'x')).toThrow(/variant values have no binary single-value serialization/)
  })
})
