import { describe, expect, test } from 'bun:test'
import { evolveRows } from '../../src/iceberg/row-evolution.ts'
import type { Schema } from '../../src/iceberg/types.ts'

const before: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'int' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: 'gone', required: false, type: 'string' },
    {
      id: 4,
      name: 'point',
      required: false,
      type: { type: 'struct', fields: [{ id: 5, name: 'x', required: false, type: 'double' }] },
    },
    {
      id: 6,
      name: 'tags',
      required: false,
      type: { type: 'list', 'element-id': 7, 'element-required': false, element: { type: 'struct', fields: [{ id: 8, name: 'k', required: false, type: 'int' }] } },
    },
  ],
}

const after: Schema = {
  type: 'struct',
  'schema-id': 1,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'label', required: false, type: 'string' },
    {
      id: 4,
      name: 'point',
      required: false,
      type: { type: 'struct', fields: [{ id: 5, name: 'x_coord', required: false, type: 'double' }, { id: 9, name: 'y', required: false, type: 'double' }] },
    },
    {
      id: 6,
      name: 'tags',
      required: false,
      type: { type: 'list', 'element-id': 7, 'element-required': false, element: { type: 'struct', fields: [{ id: 8, name: 'key', required: false, type: 'long' }] } },
    },
    { id: 10, name: 'added', required: false, type: 'string' },
  ],
}

describe('evolveRows', () => {
  test('renames by field id at every level, promotes int to long, drops removed columns, leaves added ones null', () => {
    const rows = [{ id: 7, name: 'a', gone: 'x', point: { x: 1.5 }, tags: [{ k: 3 }, null] }, { id: 8 }]
    expect(evolveRows(rows, before, after)).toEqual([
      { id: 7n, label: 'a', point: { x_coord: 1.5 }, tags: [{ key: 3n }, null] },
      { id: 8n },
    ])
  })

  test('the same schema: the same rows, untouched', () => {
    const rows = [{ id: 1 }]
    expect(evolveRows(rows, before, before)).toBe(rows)
  })

  test('a column renamed to an Object.prototype name becomes an own key', () => {
    const to: Schema = { type: 'struct', 'schema-id': 2, fields: [{ id: 2, name: '__proto__', required: false, type: 'string' }] }
    const [row] = evolveRows([{ name: 'v' }], before, to)
    expect(Object.hasOwn(row!, '__proto__')).toBe(true)
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype)
  })
})
