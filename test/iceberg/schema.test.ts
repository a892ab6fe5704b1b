import { describe, expect, test } from 'bun:test'
import { ValidationError } from '../../src/errors.ts'
import { assignFreshIds, canonicalPrimitive, fieldById, indexById, maxFieldId, parsePrimitive, sameSchema, validateSchema } from '../../src/iceberg/schema.ts'
import type { Schema } from '../../src/iceberg/types.ts'

const nested: Schema = {
  type: 'struct',
  'schema-id': 3,
  'identifier-field-ids': [10],
  fields: [
    { id: 10, name: 'id', required: true, type: 'long' },
    {
      id: 20,
      name: 'loc',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 21, name: 'lat', required: true, type: 'double' },
          { id: 22, name: 'tags', required: false, type: { type: 'list', 'element-id': 23, element: 'string', 'element-required': false } },
        ],
      },
    },
    { id: 30, name: 'attrs', required: false, type: { type: 'map', 'key-id': 31, key: 'string', 'value-id': 32, value: 'decimal(10,2)', 'value-required': true } },
    { id: 40, name: 'name', required: false, type: 'string', doc: 'display name' },
  ],
}

describe('primitive types', () => {
  test('parsePrimitive describes parameters and accepts spaces', () => {
    expect(parsePrimitive('decimal(9, 2)')).toEqual({ kind: 'decimal', precision: 9, scale: 2 })
    expect(parsePrimitive('fixed[16]')).toEqual({ kind: 'fixed', length: 16 })
    expect(parsePrimitive('timestamptz')).toEqual({ kind: 'timestamptz' })
    expect(canonicalPrimitive('decimal( 38 ,0 )')).toBe('decimal(38,0)')
  })

  test('invalid primitives name the problem', () => {
    expect(() => parsePrimitive('decimal(39,2)')).toThrow(/precision must be 1..38, got 39/)
    expect(() => parsePrimitive('decimal(4,5)')).toThrow(/scale 5 exceeds precision 4/)
    expect(() => parsePrimitive('timestamp_nanos')).toThrow(ValidationError)
    expect(() => parsePrimitive('varchar')).toThrow(/"varchar"/)
  })
})

describe('lookups', () => {
  test('indexById walks structs, list elements and map keys/values', () => {
    const index = indexById(nested)
    expect([...index.keys()]).toEqual([10, 20, 21, 22, 23, 30, 31, 32, 40])
    expect(index.get(23)).toMatchObject({ name: 'loc.tags.element', type: 'string', required: false, inRepeated: true })
    expect(index.get(32)).toMatchObject({ name: 'attrs.value', type: 'decimal(10,2)', required: true })
    expect(index.get(21)).toMatchObject({ path: ['loc', 'lat'], inRepeated: false })
  })

  test('fieldById finds nested fields and pseudo-fields', () => {
    expect(fieldById(nested, 21)).toEqual({ id: 21, name: 'lat', required: true, type: 'double' })
    expect(fieldById(nested, 31)).toEqual({ id: 31, name: 'key', required: true, type: 'string' })
    expect(fieldById(nested, 99)).toBeUndefined()
    expect(maxFieldId(nested)).toBe(40)
  })
})

describe('assignFreshIds', () => {
  test('numbers a struct level first, then each nested type in order (Java TypeUtil.assignFreshIds)', () => {
    const fresh = assignFreshIds(nested, 0)
    expect(fresh['schema-id']).toBe(0)
    expect(fresh.fields.map((f) => f.id)).toEqual([1, 2, 3, 4])
    const loc = fresh.fields[1]?.type as { fields: { id: number; type: unknown }[] }
    expect(loc.fields.map((f) => f.id)).toEqual([5, 6])
    expect(loc.fields[1]?.type).toMatchObject({ 'element-id': 7 })
    expect(fresh.fields[2]?.type).toMatchObject({ 'key-id': 8, 'value-id': 9 })
    expect(fresh['identifier-field-ids']).toEqual([1])
    expect(fresh.fields[3]?.doc).toBe('display name')
  })
})

describe('validateSchema', () => {
  test('accepts a valid nested schema', () => {
    expect(() => validateSchema(nested)).not.toThrow()
  })

  test('rejects duplicate ids, including element ids', () => {
    const dup: Schema = { ...nested, fields: [...nested.fields, { id: 23, name: 'x', required: false, type: 'int' }] }
    expect(() => validateSchema(dup)).toThrow(/duplicate field id 23: loc.tags.element and x/)
  })

  test('rejects duplicate names, bad decimals and bad identifier fields', () => {
    expect(() => validateSchema({ ...nested, fields: [...nested.fields, { id: 50, name: 'id', required: false, type: 'int' }] })).toThrow(/duplicate field name id/)
    expect(() => validateSchema({ ...nested, fields: [{ id: 1, name: 'p', required: false, type: 'decimal(40,2)' as 'decimal(38,2)' }] })).toThrow(/40/)
    expect(() => validateSchema({ ...nested, 'identifier-field-ids': [40] })).toThrow(/identifier field name must be required/)
    expect(() => validateSchema({ ...nested, 'identifier-field-ids': [21] })).toThrow(/float\/double/)
    expect(() => validateSchema({ ...nested, 'identifier-field-ids': [99] })).toThrow(/99/)
  })

  test('sameSchema ignores schema ids and key order', () => {
    const reordered: Schema = { 'schema-id': 9, fields: nested.fields.map((f) => ({ type: f.type, required: f.required, name: f.name, id: f.id, ...(f.doc ? { doc: f.doc } : {}) })), type: 'struct', 'identifier-field-ids': [10] }
    expect(sameSchema(nested, reordered)).toBe(true)
    expect(sameSchema(nested, { ...reordered, 'identifier-field-ids': [] })).toBe(false)
  })
})
