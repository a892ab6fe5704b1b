import { describe, expect, test } from 'bun:test'
import type { TableRequirement } from '../../../src/iceberg/requirements.ts'
import { parseJson, stringifyJson } from '../../../src/iceberg/serde/json.ts'
import { tableRequirementFromJson, tableRequirementToJson, tableUpdateFromJson, tableUpdateToJson } from '../../../src/iceberg/serde/table-update.ts'
import type { TableUpdate } from '../../../src/iceberg/updates.ts'

const updates: TableUpdate[] = [
  { action: 'assign-uuid', uuid: '9c12d441-03fe-4693-9a96-a0705ddf69c1' },
  { action: 'upgrade-format-version', 'format-version': 2 },
  { action: 'add-schema', schema: { type: 'struct', 'schema-id': 1, fields: [{ id: 1, name: 'x', required: true, type: 'decimal(9,2)' }] }, 'last-column-id': 1 },
  { action: 'set-current-schema', 'schema-id': -1 },
  { action: 'add-spec', spec: { 'spec-id': 1, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'x_bucket', transform: 'bucket[4]' }] } },
  { action: 'set-default-spec', 'spec-id': -1 },
  { action: 'add-sort-order', 'sort-order': { 'order-id': 1, fields: [{ transform: 'identity', 'source-id': 1, direction: 'asc', 'null-order': 'nulls-first' }] } },
  { action: 'set-default-sort-order', 'sort-order-id': 1 },
  {
    action: 'add-snapshot',
    snapshot: {
      'snapshot-id': 9223372036854775807n,
      'parent-snapshot-id': 5780384282046449170n,
      'sequence-number': 2,
      'timestamp-ms': 1700000000000,
      'manifest-list': 's3://b/t/metadata/snap.avro',
      summary: { operation: 'append', 'added-records': '5' },
      'schema-id': 1,
    },
  },
  { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 9223372036854775807n },
  { action: 'remove-snapshots', 'snapshot-ids': [5780384282046449170n] },
  { action: 'remove-snapshot-ref', 'ref-name': 'old' },
  { action: 'set-location', location: 's3://b/t2' },
  { action: 'set-properties', updates: { 'commit.retry.num-retries': '4' } },
  { action: 'remove-properties', removals: ['a'] },
  {
    action: 'set-statistics',
    statistics: {
      'snapshot-id': 9223372036854775806n,
      'statistics-path': 's3://b/t/metadata/stats.puffin',
      'file-size-in-bytes': 413n,
      'file-footer-size-in-bytes': 42n,
      'blob-metadata': [{ type: 'apache-datasketches-theta-v1', 'snapshot-id': 9223372036854775806n, 'sequence-number': 3n, fields: [1, 2], properties: { ndv: '7' } }],
    },
  },
  { action: 'remove-statistics', 'snapshot-id': 9223372036854775806n },
  { action: 'set-partition-statistics', 'partition-statistics': { 'snapshot-id': 1n, 'statistics-path': 's3://b/t/metadata/p.parquet', 'file-size-in-bytes': 10n } },
  { action: 'remove-partition-statistics', 'snapshot-id': 1n },
]

const requirements: TableRequirement[] = [
  { type: 'assert-create' },
  { type: 'assert-table-uuid', uuid: 'u' },
  { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null },
  { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 9223372036854775807n },
  { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 3 },
  { type: 'assert-current-schema-id', 'current-schema-id': 0 },
  { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 1000 },
  { type: 'assert-default-spec-id', 'default-spec-id': 0 },
  { type: 'assert-default-sort-order-id', 'default-sort-order-id': 0 },
]

describe('commit request JSON', () => {
  test('every update round-trips through JSON text with exact ids', () => {
    for (const update of updates) {
      const text = stringifyJson(tableUpdateToJson(update))
      expect(tableUpdateFromJson(parseJson(text))).toEqual(update)
    }
  })

  test('bigint ids are bare numbers in the body; assert-ref null is kept', () => {
    expect(stringifyJson(tableUpdateToJson(updates[9] as TableUpdate))).toBe(
      '{"action":"set-snapshot-ref","ref-name":"main","type":"branch","snapshot-id":9223372036854775807}',
    )
    expect(stringifyJson(tableRequirementToJson(requirements[2] as TableRequirement))).toBe('{"type":"assert-ref-snapshot-id","ref":"main","snapshot-id":null}')
  })

  test('every requirement round-trips', () => {
    for (const requirement of requirements) {
      expect(tableRequirementFromJson(parseJson(stringifyJson(tableRequirementToJson(requirement))))).toEqual(requirement)
    }
  })

  test('unknown actions and types are rejected with the value', () => {
    expect(() => tableUpdateFromJson({ action: 'add-encryption-key' })).toThrow(/"add-encryption-key"/)
    expect(() => tableUpdateFromJson({ action: 'set-statistics' })).toThrow(/update.statistics/)
    expect(() => tableRequirementFromJson({ type: 'assert-view-uuid' })).toThrow(/"assert-view-uuid"/)
  })
})
