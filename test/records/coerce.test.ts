import { describe, expect, test } from 'bun:test'
import { ConfigError, ValidationError } from '../../src/errors.ts'
import type { ListType, PrimitiveType, Schema } from '../../src/iceberg/types.ts'
import { createRecordCoercer } from '../../src/records/coerce.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { coerceValue, rejectReason } from './one-field.ts'

const sensor: Schema = {
  type: 'struct',
  'schema-id': 1,
  fields: [
    { id: 1, name: 'sensor_id', required: true, type: 'string' },
    { id: 2, name: 'ts', required: true, type: 'timestamp' },
    { id: 3, name: 'reading', required: false, type: 'double' },
    {
      id: 4, name: 'loc', required: false,
      type: { type: 'struct', fields: [{ id: 5, name: 'lat', required: true, type: 'double' }, { id: 6, name: 'lon', required: false, type: 'double' }] },
    },
  ],
}

describe('structs and records', () => {
  const coerce = createRecordCoercer(sensor)
  test('a valid record becomes a canonical row; absent and null optional fields become null', () => {
    expect(coerce({ sensor_id: 's1', ts: 1000, reading: 2.5, loc: { lat: 1, lon: null } })).toEqual({
      ok: true,
      row: { sensor_id: 's1', ts: 1_000_000n, reading: 2.5, loc: { lat: 1, lon: null } },
    })
    expect(coerce({ sensor_id: 's1', ts: 0 })).toEqual({ ok: true, row: { sensor_id: 's1', ts: 0n, reading: null, loc: null } })
  })
  test('reasons name the field path', () => {
    expect(coerce({ ts: 0 })).toEqual({ ok: false, reason: 'missing required field "sensor_id"' })
    expect(coerce({ sensor_id: null, ts: 0 })).toEqual({ ok: false, reason: 'field "sensor_id": required field is null' })
    expect(coerce({ sensor_id: 's', ts: 0, reading: 'abc' })).toEqual({ ok: false, reason: 'field "reading": expected double, got string "abc"' })
    const yesterday = coerce({ sensor_id: 's', ts: 'yesterday' })
    expect(yesterday.ok === false && yesterday.reason).toStartWith('field "ts": invalid timestamp "yesterday"')
    expect(coerce({ sensor_id: 's', ts: 0, loc: {} })).toEqual({ ok: false, reason: 'missing required field "loc.lat"' })
    expect(coerce({ sensor_id: 's', ts: 0, loc: { lat: 'x' } })).toEqual({ ok: false, reason: 'field "loc.lat": expected double, got string "x"' })
    expect(coerce({ sensor_id: 's', ts: 0, loc: [1] })).toEqual({ ok: false, reason: 'field "loc": expected object, got array' })
  })
  test('a record that is not an object is rejected', () => {
    expect(coerce([{ sensor_id: 's' }])).toEqual({ ok: false, reason: 'record: expected object, got array' })
    expect(coerce('text')).toEqual({ ok: false, reason: 'record: expected object, got string "text"' })
    expect(coerce(null)).toEqual({ ok: false, reason: 'record: expected object, got null' })
  })
  test('extra fields are dropped by default and rejected on request, at every level', () => {
    expect(coerce({ sensor_id: 's', ts: 0, extra: 1 })).toEqual({ ok: true, row: { sensor_id: 's', ts: 0n, reading: null, loc: null } })
    const strict = createRecordCoercer(sensor, { extraFields: 'reject' })
    expect(strict({ sensor_id: 's', ts: 0, extra: 1 })).toEqual({ ok: false, reason: 'field "extra": unknown field (extraFields is "reject")' })
    expect(strict({ sensor_id: 's', ts: 0, loc: { lat: 1, alt: 2 } })).toEqual({ ok: false, reason: 'field "loc.alt": unknown field (extraFields is "reject")' })
    expect(strict({ sensor_id: 's', ts: 0 }).ok).toBe(true)
  })
  test('field names shared with Object.prototype neither read inherited members nor set the prototype', () => {
    const odd = createRecordCoercer({
      type: 'struct', 'schema-id': 0,
      fields: [{ id: 1, name: 'constructor', required: false, type: 'int' }, { id: 2, name: '__proto__', required: false, type: 'string' }],
    })
    const absent = odd({})
    expect(absent.ok && Object.getPrototypeOf(absent.row)).toBe(Object.prototype)
    expect(absent.ok && Object.entries(absent.row)).toEqual([['constructor', null], ['__proto__', null]])
    const present = odd(JSON.parse('{"constructor": 3, "__proto__": "p"}'))
    expect(present.ok && Object.entries(present.row)).toEqual([['constructor', 3], ['__proto__', 'p']])
    expect(present.ok && Object.getPrototypeOf(present.row)).toBe(Object.prototype)
  })
})

describe('lists', () => {
  const list = (elementRequired: boolean, element: PrimitiveType = 'int') =>
    ({ type: 'list', 'element-id': 2, element, 'element-required': elementRequired }) as const
  test('arrays become arrays of canonical values; optional elements may be null', () => {
    expect(coerceValue(list(true, 'long'), [1, '2'])).toEqual([1n, 2n])
    expect(coerceValue(list(false), [1, null])).toEqual([1, null])
    expect(coerceValue(list(true), [])).toEqual([])
  })
  test('reasons name the element index', () => {
    expect(rejectReason(list(true), [1, null])).toBe('field "v[1]": required list element is null')
    expect(rejectReason(list(true), [1, 'x'])).toBe('field "v[1]": expected int, got string "x"')
    expect(rejectReason(list(true), { 0: 1 })).toBe('field "v": expected list (array), got object')
  })
  test('lists of structs report nested paths', () => {
    const type: ListType = { type: 'list', 'element-id': 2, 'element-required': true, element: { type: 'struct', fields: [{ id: 3, name: 'n', required: true, type: 'int' }] } }
    expect(coerceValue(type, [{ n: 1 }])).toEqual([{ n: 1 }])
    expect(rejectReason(type, [{ n: 1 }, {}])).toBe('missing required field "v[1].n"')
  })
})

describe('maps', () => {
  const stringMap = { type: 'map', 'key-id': 2, key: 'string', 'value-id': 3, value: 'double', 'value-required': false } as const
  const intMap = { type: 'map', 'key-id': 2, key: 'int', 'value-id': 3, value: 'string', 'value-required': true } as const
  test('string keys: an object or entries; other keys: entries only; values become a Map', () => {
    expect(coerceValue(stringMap, { a: 1, b: null })).toEqual(new Map<string, number | null>([['a', 1], ['b', null]]))
    expect(coerceValue(stringMap, [{ key: 'a', value: '2' }])).toEqual(new Map([['a', 2]]))
    expect(coerceValue(intMap, [{ key: 1, value: 'x' }, { key: '2', value: 'y' }])).toEqual(new Map([[1, 'x'], [2, 'y']]))
  })
  test('reasons name the key or entry', () => {
    expect(rejectReason(stringMap, { a: 'x' })).toBe('field "v[a]": expected double, got string "x"')
    expect(rejectReason(intMap, { 1: 'x' })).toBe('field "v": expected map (array of {key, value}), got object')
    expect(rejectReason(intMap, [{ key: 1.5, value: 'x' }])).toBe('field "v[0].key": expected int, got number 1.5')
    expect(rejectReason(intMap, [{ value: 'x' }])).toBe('field "v[0].key": map key is null')
    expect(rejectReason(intMap, [{ key: 1, value: null }])).toBe('field "v[0].value": required map value is null')
    expect(rejectReason(intMap, [{ key: 1, value: 'a' }, { key: '1', value: 'b' }])).toBe('field "v[1].value": duplicate map key number 1')
    expect(rejectReason(intMap, [7])).toBe('field "v[0]": expected map entry {key, value}, got number 7')
  })
})

describe('construction', () => {
  test('unknown types are refused when the coercer is built', () => {
    const schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'x', required: true, type: 'geometry' }] } as unknown as Schema
    expect(() => createRecordCoercer(schema)).toThrow(ValidationError)
  })
  test('invalid options throw ConfigError naming the key', () => {
    const bad = { extraFields: 'drop' } as unknown as { extraFields: 'ignore' }
    expect(() => createRecordCoercer(sensor, bad)).toThrow(ConfigError)
    expect(() => createRecordCoercer(sensor, bad)).toThrow(/extraFields/)
  })
})

describe('coercer for schema evolution', () => {
  const schema = parseSchemaDsl('id long not null, value double, loc struct<lat:double>')
  test('extraFields "report" drops unknown keys like "ignore" but says they were there, at any struct level', () => {
    const coerce = createRecordCoercer(schema, { extraFields: 'report' })
    expect(coerce({ id: 1, value: 2 })).toEqual({ ok: true, row: { id: 1n, value: 2, loc: null } })
    expect(coerce({ id: 1, humidity: 3 })).toEqual({ ok: true, row: { id: 1n, value: null, loc: null }, extra: true })
    expect(coerce({ id: 1, loc: { lat: 1, alt: 2 } })).toMatchObject({ ok: true, extra: true })
    // An explicit undefined is no key; a null one is (the field is there, with no value yet).
    expect(coerce({ id: 1, other: undefined })).toEqual({ ok: true, row: { id: 1n, value: null, loc: null } })
    expect(coerce({ id: 1, other: null })).toMatchObject({ extra: true })
  })

  test('a renamed column is filled from its former name when the current one is absent', () => {
    const valueId = schema.fields.find((f) => f.name === 'value')!.id
    const coerce = createRecordCoercer(schema, { extraFields: 'report', aliases: new Map([[valueId, ['reading']]]) })
    expect(coerce({ id: 1, reading: 21.5 })).toEqual({ ok: true, row: { id: 1n, value: 21.5, loc: null } })
    expect(coerce({ id: 1, value: 1, reading: 2 })).toEqual({ ok: true, row: { id: 1n, value: 1, loc: null }, extra: true })
  })
})
