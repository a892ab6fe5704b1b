/** The upsert key: which columns can be one, identifier fields on the schema, the key's string form. */
import { describe, expect, test } from 'bun:test'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { keyString, keyStringOf, upsertKey, upsertKeyProblems, withIdentifierFields } from '../../src/upsert/upsert-key.ts'

const schema = parseSchemaDsl('id long not null, region string not null, name string, reading double not null, tags list<string>')

describe('upsertKeyProblems', () => {
  test('a key of required primitive columns has none', () => {
    expect(upsertKeyProblems(schema, ['id'])).toEqual([])
    expect(upsertKeyProblems(schema, ['region', 'id'])).toEqual([])
  })
  test('missing, optional, nested, floating and repeated columns are named', () => {
    expect(upsertKeyProblems(schema, ['nope', 'name', 'tags', 'reading', 'id', 'id'])).toEqual([
      'key column "nope" is not a column of the schema (columns: id, region, name, reading, tags)',
      'key column "name" must be required (declare it "name string not null")',
      'key column "tags" is a list; a key column must be a primitive type',
      'key column "reading" is double; Iceberg identifier fields may not be float or double',
      'key column "id" is named twice',
    ])
    expect(upsertKeyProblems(schema, [])).toEqual(['needs at least one key column'])
  })
  test('upsertKey throws UPSERT_KEY with the problems', () => {
    expect(() => upsertKey(schema, ['name'])).toThrow('upsert key [name]: key column "name" must be required')
  })
})

describe('keys', () => {
  test('identifier-field-ids are the key columns, in key order', () => {
    expect(withIdentifierFields(schema, upsertKey(schema, ['region', 'id']))['identifier-field-ids']).toEqual([2, 1])
  })
  test('one column is its value as text; several cannot meet through a separator', () => {
    const one = upsertKey(schema, ['id'])
    expect(keyString(one, { id: 42n })).toBe('42')
    expect(keyStringOf(one, [42n])).toBe('42')
    const two = upsertKey(schema, ['region', 'id'])
    expect(keyString(two, { region: 'a","b', id: 1n })).not.toBe(keyString(two, { region: 'a', id: 1n }))
    expect(keyString(two, { region: 'eu', id: 1n })).toBe(keyStringOf(two, ['eu', 1n]))
    expect(() => keyString(one, { id: null })).toThrow('a key value must be a primitive value, got null')
  })
})
