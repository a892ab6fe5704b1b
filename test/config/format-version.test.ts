/** tables[].formatVersion: 2 by default, 3 asks the catalog for a v3 table; checked against the columns and the properties. */
import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../src/config/config.ts'
import { configIssues } from './config-issues.ts'

const table = { name: 'ns.t', schema: 'id long' }

describe('formatVersion', () => {
  test('2 by default with no format-version property; 3 becomes the create property', () => {
    expect(parseConfig({ tables: [table] }, {}).tables[0]).toMatchObject({ formatVersion: 2, properties: {} })
    const v3 = parseConfig({ tables: [{ ...table, formatVersion: 3, properties: { a: 'b' } }] }, {}).tables[0]!
    expect(v3.properties).toEqual({ a: 'b', 'format-version': '3' })
  })

  test('v3 columns need formatVersion 3; another version, or a property that disagrees, is a config error', () => {
    expect(configIssues({ tables: [{ ...table, schema: 'id long, at timestamp_ns, body variant', formatVersion: 3 }] })).toEqual([])
    expect(configIssues({ tables: [{ ...table, schema: 'id long, body variant' }] })).toEqual([
      'tables.0.schema: field body has type variant, which needs a format-version 3 table (this one is v2); set formatVersion: 3',
    ])
    expect(configIssues({ tables: [{ ...table, formatVersion: 4 }] })[0]).toMatch(/^tables\.0\.formatVersion: /)
    expect(configIssues({ tables: [{ ...table, formatVersion: 3, properties: { 'format-version': '2' } }] })).toEqual([
      'tables.0.properties.format-version: says 2 but formatVersion is 3; set formatVersion only',
    ])
  })

  test('unknown keys beside it are still refused', () => {
    expect(configIssues({ tables: [{ ...table, formatVersoin: 3 }] }).join('\n')).toMatch(/formatVersoin/)
  })
})
