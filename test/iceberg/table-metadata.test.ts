import { describe, expect, test } from 'bun:test'
import { ValidationError } from '../../src/errors.ts'
import { parseJson, stringifyJson } from '../../src/iceberg/serde/json.ts'
import { tableMetadataFromJson, tableMetadataToJson } from '../../src/iceberg/serde/table-metadata.ts'
import {
  ancestorsOf,
  applyUpdates,
  currentSchema,
  currentSnapshot,
  defaultSortOrder,
  defaultSpec,
  newTableMetadata,
  snapshotById,
  withMetadataLog,
  type CreateTableRequest,
} from '../../src/iceberg/table-metadata.ts'
import type { Schema, Snapshot, TableMetadata } from '../../src/iceberg/types.ts'

const request: CreateTableRequest = {
  name: 'readings',
  schema: {
    type: 'struct',
    'schema-id': 7,
    fields: [
      { id: 10, name: 'sensor_id', required: true, type: 'string' },
      { id: 11, name: 'loc', required: false, type: { type: 'struct', fields: [{ id: 12, name: 'lat', required: false, type: 'double' }] } },
      { id: 13, name: 'ts', required: false, type: 'timestamptz' },
    ],
  },
  'partition-spec': {
    'spec-id': 5,
    fields: [
      { 'source-id': 13, 'field-id': 2000, name: 'ts_day', transform: 'day' },
      { 'source-id': 10, 'field-id': 2001, name: 'sensor_bucket', transform: 'bucket[8]' },
    ],
  },
  'write-order': { 'order-id': 3, fields: [{ transform: 'identity', 'source-id': 13, direction: 'asc', 'null-order': 'nulls-first' }] },
  properties: { 'format-version': '2', owner: 'ingest' },
}

const created = (): TableMetadata => newTableMetadata(request, { location: 's3://b/db/readings/', tableUuid: 'uuid-1', nowMs: 1_000 })

function snapshot(id: bigint, sequence: number, parent?: bigint, timestamp = 2_000): Snapshot {
  return {
    'snapshot-id': id,
    ...(parent === undefined ? {} : { 'parent-snapshot-id': parent }),
    'sequence-number': sequence,
    'timestamp-ms': timestamp,
    'manifest-list': `s3://b/db/readings/metadata/snap-${id}.avro`,
    summary: { operation: 'append' },
    'schema-id': 0,
  }
}

describe('newTableMetadata', () => {
  test('assigns fresh ids as Java does on create', () => {
    const m = created()
    expect(m.schemas).toHaveLength(1)
    expect(m['current-schema-id']).toBe(0)
    // Top-level fields first, then nested ones: sensor_id 1, loc 2, ts 3, loc.lat 4.
    expect(currentSchema(m).fields.map((f) => f.id)).toEqual([1, 2, 3])
    expect(m['last-column-id']).toBe(4)
    expect(defaultSpec(m)).toEqual({
      'spec-id': 0,
      fields: [
        { 'source-id': 3, 'field-id': 1000, name: 'ts_day', transform: 'day' },
        { 'source-id': 1, 'field-id': 1001, name: 'sensor_bucket', transform: 'bucket[8]' },
      ],
    })
    expect(m['last-partition-id']).toBe(1001)
    expect(defaultSortOrder(m)).toEqual({ 'order-id': 1, fields: [{ transform: 'identity', 'source-id': 3, direction: 'asc', 'null-order': 'nulls-first' }] })
    expect(m.properties).toEqual({ owner: 'ingest' })
    expect(m.location).toBe('s3://b/db/readings')
    expect(m['last-sequence-number']).toBe(0)
    expect(m['last-updated-ms']).toBe(1_000)
    expect(currentSnapshot(m)).toBeUndefined()
  })

  test('an unpartitioned, unsorted table gets spec 0, order 0 and last-partition-id 999', () => {
    const m = newTableMetadata({ name: 't', schema: request.schema }, { location: 'mem://t', tableUuid: 'u', nowMs: 0 })
    expect(defaultSpec(m)).toEqual({ 'spec-id': 0, fields: [] })
    expect(m['last-partition-id']).toBe(999)
    expect(defaultSortOrder(m)).toEqual({ 'order-id': 0, fields: [] })
  })

  test('format-version 3 starts row lineage at 0; v3 types need it', () => {
    const v3 = newTableMetadata({ ...request, properties: { 'format-version': '3', a: 'b' } }, { location: 'x', tableUuid: 'u', nowMs: 0 })
    expect(v3['format-version']).toBe(3)
    expect(v3['next-row-id']).toBe(0n)
    expect(v3.properties).toEqual({ a: 'b' })
    const nanos: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'at', required: false, type: 'timestamp_ns' }, { id: 2, name: 'doc', required: false, type: 'variant' }] }
    expect(newTableMetadata({ name: 't', schema: nanos, properties: { 'format-version': '3' } }, { location: 'x', tableUuid: 'u', nowMs: 0 }).schemas[0]!.fields.map((f) => f.type)).toEqual(['timestamp_ns', 'variant'])
    expect(() => newTableMetadata({ name: 't', schema: nanos }, { location: 'x', tableUuid: 'u', nowMs: 0 })).toThrow(/field at has type timestamp_ns, which needs a format-version 3 table \(this one is v2\)/)
    const withDefault: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'n', required: false, type: 'int', 'write-default': 7 }] }
    expect(() => newTableMetadata({ name: 't', schema: withDefault }, { location: 'x', tableUuid: 'u', nowMs: 0 })).toThrow(/field n has a default value/)
  })

  test('rejects a v1/v4 format-version property and transforms that do not fit', () => {
    expect(() => newTableMetadata({ ...request, properties: { 'format-version': '1' } }, { location: 'x', tableUuid: 'u', nowMs: 0 })).toThrow(/format-version 1 is not supported/)
    expect(() => newTableMetadata({ ...request, properties: { 'format-version': '4' } }, { location: 'x', tableUuid: 'u', nowMs: 0 })).toThrow(/format-version 4/)
    const badSpec = { 'spec-id': 0, fields: [{ 'source-id': 12, 'field-id': 1000, name: 'lat_day', transform: 'day' as const }] }
    expect(() => newTableMetadata({ ...request, 'partition-spec': badSpec }, { location: 'x', tableUuid: 'u', nowMs: 0 })).toThrow(ValidationError)
  })
})

describe('create → append commits → serialize → parse', () => {
  test('round trip keeps everything, ids exact', () => {
    let m = created()
    const first = 9223372036854775807n
    const second = 5780384282046449170n
    m = applyUpdates(m, [{ action: 'add-snapshot', snapshot: snapshot(first, 1) }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': first }], 3_000)
    m = withMetadataLog(m, 's3://b/db/readings/metadata/00000.metadata.json', 1_000)
    m = applyUpdates(m, [{ action: 'add-snapshot', snapshot: snapshot(second, 2, first, 4_000) }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': second }], 5_000)
    expect(currentSnapshot(m)?.['snapshot-id']).toBe(second)
    expect(m['last-sequence-number']).toBe(2)
    expect(m['snapshot-log']).toEqual([
      { 'timestamp-ms': 2_000, 'snapshot-id': first },
      { 'timestamp-ms': 4_000, 'snapshot-id': second },
    ])
    expect(ancestorsOf(m, second).map((s) => s['snapshot-id'])).toEqual([second, first])
    expect(snapshotById(m, first)?.['sequence-number']).toBe(1)

    const text = stringifyJson(tableMetadataToJson(m), 2)
    expect(text).toContain('"snapshot-id": 9223372036854775807')
    expect(text).toContain('"snapshot-id": 5780384282046449170')
    expect(tableMetadataFromJson(parseJson(text))).toEqual(m)
  })
})

describe('withMetadataLog', () => {
  test('appends the previous file and keeps the newest write.metadata.previous-versions-max', () => {
    let m: TableMetadata = { ...created(), properties: { 'write.metadata.previous-versions-max': '2' } }
    for (let i = 0; i < 4; i++) m = withMetadataLog(m, `v${i}.json`, i)
    expect(m['metadata-log']).toEqual([
      { 'metadata-file': 'v2.json', 'timestamp-ms': 2 },
      { 'metadata-file': 'v3.json', 'timestamp-ms': 3 },
    ])
  })

  test('defaults to 100 entries', () => {
    let m = created()
    for (let i = 0; i < 105; i++) m = withMetadataLog(m, `v${i}.json`, i)
    expect(m['metadata-log']).toHaveLength(100)
    expect(m['metadata-log'][0]?.['metadata-file']).toBe('v5.json')
  })
})

describe('ancestorsOf', () => {
  test('stops at an expired parent', () => {
    const m: TableMetadata = { ...created(), snapshots: [snapshot(3n, 3, 2n), snapshot(2n, 2, 1n)] }
    expect(ancestorsOf(m, 3n).map((s) => s['snapshot-id'])).toEqual([3n, 2n])
    expect(ancestorsOf(m, 9n)).toEqual([])
  })
})
