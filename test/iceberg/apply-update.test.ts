import { describe, expect, test } from 'bun:test'
import { CommitConflictError, ValidationError } from '../../src/errors.ts'
import { applyUpdate, applyUpdates } from '../../src/iceberg/apply-update.ts'
import { newTableMetadata } from '../../src/iceberg/table-metadata.ts'
import type { Schema, Snapshot, TableMetadata } from '../../src/iceberg/types.ts'
import type { TableUpdate } from '../../src/iceberg/updates.ts'

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'ts', required: false, type: 'timestamp' },
  ],
}
const base = (): TableMetadata => newTableMetadata({ name: 't', schema }, { location: 'mem://t', tableUuid: 'u-1', nowMs: 100 })

function snap(id: bigint, sequence: number, parent?: bigint, timestamp = 1_000): Snapshot {
  return {
    'snapshot-id': id,
    ...(parent === undefined ? {} : { 'parent-snapshot-id': parent }),
    'sequence-number': sequence,
    'timestamp-ms': timestamp,
    'manifest-list': `mem://t/metadata/snap-${id}.avro`,
    summary: { operation: 'append' },
  }
}
const add = (s: Snapshot): TableUpdate => ({ action: 'add-snapshot', snapshot: s })
const setMain = (id: bigint): TableUpdate => ({ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id })

/** Three appends committed one by one: 1 ← 2 ← 3, snapshot timestamps 1000, 2000, 3000. */
function withHistory(): TableMetadata {
  let m = base()
  m = applyUpdates(m, [add(snap(1n, 1, undefined, 1_000)), setMain(1n)], 1_100)
  m = applyUpdates(m, [add(snap(2n, 2, 1n, 2_000)), setMain(2n)], 2_100)
  return applyUpdates(m, [add(snap(3n, 3, 2n, 3_000)), setMain(3n)], 3_100)
}

describe('snapshots and refs', () => {
  test('add-snapshot + set main: current snapshot, sequence number, log at the snapshot time', () => {
    const m = withHistory()
    expect(m['current-snapshot-id']).toBe(3n)
    expect(m['last-sequence-number']).toBe(3)
    expect(m.refs.main).toEqual({ 'snapshot-id': 3n, type: 'branch' })
    expect(m['snapshot-log'].map((e) => [e['snapshot-id'], e['timestamp-ms']])).toEqual([[1n, 1_000], [2n, 2_000], [3n, 3_000]])
    expect(m['last-updated-ms']).toBe(3_100)
  })

  test('the input metadata is not modified', () => {
    const m = base()
    const copy = structuredClone(m)
    applyUpdates(m, [add(snap(1n, 1)), setMain(1n), { action: 'set-properties', updates: { a: 'b' } }], 5)
    expect(m).toEqual(copy)
  })

  test('a stale sequence number is a commit conflict carrying both numbers', () => {
    const m = withHistory()
    const run = () => applyUpdate(m, add(snap(4n, 3, 3n)), 0)
    expect(run).toThrow(CommitConflictError)
    expect(run).toThrow('cannot add snapshot 4 with sequence number 3: table last sequence number is 3')
  })

  test('duplicate snapshot ids and refs to unknown snapshots are rejected', () => {
    const m = withHistory()
    expect(() => applyUpdate(m, add(snap(2n, 9, 3n)), 0)).toThrow('snapshot 2 already exists')
    expect(() => applyUpdate(m, setMain(77n), 0)).toThrow('cannot set main to unknown snapshot 77')
    expect(() => applyUpdate(m, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'tag', 'snapshot-id': 1n }, 0)).toThrow(/must be a branch/)
  })

  test('rolling main back logs the change at commit time; tags do not touch the current snapshot', () => {
    let m = withHistory()
    m = applyUpdates(m, [{ action: 'set-snapshot-ref', 'ref-name': 'v1', type: 'tag', 'snapshot-id': 1n }], 4_000)
    expect(m['current-snapshot-id']).toBe(3n)
    expect(m.refs.v1).toEqual({ 'snapshot-id': 1n, type: 'tag' })
    m = applyUpdates(m, [setMain(2n)], 5_000)
    expect(m['current-snapshot-id']).toBe(2n)
    expect(m['snapshot-log'].at(-1)).toEqual({ 'timestamp-ms': 5_000, 'snapshot-id': 2n })
  })

  test('an intermediate snapshot made current and superseded in one commit leaves the log', () => {
    const m = applyUpdates(base(), [add(snap(1n, 1, undefined, 10)), setMain(1n), add(snap(2n, 2, 1n, 20)), setMain(2n)], 30)
    expect(m['snapshot-log']).toEqual([{ 'timestamp-ms': 20, 'snapshot-id': 2n }])
  })

  test('remove-snapshots drops dangling refs and the log history before a removed snapshot', () => {
    let m = applyUpdates(withHistory(), [{ action: 'set-snapshot-ref', 'ref-name': 'old', type: 'tag', 'snapshot-id': 1n }], 4_000)
    m = applyUpdates(m, [{ action: 'remove-snapshots', 'snapshot-ids': [2n, 1n] }], 5_000)
    expect(m.snapshots.map((s) => s['snapshot-id'])).toEqual([3n])
    expect(Object.keys(m.refs)).toEqual(['main'])
    expect(m['snapshot-log']).toEqual([{ 'timestamp-ms': 3_000, 'snapshot-id': 3n }])
  })

  test('removing the main ref or its snapshot clears the current snapshot', () => {
    expect(applyUpdates(withHistory(), [{ action: 'remove-snapshot-ref', 'ref-name': 'main' }], 1)['current-snapshot-id']).toBeUndefined()
    const gone = applyUpdates(withHistory(), [{ action: 'remove-snapshots', 'snapshot-ids': [3n] }], 1)
    expect(gone['current-snapshot-id']).toBeUndefined()
    expect(gone.refs.main).toBeUndefined()
  })
})

describe('schema, spec and sort order evolution', () => {
  const wider: Schema = { ...schema, 'schema-id': 99, fields: [...schema.fields, { id: 3, name: 'note', required: false, type: 'string' }] }

  test('add-schema assigns the next id and last-column-id; -1 selects it', () => {
    const m = applyUpdates(base(), [{ action: 'add-schema', schema: wider }, { action: 'set-current-schema', 'schema-id': -1 }], 1)
    expect(m.schemas.map((s) => s['schema-id'])).toEqual([0, 1])
    expect(m['current-schema-id']).toBe(1)
    expect(m['last-column-id']).toBe(3)
  })

  test('re-adding an existing schema reuses its id', () => {
    const m = applyUpdates(base(), [{ action: 'add-schema', schema: { ...schema, 'schema-id': 5 } }, { action: 'set-current-schema', 'schema-id': -1 }], 1)
    expect(m.schemas).toHaveLength(1)
    expect(m['current-schema-id']).toBe(0)
  })

  test('-1 without an added schema, unknown schema ids and invalid schemas fail', () => {
    expect(() => applyUpdates(base(), [{ action: 'set-current-schema', 'schema-id': -1 }], 1)).toThrow(/no schema was added/)
    expect(() => applyUpdates(base(), [{ action: 'set-current-schema', 'schema-id': 4 }], 1)).toThrow('cannot set current schema to unknown schema 4')
    const dup: Schema = { ...wider, fields: [...wider.fields, { id: 3, name: 'again', required: false, type: 'int' }] }
    expect(() => applyUpdates(base(), [{ action: 'add-schema', schema: dup }], 1)).toThrow(ValidationError)
  })

  test('add-spec / set-default-spec -1, with last-partition-id and reuse of equal specs', () => {
    const spec = { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'ts_day', transform: 'day' as const }] }
    let m = applyUpdates(base(), [{ action: 'add-spec', spec }, { action: 'set-default-spec', 'spec-id': -1 }], 1)
    expect(m['partition-specs'].map((s) => s['spec-id'])).toEqual([0, 1])
    expect(m['default-spec-id']).toBe(1)
    expect(m['last-partition-id']).toBe(1000)
    m = applyUpdates(m, [{ action: 'add-spec', spec: { ...spec, 'spec-id': 7 } }], 2)
    expect(m['partition-specs']).toHaveLength(2)
    expect(() => applyUpdates(base(), [{ action: 'add-spec', spec: { 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'x', transform: 'hour' }] } }], 1)).toThrow(
      /hour cannot be applied to id \(long\)/,
    )
  })

  test('add-sort-order numbers sorted orders from 1 and set-default-sort-order -1 picks it', () => {
    const order = { 'order-id': 0, fields: [{ transform: 'identity' as const, 'source-id': 1, direction: 'desc' as const, 'null-order': 'nulls-last' as const }] }
    const m = applyUpdates(base(), [{ action: 'add-sort-order', 'sort-order': order }, { action: 'set-default-sort-order', 'sort-order-id': -1 }], 1)
    expect(m['sort-orders'].map((o) => o['order-id'])).toEqual([0, 1])
    expect(m['default-sort-order-id']).toBe(1)
  })
})

describe('table-level updates', () => {
  test('properties, location, uuid', () => {
    const m = applyUpdates(
      base(),
      [
        { action: 'set-properties', updates: { a: '1', b: '2' } },
        { action: 'remove-properties', removals: ['a', 'missing'] },
        { action: 'set-location', location: 's3://b/moved' },
        { action: 'assign-uuid', uuid: 'u-2' },
        { action: 'upgrade-format-version', 'format-version': 2 },
      ],
      1,
    )
    expect(m.properties).toEqual({ b: '2' })
    expect(m.location).toBe('s3://b/moved')
    expect(m['table-uuid']).toBe('u-2')
  })

  test('upgrade to v3 starts row ids at 0; downgrades and unknown versions are refused', () => {
    const upgraded = applyUpdate(base(), { action: 'upgrade-format-version', 'format-version': 3 }, 1)
    expect(upgraded['format-version']).toBe(3)
    expect(upgraded['next-row-id']).toBe(0n)
    expect(applyUpdate(base(), { action: 'upgrade-format-version', 'format-version': 2 }, 1)['format-version']).toBe(2)
    expect(() => applyUpdate(upgraded, { action: 'upgrade-format-version', 'format-version': 2 }, 1)).toThrow(/cannot downgrade format-version from 3 to 2/)
    expect(() => applyUpdate(base(), { action: 'upgrade-format-version', 'format-version': 1 }, 1)).toThrow(/cannot downgrade/)
    expect(() => applyUpdate(base(), { action: 'upgrade-format-version', 'format-version': 4 }, 1)).toThrow(/format-version 4 is not supported/)
  })

  test('statistics: one file per snapshot, replaced by a second set, removed alone or with its snapshot', () => {
    const stats = (id: bigint, path: string) => ({ 'snapshot-id': id, 'statistics-path': path, 'file-size-in-bytes': 10n, 'file-footer-size-in-bytes': 4n, 'blob-metadata': [] })
    const partitionStats = (id: bigint) => ({ 'snapshot-id': id, 'statistics-path': `p${id}.parquet`, 'file-size-in-bytes': 5n })
    let m = applyUpdates(
      withHistory(),
      [
        { action: 'set-statistics', statistics: stats(1n, 'a.puffin') },
        { action: 'set-statistics', statistics: stats(2n, 'b.puffin') },
        { action: 'set-statistics', statistics: stats(2n, 'b2.puffin') },
        { action: 'set-partition-statistics', 'partition-statistics': partitionStats(1n) },
        { action: 'set-partition-statistics', 'partition-statistics': partitionStats(3n) },
      ],
      4_000,
    )
    expect(m.statistics!.map((f) => f['statistics-path'])).toEqual(['a.puffin', 'b2.puffin'])
    expect(() => applyUpdate(m, { action: 'set-statistics', statistics: stats(77n, 'x.puffin') }, 0)).toThrow('set-statistics: snapshot 77 is not in the table')
    m = applyUpdates(m, [{ action: 'remove-statistics', 'snapshot-id': 2n }], 5_000)
    expect(m.statistics!.map((f) => f['snapshot-id'])).toEqual([1n])
    m = applyUpdates(m, [{ action: 'remove-snapshots', 'snapshot-ids': [1n] }], 6_000)
    expect(m.statistics).toEqual([])
    expect(m['partition-statistics']!.map((f) => f['snapshot-id'])).toEqual([3n])
    m = applyUpdates(m, [{ action: 'remove-partition-statistics', 'snapshot-id': 3n }], 7_000)
    expect(m['partition-statistics']).toEqual([])
  })
})
