import { describe, expect, test } from 'bun:test'
import { ValidationError } from '../../src/errors.ts'
import { formatPartitionSpec, formatSchema, parsePartitionDsl, parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'

const TEXT =
  'sensor_id string, timestamp timestamp, reading double not null, price decimal(10,2), tags list<string>, attrs map<string,int>, loc struct<lat:double,lon:double>, id long required'

describe('parseSchemaDsl', () => {
  test('the documented example: optional unless not null / required, fresh ids like Java', () => {
    const schema = parseSchemaDsl(TEXT)
    expect(schema['schema-id']).toBe(0)
    expect(schema.fields.map((f) => [f.id, f.name, f.required])).toEqual([
      [1, 'sensor_id', false],
      [2, 'timestamp', false],
      [3, 'reading', true],
      [4, 'price', false],
      [5, 'tags', false],
      [6, 'attrs', false],
      [7, 'loc', false],
      [8, 'id', true],
    ])
    expect(schema.fields[3]?.type).toBe('decimal(10,2)')
    expect(schema.fields[4]?.type).toEqual({ type: 'list', 'element-id': 9, element: 'string', 'element-required': false })
    expect(schema.fields[5]?.type).toEqual({ type: 'map', 'key-id': 10, key: 'string', 'value-id': 11, value: 'int', 'value-required': false })
    expect(schema.fields[6]?.type).toEqual({
      type: 'struct',
      fields: [
        { id: 12, name: 'lat', required: false, type: 'double' },
        { id: 13, name: 'lon', required: false, type: 'double' },
      ],
    })
  })

  test('nested modifiers, quoted names, comments, case-insensitive types', () => {
    const schema = parseSchemaDsl("`my col` STRING NOT NULL COMMENT 'it''s', xs list<struct<a int not null> not null>, f fixed[16], m map<string, list<long> not null>")
    expect(schema.fields[0]).toEqual({ id: 1, name: 'my col', required: true, type: 'string', doc: "it's" })
    expect(schema.fields[1]?.type).toMatchObject({ 'element-required': true, element: { fields: [{ name: 'a', required: true, type: 'int' }] } })
    expect(schema.fields[2]?.type).toBe('fixed[16]')
    expect(schema.fields[3]?.type).toMatchObject({ 'value-required': true, value: { type: 'list', element: 'long' } })
  })

  test('format → parse round trip gives the same schema', () => {
    for (const text of [TEXT, "`my col` string not null comment 'it''s', xs list<struct<a: int not null, `b c`: uuid> not null>, t timestamptz, d date"]) {
      const schema = parseSchemaDsl(text)
      expect(parseSchemaDsl(formatSchema(schema))).toEqual(schema)
    }
    expect(formatSchema(parseSchemaDsl('a map<string,int not null>, b struct<x:long>'))).toBe('a map<string, int not null>, b struct<x: long>')
  })

  test('bad input says what to write instead', () => {
    expect(() => parseSchemaDsl('id bigint')).toThrow(/unknown type "bigint" .*; write long/)
    expect(() => parseSchemaDsl('name varchar')).toThrow(/write string/)
    expect(() => parseSchemaDsl('price decimal(10)')).toThrow(/write decimal\(precision,scale\)/)
    expect(() => parseSchemaDsl('price decimal(40,2)')).toThrow(/precision must be 1..38, got 40/)
    expect(() => parseSchemaDsl('id long not')).toThrow(/write "not null"/)
    expect(() => parseSchemaDsl('id long id2 int')).toThrow(/separate columns with commas/)
    expect(() => parseSchemaDsl('')).toThrow(/write columns as "name type"/)
    expect(() => parseSchemaDsl('a int, a long')).toThrow(/duplicate field name a/)
    expect(() => parseSchemaDsl('a list<int')).toThrow(ValidationError)
  })
})

describe('parsePartitionDsl', () => {
  const schema = parseSchemaDsl('sensor_id string, timestamp timestamp, id long, data string, loc struct<zone: string>, reading double')

  test('names fields as Java does, ids from 1000', () => {
    const spec = parsePartitionDsl('sensor_id, day(timestamp), bucket(16, id), truncate(4, data)', schema)
    expect(spec).toEqual({
      'spec-id': 0,
      fields: [
        { 'source-id': 1, 'field-id': 1000, name: 'sensor_id', transform: 'identity' },
        { 'source-id': 2, 'field-id': 1001, name: 'timestamp_day', transform: 'day' },
        { 'source-id': 3, 'field-id': 1002, name: 'id_bucket', transform: 'bucket[16]' },
        { 'source-id': 4, 'field-id': 1003, name: 'data_trunc', transform: 'truncate[4]' },
      ],
    })
    const names = parsePartitionDsl('year(timestamp), month(timestamp), hour(timestamp), loc.zone, void(id)', schema).fields.map((f) => f.name)
    expect(names).toEqual(['timestamp_year', 'timestamp_month', 'timestamp_hour', 'loc.zone', 'id_null'])
  })

  test('as renames; format → parse round trip', () => {
    const spec = parsePartitionDsl('day(timestamp) as d, bucket(8, loc.zone), sensor_id', schema)
    expect(spec.fields[0]?.name).toBe('d')
    expect(formatPartitionSpec(spec, schema)).toBe('day(timestamp) as d, bucket(8, loc.zone), sensor_id')
    expect(parsePartitionDsl(formatPartitionSpec(spec, schema), schema)).toEqual(spec)
    expect(parsePartitionDsl('', schema)).toEqual({ 'spec-id': 0, fields: [] })
  })

  test('bad input says what to write instead', () => {
    expect(() => parsePartitionDsl('bucket(id, 16)', schema)).toThrow(/write bucket\(16, column\)/)
    expect(() => parsePartitionDsl('week(timestamp)', schema)).toThrow(/unknown transform "week".*day\(col\)/)
    expect(() => parsePartitionDsl('nope', schema)).toThrow(/no column "nope" .*columns: sensor_id/)
    expect(() => parsePartitionDsl('hour(id)', schema)).toThrow(/hour does not apply to id \(long\)/)
    expect(() => parsePartitionDsl('bucket(4, reading)', schema)).toThrow(/bucket\[4\] does not apply to reading \(double\)/)
    expect(() => parsePartitionDsl('day(timestamp), day(timestamp)', schema)).toThrow(/duplicate partition field name timestamp_day; add "as other_name"/)
    expect(() => parsePartitionDsl('day(timestamp) as id', schema)).toThrow(/id is a column name/)
  })
})
