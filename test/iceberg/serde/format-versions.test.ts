/** Table metadata of format v1 (read, written by Java) and v3 (read and written: row lineage, new types, column defaults). */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseJson, stringifyJson } from '../../../src/iceberg/serde/json.ts'
import { schemaFromJson, schemaToJson } from '../../../src/iceberg/serde/schema.ts'
import { snapshotFromJson, snapshotToJson, tableMetadataFromJson, tableMetadataToJson } from '../../../src/iceberg/serde/table-metadata.ts'

const fixture = (name: string) => readFileSync(join(import.meta.dir, '..', '..', 'fixtures', 'metadata', name), 'utf8')

describe('format v1 metadata (Java core test resource)', () => {
  test('reads with v2 fields filled in: one schema, the spec from partition-spec, unsorted, sequence 0', () => {
    const m = tableMetadataFromJson(parseJson(fixture('java-TableMetadataV1Valid.json')))
    expect(m['format-version']).toBe(1)
    expect(m.schemas.map((s) => s['schema-id'])).toEqual([0])
    expect(m['current-schema-id']).toBe(0)
    expect(m.schemas[0]!.fields.map((f) => f.name)).toEqual(['x', 'y', 'z'])
    expect(m['partition-specs']).toEqual([{ 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'x', transform: 'identity' }] }])
    expect(m['default-spec-id']).toBe(0)
    expect(m['last-partition-id']).toBe(1000)
    expect(m['sort-orders']).toEqual([{ 'order-id': 0, fields: [] }])
    expect(m['last-sequence-number']).toBe(0)
    expect(m['current-snapshot-id']).toBeUndefined()
  })

  test('v1 partition fields without field ids get 1000, 1001, ... in order', () => {
    const json = parseJson(fixture('java-TableMetadataV1Valid.json')) as Record<string, unknown>
    json['partition-spec'] = [
      { name: 'x', transform: 'identity', 'source-id': 1 },
      { name: 'y_bucket', transform: 'bucket[4]', 'source-id': 2 },
    ]
    const m = tableMetadataFromJson(json)
    expect(m['partition-specs'][0]!.fields.map((f) => f['field-id'])).toEqual([1000, 1001])
    expect(m['last-partition-id']).toBe(1001)
  })

  test('a v1 snapshot without a summary reads as an overwrite', () => {
    const s = snapshotFromJson({ 'snapshot-id': 5, 'timestamp-ms': 1, 'manifest-list': 's3://b/snap.avro' })
    expect(s.summary).toEqual({ operation: 'overwrite' })
    expect(s['sequence-number']).toBe(0)
  })
})

describe('format v3 metadata', () => {
  const v3 = () => {
    const json = parseJson(fixture('java-TableMetadataV2Valid.json')) as Record<string, unknown>
    return { ...json, 'format-version': 3, 'next-row-id': 9007199254740993n }
  }

  test('next-row-id is required, read exactly past 2^53 and written after last-sequence-number', () => {
    const m = tableMetadataFromJson(v3())
    expect(m['format-version']).toBe(3)
    expect(m['next-row-id']).toBe(9007199254740993n)
    const text = stringifyJson(tableMetadataToJson(m))
    expect(text).toContain('"next-row-id":9007199254740993')
    const keys = Object.keys(tableMetadataToJson(m) as object)
    expect(keys.indexOf('next-row-id')).toBe(keys.indexOf('last-sequence-number') + 1)
    expect(tableMetadataFromJson(parseJson(text))).toEqual(m)
    const { 'next-row-id': _, ...without } = v3()
    expect(() => tableMetadataFromJson(without)).toThrow(/next-row-id/)
  })

  test('v2 metadata has no next-row-id in the model or the JSON', () => {
    const m = tableMetadataFromJson(parseJson(fixture('java-TableMetadataV2Valid.json')))
    expect(m['next-row-id']).toBeUndefined()
    expect(Object.keys(tableMetadataToJson(m) as object)).not.toContain('next-row-id')
  })

  test('snapshots keep first-row-id and added-rows', () => {
    const json = { 'snapshot-id': 7, 'sequence-number': 2, 'timestamp-ms': 1, 'manifest-list': 'm', summary: { operation: 'append' }, 'first-row-id': 10, 'added-rows': 5 }
    const s = snapshotFromJson(json)
    expect([s['first-row-id'], s['added-rows']]).toEqual([10n, 5n])
    expect(snapshotToJson(s)).toMatchObject({ 'first-row-id': 10n, 'added-rows': 5n })
  })

  test('schemas with v3 types and column defaults round-trip', () => {
    const json = {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'at', required: true, type: 'timestamp_ns' },
        { id: 2, name: 'at_tz', required: false, type: 'timestamptz_ns' },
        { id: 3, name: 'body', required: false, type: 'variant' },
        { id: 4, name: 'level', required: false, type: 'string', 'initial-default': 'info', 'write-default': 'debug' },
        { id: 5, name: 'n', required: false, type: 'long', 'write-default': 9007199254740993n },
      ],
    }
    const schema = schemaFromJson(json)
    expect(schema.fields.map((f) => f.type)).toEqual(['timestamp_ns', 'timestamptz_ns', 'variant', 'string', 'long'])
    expect(schema.fields[3]).toMatchObject({ 'initial-default': 'info', 'write-default': 'debug' })
    expect(schemaToJson(schema)).toEqual(json)
    expect(stringifyJson(schemaToJson(schema))).toContain('"write-default":9007199254740993')
  })
})
