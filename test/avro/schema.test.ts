import { describe, expect, test } from 'bun:test'
import { arrayItemsOf, fieldsById, recordSchemaOf, toSafeNumber } from '../../src/avro/fields.ts'
import { parseSchema, schemaToJson, type AvroRecord, type AvroSchema } from '../../src/avro/schema.ts'

describe('parseSchema', () => {
  test('keeps Iceberg id properties and logical types', () => {
    const json = {
      type: 'record',
      name: 'manifest_file',
      fields: [
        { name: 'partitions', 'field-id': 507, type: ['null', { type: 'array', 'element-id': 508, items: 'long' }], default: null },
        { name: 'ts', 'field-id': 1, type: { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true } },
      ],
    }
    const schema = parseSchema(json) as AvroRecord
    expect(schema.fields[0]!['field-id']).toBe(507)
    expect(schema.fields[0]!.type).toEqual(['null', { type: 'array', 'element-id': 508, items: 'long' }])
    expect(schema.fields[1]!.type).toEqual({ type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true })
    expect(JSON.parse(schemaToJson(schema))).toEqual(json)
  })

  test('resolves references to named types, with namespaces', () => {
    const schema = parseSchema({
      type: 'record',
      name: 'a',
      namespace: 'ns',
      fields: [
        { name: 'x', type: { type: 'fixed', name: 'f16', size: 16 } },
        { name: 'y', type: ['null', 'f16'] },
        { name: 'z', type: 'ns.f16' },
      ],
    }) as AvroRecord
    const fixed = schema.fields[0]!.type
    expect((schema.fields[1]!.type as AvroSchema[])[1]).toBe(fixed)
    expect(schema.fields[2]!.type).toBe(fixed)
    // Written back, the second and third uses are names again (Avro forbids redefinition).
    expect(JSON.parse(schemaToJson(schema)).fields[1].type).toEqual(['null', 'f16'])
  })

  test('handles a self-referencing record', () => {
    const schema = parseSchema({ type: 'record', name: 'node', fields: [{ name: 'next', type: ['null', 'node'] }] }) as AvroRecord
    expect((schema.fields[0]!.type as AvroSchema[])[1]).toBe(schema)
    expect(JSON.parse(schemaToJson(schema))).toEqual({ type: 'record', name: 'node', fields: [{ name: 'next', type: ['null', 'node'] }] })
  })

  test('rejects unknown names and malformed schemas with AVRO_SCHEMA', () => {
    expect(() => parseSchema('nope')).toThrow(expect.objectContaining({ code: 'AVRO_SCHEMA' }))
    expect(() => parseSchema({ type: 'record', name: 'r' })).toThrow(/no fields/)
    expect(() => parseSchema({ type: 'fixed', name: 'f' })).toThrow(/bad size/)
    expect(() => parseSchema(42)).toThrow(/not an Avro schema/)
  })
})

describe('reading by field id', () => {
  const record: AvroRecord = {
    type: 'record',
    name: 'r',
    fields: [
      { name: 'a', type: 'int', 'field-id': 7 },
      { name: 'no_id', type: 'int' },
      { name: 'list', type: ['null', { type: 'array', items: { type: 'record', name: 'x', fields: [] } }], 'field-id': 9 },
    ],
  }

  test('fieldsById indexes only fields with ids', () => {
    const byId = fieldsById(record)
    expect([...byId.keys()]).toEqual([7, 9])
    expect(byId.get(7)!.name).toBe('a')
  })

  test('recordSchemaOf and arrayItemsOf look through unions', () => {
    expect(recordSchemaOf(['null', record])).toBe(record)
    expect(recordSchemaOf('int')).toBeUndefined()
    expect(recordSchemaOf(arrayItemsOf(record.fields[2]!.type))!.name).toBe('x')
    expect(arrayItemsOf('long')).toBeUndefined()
  })

  test('toSafeNumber accepts ints and safe longs only', () => {
    expect(toSafeNumber(5, 'x')).toBe(5)
    expect(toSafeNumber(-(2n ** 53n) + 1n, 'x')).toBe(-(2 ** 53) + 1)
    expect(() => toSafeNumber(2n ** 53n, 'record_count')).toThrow(/record_count: expected an integer up to 2\^53/)
    expect(() => toSafeNumber(null, 'x')).toThrow(expect.objectContaining({ code: 'AVRO_DECODE' }))
  })
})
