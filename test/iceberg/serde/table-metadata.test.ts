import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ValidationError } from '../../../src/errors.ts'
import { parseJson, stringifyJson } from '../../../src/iceberg/serde/json.ts'
import { tableMetadataFromJson, tableMetadataToJson } from '../../../src/iceberg/serde/table-metadata.ts'

const fixture = (name: string) => readFileSync(join(import.meta.dir, '..', '..', 'fixtures', 'metadata', name), 'utf8')
const load = (name: string) => tableMetadataFromJson(parseJson(fixture(name)))

describe('reading metadata written by Java (apache/iceberg core test resources)', () => {
  test('TableMetadataV2Valid: ids exact, missing refs become main, decimal fields intact', () => {
    const m = load('java-TableMetadataV2Valid.json')
    expect(m['current-snapshot-id']).toBe(3055729675574597004n)
    expect(m.snapshots.map((s) => s['snapshot-id'])).toEqual([3051729675574597004n, 3055729675574597004n])
    expect(m.snapshots[1]?.['parent-snapshot-id']).toBe(3051729675574597004n)
    expect(m['snapshot-log'].map((e) => e['snapshot-id'])).toEqual([3051729675574597004n, 3055729675574597004n])
    expect(m.refs).toEqual({ main: { 'snapshot-id': 3055729675574597004n, type: 'branch' } })
    expect(m.schemas[1]?.['identifier-field-ids']).toEqual([1, 2])
    expect(m.schemas[1]?.fields[1]?.doc).toBe('comment')
    expect(m['sort-orders'][0]?.fields[1]).toEqual({ transform: 'bucket[4]', 'source-id': 3, direction: 'desc', 'null-order': 'nulls-last' })
    expect(m['last-sequence-number']).toBe(34)
  })

  test('TableMetadataV2ValidMinimal: optional lists default to empty, no current snapshot', () => {
    const m = load('java-TableMetadataV2ValidMinimal.json')
    expect(m.snapshots).toEqual([])
    expect(m['snapshot-log']).toEqual([])
    expect(m['metadata-log']).toEqual([])
    expect(m.properties).toEqual({})
    expect(m.refs).toEqual({})
    expect(m['current-snapshot-id']).toBeUndefined()
  })

  test('statistics files are kept, with exact ids, and written back as read', () => {
    const metadata = load('java-TableMetadataStatisticsFiles.json')
    expect(metadata['current-snapshot-id']).toBe(3055729675574597004n)
    expect(metadata.statistics).toEqual([
      {
        'snapshot-id': 3055729675574597004n,
        'statistics-path': 's3://a/b/stats.puffin',
        'file-size-in-bytes': 413n,
        'file-footer-size-in-bytes': 42n,
        'blob-metadata': [{ type: 'ndv', 'snapshot-id': 3055729675574597004n, 'sequence-number': 1n, fields: [1] }],
      },
    ])
    const written = parseJson(stringifyJson(tableMetadataToJson(metadata))) as Record<string, unknown>
    expect(written.statistics).toEqual((parseJson(fixture('java-TableMetadataStatisticsFiles.json')) as Record<string, unknown>).statistics)
    expect(tableMetadataFromJson(written)).toEqual(metadata)
  })

  test('invalid files are rejected naming the problem', () => {
    expect(() => load('java-TableMetadataV2CurrentSchemaNotFound.json')).toThrow(ValidationError)
    // The Java fixture also lacks last-partition-id; with it, the unknown current schema is what fails.
    const patched = { ...(parseJson(fixture('java-TableMetadataV2CurrentSchemaNotFound.json')) as object), 'last-partition-id': 1000 }
    expect(() => tableMetadataFromJson(patched)).toThrow(/current-schema-id 2 is not in the metadata/)
    expect(() => load('java-TableMetadataV2MissingLastPartitionId.json')).toThrow(/missing required field metadata.last-partition-id/)
    expect(() => tableMetadataFromJson({ ...(parseJson(fixture('java-TableMetadataV2ValidMinimal.json')) as object), 'format-version': 4 })).toThrow(/format-version/)
  })
})

describe('reading metadata written by PyIceberg', () => {
  test('an append: snapshot id beyond 2^53 stays exact everywhere', () => {
    const m = load('pyiceberg-append-v2.metadata.json')
    const id = 6962069681001976462n
    expect(m['current-snapshot-id']).toBe(id)
    expect(m.snapshots[0]?.['snapshot-id']).toBe(id)
    expect(m.refs.main?.['snapshot-id']).toBe(id)
    expect(m['snapshot-log'][0]?.['snapshot-id']).toBe(id)
    expect(m.snapshots[0]?.summary['total-records']).toBe('2')
    expect(m['last-partition-id']).toBe(999)
  })

  test('write → read round trip is lossless and keeps ids as bare JSON numbers', () => {
    const m = load('pyiceberg-append-v2.metadata.json')
    const text = stringifyJson(tableMetadataToJson(m), 2)
    expect(text).toContain('"current-snapshot-id": 6962069681001976462')
    expect(tableMetadataFromJson(parseJson(text))).toEqual(m)
  })
})

describe('writing', () => {
  test('no current snapshot is written as -1 (Java v2), and -1 / null read back as none', () => {
    const m = load('java-TableMetadataV2ValidMinimal.json')
    const json = tableMetadataToJson(m) as Record<string, unknown>
    expect(json['current-snapshot-id']).toBe(-1)
    expect(tableMetadataFromJson(json)['current-snapshot-id']).toBeUndefined()
    expect(tableMetadataFromJson({ ...json, 'current-snapshot-id': null })['current-snapshot-id']).toBeUndefined()
  })

  test('Java key order: format-version first, metadata-log last', () => {
    const keys = Object.keys(tableMetadataToJson(load('java-TableMetadataV2Valid.json')) as object)
    expect(keys[0]).toBe('format-version')
    expect(keys.at(-1)).toBe('metadata-log')
    expect(keys.indexOf('schemas')).toBeGreaterThan(keys.indexOf('current-schema-id'))
  })

  test('missing and malformed fields name the field and the value', () => {
    const json = tableMetadataToJson(load('java-TableMetadataV2Valid.json')) as Record<string, unknown>
    const { 'table-uuid': _uuid, ...noUuid } = json
    expect(() => tableMetadataFromJson(noUuid)).toThrow(/missing required field metadata.table-uuid/)
    expect(() => tableMetadataFromJson({ ...json, 'format-version': 3 })).toThrow(ValidationError)
    expect(() => tableMetadataFromJson({ ...json, 'last-column-id': '3' })).toThrow(/metadata.last-column-id must be an integer, got "3"/)
    expect(() => tableMetadataFromJson({ ...json, 'current-snapshot-id': 12345 })).toThrow(/current-snapshot-id 12345/)
    expect(() => tableMetadataFromJson({ ...json, refs: { main: { 'snapshot-id': 3051729675574597004n, type: 'branch' } } })).toThrow(/refs.main is at snapshot 3051729675574597004/)
  })
})
