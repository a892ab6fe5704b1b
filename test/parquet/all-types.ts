/** Test fixture: a schema with every primitive type, a struct, lists and a map, plus rows with nulls and edge values. */
import type { Row, Schema } from '../../src/iceberg/types.ts'

export const allTypesSchema: Schema = {
  type: 'struct',
  'schema-id': 3,
  fields: [
    { id: 1, name: 'b', required: false, type: 'boolean' },
    { id: 2, name: 'i', required: true, type: 'int' },
    { id: 3, name: 'l', required: false, type: 'long' },
    { id: 4, name: 'f', required: false, type: 'float' },
    { id: 5, name: 'd', required: false, type: 'double' },
    { id: 6, name: 'dec9', required: false, type: 'decimal(9,2)' },
    { id: 7, name: 'dec18', required: false, type: 'decimal(18,4)' },
    { id: 8, name: 'dec38', required: false, type: 'decimal(38,10)' },
    { id: 9, name: 'dt', required: false, type: 'date' },
    { id: 10, name: 'tm', required: false, type: 'time' },
    { id: 11, name: 'ts', required: false, type: 'timestamp' },
    { id: 12, name: 'tstz', required: false, type: 'timestamptz' },
    { id: 13, name: 's', required: false, type: 'string' },
    { id: 14, name: 'u', required: false, type: 'uuid' },
    { id: 15, name: 'fx', required: false, type: 'fixed[4]' },
    { id: 16, name: 'bin', required: false, type: 'binary' },
    {
      id: 17, name: 'st', required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 18, name: 'x', required: true, type: 'int' },
          { id: 19, name: 'y', required: false, type: 'string' },
          { id: 20, name: 'inner', required: false, type: { type: 'struct', fields: [{ id: 21, name: 'z', required: false, type: 'double' }] } },
        ],
      },
    },
    { id: 22, name: 'tags', required: false, type: { type: 'list', 'element-id': 23, element: 'long', 'element-required': false } },
    {
      id: 24, name: 'attrs', required: false,
      type: { type: 'map', 'key-id': 25, key: 'string', 'value-id': 26, value: 'double', 'value-required': false },
    },
    {
      id: 27, name: 'points', required: true,
      type: {
        type: 'list', 'element-id': 28, 'element-required': true,
        element: { type: 'struct', fields: [{ id: 29, name: 'a', required: true, type: 'int' }] },
      },
    },
  ],
}

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b)

/** v7-style uuids: first half's top bit clear, second half's top bit set, so signed and unsigned orders agree. */
export const uuidLow = '0190f5a2-7b3c-7def-8123-456789abcdef'
export const uuidHigh = '0190f5a2-7b3c-7def-b123-456789abcdef'
export const longText = 'abcdefghijklmnopqrstuvwxyz' // 26 code points: truncated in bounds
export const emojiText = '😀'.repeat(20) // 20 code points, 40 UTF-16 units

export function allTypesRows(): Row[] {
  return [
    {
      b: true, i: 1, l: 10n, f: 1.5, d: -0, dec9: 12345n, dec18: -987654321012345678n,
      dec38: 12345678901234567890123456789012345678n, dt: 19000, tm: 3_600_000_000n,
      ts: 1_700_000_000_000_000n, tstz: -1n, s: longText, u: uuidLow, fx: bytes(0, 1, 2, 3),
      bin: bytes(0xff, 0), st: { x: 7, y: 'héllo', inner: { z: 2.5 } }, tags: [1n, null, 3n],
      attrs: new Map([['k1', 1.25], ['k2', null]]), points: [{ a: 1 }, { a: 2 }],
    },
    {
      b: false, i: -2147483648, l: -(2n ** 63n), f: Number.NaN, d: 0, dec9: -99999999n, dec18: 0n,
      dec38: -99999999999999999999999999999999999999n, dt: -1, tm: 0n, ts: -62_135_596_800_000_000n,
      tstz: 1_700_000_000_123_456n, s: emojiText, u: uuidHigh, fx: bytes(0xff, 0xff, 0xff, 0xff),
      bin: bytes(), st: { x: -1, y: null, inner: null }, tags: [], attrs: new Map(), points: [],
    },
    {
      b: null, i: 2147483647, l: 2n ** 63n - 1n, f: -3.25, d: Number.NaN, dec9: null, dec18: 999999999999999999n,
      dec38: 0n, dt: null, tm: 86_399_999_999n, ts: null, tstz: null, s: 'é', u: null, fx: null,
      bin: bytes(1, 2, 3), st: null, tags: null, attrs: null, points: [{ a: -5 }],
    },
    {
      // every optional field missing: written as null
      i: 0, points: [],
    },
  ]
}

/** Leaves reached through structs only (they carry counts and bounds), as id → path of field names. */
export const trackedLeaves: Record<number, string[]> = {
  1: ['b'], 2: ['i'], 3: ['l'], 4: ['f'], 5: ['d'], 6: ['dec9'], 7: ['dec18'], 8: ['dec38'], 9: ['dt'],
  10: ['tm'], 11: ['ts'], 12: ['tstz'], 13: ['s'], 14: ['u'], 15: ['fx'], 16: ['bin'],
  18: ['st', 'x'], 19: ['st', 'y'], 21: ['st', 'inner', 'z'],
}

/** Leaves under a list or map (column sizes only). */
export const repeatedLeaves = [23, 25, 26, 29]
