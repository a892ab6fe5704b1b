/** Schema evolution as data: inference, changes for records and writer schemas, applying them (again) with fresh ids. */
import { describe, expect, test } from 'bun:test'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { applySchemaChanges, changesForRecord, changesForStruct, fieldAliases, inferType, promotes } from '../../src/iceberg/schema-evolution.ts'
import type { Schema } from '../../src/iceberg/types.ts'

const sensors = parseSchemaDsl('sensor_id string not null, timestamp timestamp, reading double, count int, price decimal(5,2), loc struct<lat:double,lon:double>, tags list<struct<k:string>>')
const lastId = (schema: Schema) => Math.max(...JSON.stringify(schema).match(/"(?:id|element-id|key-id|value-id)":\d+/g)!.map((m) => Number(m.split(':')[1])))

describe('inferType', () => {
  test('JSON values → the column type a new field gets; nothing for what cannot be told yet', () => {
    expect([inferType('x'), inferType(true), inferType(3), inferType(3.5), inferType(12n)]).toEqual(['string', 'boolean', 'long', 'double', 'long'])
    expect(inferType({ a: 1, b: null })).toEqual({ type: 'struct', fields: [{ id: 0, name: 'a', required: false, type: 'long' }] })
    expect(inferType([null, 'x'])).toEqual({ type: 'list', 'element-id': 0, element: 'string', 'element-required': false })
    expect([inferType(null), inferType([]), inferType({}), inferType([null])]).toEqual([undefined, undefined, undefined, undefined])
  })
})

describe('changesForRecord', () => {
  test('unknown fields at any struct level become additions; values of another kind are no change', () => {
    const changes = changesForRecord(sensors, { sensor_id: 's', reading: 'hot', humidity: 40, loc: { lat: 1, alt: 2.5 }, tags: [{ k: 'a', v: true }], empty: null }, 'add-columns')
    expect(changes).toEqual([
      { kind: 'add', path: ['loc'], field: { id: 0, name: 'alt', required: false, type: 'double' } },
      { kind: 'add', path: ['tags'], field: { id: 0, name: 'v', required: false, type: 'boolean' } },
      { kind: 'add', path: [], field: { id: 0, name: 'humidity', required: false, type: 'long' } },
    ])
    expect(changesForRecord(sensors, { humidity: 40 }, 'off')).toEqual([])
  })

  test('add-and-widen: an integer past int in an int column, more digits than a decimal holds', () => {
    expect(changesForRecord(sensors, { count: 3_000_000_000, price: '12345.5' }, 'add-and-widen')).toEqual([
      { kind: 'widen', path: ['count'], from: 'int', to: 'long' },
      { kind: 'widen', path: ['price'], from: 'decimal(5,2)', to: 'decimal(7,2)' },
    ])
    expect(changesForRecord(sensors, { count: 3_000_000_000 }, 'add-columns')).toEqual([])
    expect(changesForRecord(sensors, { count: 7, price: '123.45' }, 'add-and-widen')).toEqual([])
  })

  test('a field another engine renamed is known by its old name too (no column added for it)', () => {
    const renamed: Schema = { ...sensors, 'schema-id': 1, fields: sensors.fields.map((f) => (f.name === 'reading' ? { ...f, name: 'value' } : f)) }
    const aliases = fieldAliases(renamed, [sensors, renamed])
    expect(aliases.get(sensors.fields.find((f) => f.name === 'reading')!.id)).toEqual(['reading'])
    expect(changesForRecord(renamed, { sensor_id: 's', reading: 1.5 }, 'add-columns', aliases)).toEqual([])
  })
})

describe('changesForStruct (a writer schema)', () => {
  test('new fields and allowed promotions; incompatible types are left to the dead letters', () => {
    const writer = parseSchemaDsl('sensor_id string, count long, reading string, loc struct<lat:double,alt:float>, extra map<string,int>')
    expect(changesForStruct(sensors, writer, 'add-and-widen')).toEqual([
      { kind: 'widen', path: ['count'], from: 'int', to: 'long' },
      { kind: 'add', path: ['loc'], field: expect.objectContaining({ name: 'alt', type: 'float', required: false }) },
      { kind: 'add', path: [], field: expect.objectContaining({ name: 'extra', required: false }) },
    ])
    expect(changesForStruct(sensors, writer, 'add-columns').map((c) => c.kind)).toEqual(['add', 'add'])
  })

  test('promotions are exactly the spec list', () => {
    expect([promotes('int', 'long'), promotes('float', 'double'), promotes('decimal(5,2)', 'decimal(9,2)')]).toEqual([true, true, true])
    expect([promotes('long', 'int'), promotes('int', 'double'), promotes('decimal(5,2)', 'decimal(9,3)'), promotes('string', 'int')]).toEqual([false, false, false, false])
  })
})

describe('applySchemaChanges', () => {
  test('fresh ids from last-column-id, nested additions optional, widenings in place; the same changes again change nothing', () => {
    const changes = changesForRecord(sensors, { humidity: 40, loc: { alt: 1.5 }, meta: { a: [1] }, count: 3_000_000_000 }, 'add-and-widen')
    const last = lastId(sensors)
    const evolved = applySchemaChanges(sensors, changes, last)!
    expect(evolved.described).toEqual(['count: int → long', 'loc.alt (double)', 'humidity (long)', 'meta (struct<a: list<long>>)'])
    const byName = Object.fromEntries(evolved.schema.fields.map((f) => [f.name, f]))
    expect(byName.count!.type).toBe('long')
    expect(byName.count!.id).toBe(sensors.fields.find((f) => f.name === 'count')!.id)
    expect(byName.humidity).toEqual({ id: last + 2, name: 'humidity', required: false, type: 'long' })
    expect(byName.meta!.type).toEqual({ type: 'struct', fields: [{ id: last + 4, name: 'a', required: false, type: { type: 'list', 'element-id': last + 5, element: 'long', 'element-required': false } }] })
    expect(evolved.lastColumnId).toBe(last + 5)
    expect(lastId(evolved.schema)).toBe(last + 5)
    expect(applySchemaChanges(evolved.schema, changes, evolved.lastColumnId)).toBeUndefined()
  })

  test('rebased on a schema where another writer added the same column: reused, not added twice; a different one still added', () => {
    const theirs = applySchemaChanges(sensors, [{ kind: 'add', path: [], field: { id: 0, name: 'humidity', required: false, type: 'long' } }], lastId(sensors))!
    const ours = [
      { kind: 'add' as const, path: [], field: { id: 0, name: 'humidity', required: false, type: 'long' as const } },
      { kind: 'add' as const, path: [], field: { id: 0, name: 'pressure', required: false, type: 'double' as const } },
    ]
    const rebased = applySchemaChanges(theirs.schema, ours, theirs.lastColumnId)!
    expect(rebased.schema.fields.filter((f) => f.name === 'humidity')).toHaveLength(1)
    expect(rebased.schema.fields.find((f) => f.name === 'humidity')!.id).toBe(theirs.schema.fields.find((f) => f.name === 'humidity')!.id)
    expect(rebased.described).toEqual(['pressure (double)'])
  })
})
