import { describe, expect, test } from 'bun:test'
import { ValidationError } from '../../src/errors.ts'
import { minimalBigEndian } from '../../src/iceberg/big-endian.ts'
import { hashValue } from '../../src/iceberg/bucket.ts'
import { applyTransform, canTransform, parseTransform, partitionPath, partitionValues, transformResultType } from '../../src/iceberg/transforms.ts'
import type { PartitionSpec, Schema } from '../../src/iceberg/types.ts'

const days = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 86_400_000
const micros = (iso: string, extraMicros = 0) => BigInt(Date.parse(iso)) * 1000n + BigInt(extraMicros)

describe('bucket hash: every example of the spec (Appendix B)', () => {
  test.each([
    ['int', 34, 2017239379],
    ['long', 34n, 2017239379],
    ['decimal(4,2)', 1420n, -500754589],
    ['date', days(2017, 11, 16), -653330422],
    ['time', BigInt((22 * 3600 + 31 * 60 + 8) * 1_000_000), -662762989],
    ['timestamp', micros('2017-11-16T22:31:08Z'), -2047944441],
    ['timestamp', micros('2017-11-16T22:31:08Z', 1), -1207196810],
    ['timestamptz', micros('2017-11-16T14:31:08-08:00'), -2047944441],
    ['timestamptz', micros('2017-11-16T14:31:08-08:00', 1), -1207196810],
    ['string', 'iceberg', 1210000089],
    ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 1488055340],
    ['fixed[4]', new Uint8Array([0, 1, 2, 3]), -188683207],
    ['binary', new Uint8Array([0, 1, 2, 3]), -188683207],
  ] as const)('%s %p → %d', (type, value, hash) => {
    expect(hashValue(type, value)).toBe(hash)
  })

  test('bucket[N] is (hash & MAX_INT) % N', () => {
    expect(applyTransform('bucket[100]', 'int', 34)).toBe(2017239379 % 100)
    expect(applyTransform('bucket[16]', 'string', 'iceberg')).toBe(1210000089 % 16)
    expect(applyTransform('bucket[16]', 'binary', new Uint8Array([0, 1, 2, 3]))).toBe((-188683207 & 0x7fffffff) % 16)
  })

  test('decimals hash their minimal two-complement bytes', () => {
    expect([...minimalBigEndian(0n)]).toEqual([0])
    expect([...minimalBigEndian(127n)]).toEqual([0x7f])
    expect([...minimalBigEndian(128n)]).toEqual([0x00, 0x80])
    expect([...minimalBigEndian(-1n)]).toEqual([0xff])
    expect([...minimalBigEndian(-129n)]).toEqual([0xff, 0x7f])
    expect([...minimalBigEndian(1420n)]).toEqual([0x05, 0x8c])
  })

  test('types without a defined hash and values in the wrong form are rejected', () => {
    expect(() => applyTransform('bucket[4]', 'double', 1.5)).toThrow(ValidationError)
    expect(() => applyTransform('bucket[4]', 'long', 34)).toThrow(/bigint/)
    expect(() => applyTransform('bucket[4]', 'uuid', 'not-a-uuid')).toThrow(/invalid uuid/)
  })
})

describe('truncate (spec: Truncate Transform Details)', () => {
  test('the spec examples', () => {
    expect(applyTransform('truncate[10]', 'int', 1)).toBe(0)
    expect(applyTransform('truncate[10]', 'int', -1)).toBe(-10)
    expect(applyTransform('truncate[10]', 'long', 1n)).toBe(0n)
    expect(applyTransform('truncate[10]', 'long', -1n)).toBe(-10n)
    expect(applyTransform('truncate[50]', 'decimal(9,2)', 1065n)).toBe(1050n)
    expect(applyTransform('truncate[3]', 'string', 'iceberg')).toBe('ice')
    expect([...(applyTransform('truncate[3]', 'binary', new Uint8Array([1, 2, 3, 4, 5])) as Uint8Array)]).toEqual([1, 2, 3])
  })

  test('negative values round down, exact multiples stay', () => {
    expect(applyTransform('truncate[10]', 'int', -10)).toBe(-10)
    expect(applyTransform('truncate[10]', 'int', -11)).toBe(-20)
    expect(applyTransform('truncate[10]', 'int', 19)).toBe(10)
    expect(applyTransform('truncate[10]', 'long', -9_223_372_036_854_775_801n)).toBe(-9_223_372_036_854_775_810n)
    expect(applyTransform('truncate[50]', 'decimal(9,2)', -1065n)).toBe(-1100n)
  })

  test('strings truncate by code points, never splitting a surrogate pair', () => {
    expect(applyTransform('truncate[2]', 'string', '😀😁😂')).toBe('😀😁')
    expect(applyTransform('truncate[3]', 'string', 'añb€c')).toBe('añb')
    expect(applyTransform('truncate[10]', 'string', 'short')).toBe('short')
  })
})

describe('temporal transforms count units since 1970 with floor', () => {
  test('year, month, day, hour of timestamps after 1970', () => {
    const ts = micros('2017-11-16T22:31:08Z')
    expect(applyTransform('year', 'timestamp', ts)).toBe(47)
    expect(applyTransform('month', 'timestamptz', ts)).toBe(47 * 12 + 10)
    expect(applyTransform('day', 'timestamp', ts)).toBe(days(2017, 11, 16))
    expect(applyTransform('hour', 'timestamp', ts)).toBe(days(2017, 11, 16) * 24 + 22)
  })

  test('values before 1970 floor rather than truncate', () => {
    const lastMicro = -1n // 1969-12-31T23:59:59.999999
    expect(applyTransform('day', 'timestamp', lastMicro)).toBe(-1)
    expect(applyTransform('hour', 'timestamp', lastMicro)).toBe(-1)
    expect(applyTransform('month', 'timestamp', lastMicro)).toBe(-1)
    expect(applyTransform('year', 'timestamp', lastMicro)).toBe(-1)
    expect(applyTransform('day', 'timestamp', -86_400_000_000n)).toBe(-1)
    expect(applyTransform('day', 'timestamp', -86_400_000_001n)).toBe(-2)
    expect(applyTransform('year', 'date', days(1969, 1, 1))).toBe(-1)
    expect(applyTransform('year', 'date', days(1968, 12, 31))).toBe(-2)
    expect(applyTransform('month', 'date', days(1969, 11, 30))).toBe(-2)
    expect(applyTransform('day', 'date', days(1900, 3, 1))).toBe(days(1900, 3, 1))
  })

  test('dates: year and month', () => {
    expect(applyTransform('year', 'date', days(2017, 11, 16))).toBe(47)
    expect(applyTransform('month', 'date', days(1970, 1, 31))).toBe(0)
    expect(applyTransform('month', 'date', days(2000, 2, 29))).toBe(30 * 12 + 1)
  })
})

describe('transform rules', () => {
  test('parseTransform accepts the spec forms, case-insensitively, and rejects others with the list', () => {
    expect(parseTransform('bucket[16]')).toBe('bucket[16]')
    expect(parseTransform('Truncate[4]')).toBe('truncate[4]')
    expect(parseTransform(' DAY ')).toBe('day')
    expect(() => parseTransform('bucket[0]')).toThrow(ValidationError)
    expect(() => parseTransform('bucket(16)')).toThrow(/expected identity, bucket\[N\]/)
    expect(() => parseTransform('weekday')).toThrow(/"weekday"/)
  })

  test('result types follow the spec table', () => {
    expect(transformResultType('bucket[8]', 'string')).toBe('int')
    expect(transformResultType('day', 'timestamptz')).toBe('date')
    expect(transformResultType('year', 'date')).toBe('int')
    expect(transformResultType('hour', 'timestamp')).toBe('int')
    expect(transformResultType('truncate[4]', 'decimal(9,2)')).toBe('decimal(9,2)')
    expect(transformResultType('identity', 'uuid')).toBe('uuid')
    expect(transformResultType('void', 'long')).toBe('long')
    expect(() => transformResultType('hour', 'date')).toThrow(/hour cannot be applied to a date/)
  })

  test('canTransform', () => {
    expect(canTransform('truncate[4]', 'uuid')).toBe(false)
    expect(canTransform('bucket[4]', 'fixed[16]')).toBe(true)
    expect(canTransform('bucket[4]', 'boolean')).toBe(false)
    expect(canTransform('month', 'time')).toBe(false)
    expect(canTransform('identity', 'double')).toBe(true)
  })

  test('null in, null out; void always null', () => {
    expect(applyTransform('bucket[4]', 'int', null)).toBeNull()
    expect(applyTransform('day', 'timestamp', null)).toBeNull()
    expect(applyTransform('void', 'string', 'x')).toBeNull()
    expect(applyTransform('identity', 'string', 'x')).toBe('x')
  })
})

describe('partition tuples and paths of rows', () => {
  const schema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'sensor id', required: false, type: 'string' },
      { id: 2, name: 'ts', required: false, type: 'timestamptz' },
      { id: 3, name: 'id', required: true, type: 'long' },
      { id: 4, name: 'loc', required: false, type: { type: 'struct', fields: [{ id: 5, name: 'zone', required: false, type: 'string' }] } },
      { id: 6, name: 'tags', required: false, type: { type: 'list', 'element-id': 7, element: 'string', 'element-required': false } },
    ],
  }
  const spec: PartitionSpec = {
    'spec-id': 0,
    fields: [
      { 'source-id': 1, 'field-id': 1000, name: 'sensor id', transform: 'identity' },
      { 'source-id': 2, 'field-id': 1001, name: 'ts_day', transform: 'day' },
      { 'source-id': 2, 'field-id': 1002, name: 'ts_hour', transform: 'hour' },
      { 'source-id': 2, 'field-id': 1003, name: 'ts_month', transform: 'month' },
      { 'source-id': 2, 'field-id': 1004, name: 'ts_year', transform: 'year' },
      { 'source-id': 3, 'field-id': 1005, name: 'id_bucket', transform: 'bucket[16]' },
      { 'source-id': 5, 'field-id': 1006, name: 'loc.zone', transform: 'identity' },
    ],
  }
  const row = { 'sensor id': 'a/b c&d', ts: micros('2017-11-16T22:31:08Z'), id: 34n, loc: { zone: 'eu-1' } }

  test('partitionValues applies each field to its (possibly nested) source', () => {
    expect(partitionValues(spec, schema, row)).toEqual([
      'a/b c&d',
      days(2017, 11, 16),
      days(2017, 11, 16) * 24 + 22,
      47 * 12 + 10,
      47,
      2017239379 % 16,
      'eu-1',
    ])
  })

  test('partitionPath writes Java human values, URL-encoded like URLEncoder', () => {
    const path = partitionPath(spec, schema, partitionValues(spec, schema, row))
    expect(path).toBe('sensor+id=a%2Fb+c%26d/ts_day=2017-11-16/ts_hour=2017-11-16-22/ts_month=2017-11/ts_year=2017/id_bucket=3/loc.zone=eu-1')
  })

  test('missing values and null structs give null, written as "null"', () => {
    const values = partitionValues(spec, schema, { id: 1n, loc: null })
    expect(values).toEqual([null, null, null, null, null, applyTransform('bucket[16]', 'long', 1n), null])
    expect(partitionPath(spec, schema, values)).toStartWith('sensor+id=null/ts_day=null/')
  })

  test('dates before 1970 and negative hours print as Java does', () => {
    const pre = { id: 1n, ts: -1n }
    const path = partitionPath(spec, schema, partitionValues(spec, schema, pre))
    expect(path).toContain('ts_day=1969-12-31/ts_hour=1969-12-31-23/ts_month=1969-12/ts_year=1969/')
  })

  test('a spec on a list element or a wrong tuple length is rejected', () => {
    const bad: PartitionSpec = { 'spec-id': 1, fields: [{ 'source-id': 7, 'field-id': 1000, name: 'tag', transform: 'identity' }] }
    expect(() => partitionValues(bad, schema, row)).toThrow(/outside lists and maps/)
    expect(() => partitionPath(spec, schema, [1])).toThrow(/1 values, spec 0 has 7 fields/)
  })

  test('a source value in the wrong form is rejected with the value', () => {
    expect(() => partitionValues(spec, schema, { ...row, ts: 5 })).toThrow(/5/)
  })
})
