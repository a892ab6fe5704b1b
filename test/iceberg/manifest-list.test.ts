import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { readContainer } from '../../src/avro/container.ts'
import type { PartitionTypeField } from '../../src/iceberg/avro-schemas.ts'
import { decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList, encodeManifestList, summarizePartitions } from '../../src/iceberg/manifest-list.ts'
import { encodeSingleValue } from '../../src/iceberg/single-value.ts'
import type { IcebergValue, ManifestFile } from '../../src/iceberg/types.ts'
import { recordFields } from '../avro/fastavro.ts'

const FIXTURES = join(import.meta.dir, '..', 'fixtures', 'avro')
const fixture = async (name: string): Promise<Uint8Array> => new Uint8Array(await Bun.file(join(FIXTURES, name)).arrayBuffer())

const manifests: ManifestFile[] = [
  {
    'manifest-path': 's3://b/t/metadata/new-m0.avro',
    'manifest-length': 5135,
    'partition-spec-id': 0,
    content: 0,
    'sequence-number': 3,
    'min-sequence-number': 3,
    'added-snapshot-id': 2n ** 63n - 1n,
    'added-files-count': 2,
    'existing-files-count': 0,
    'deleted-files-count': 0,
    'added-rows-count': 2 ** 53 - 1,
    'existing-rows-count': 0,
    'deleted-rows-count': 0,
    partitions: [
      { 'contains-null': true, 'contains-nan': false, 'lower-bound': new Uint8Array([1]), 'upper-bound': new Uint8Array([2]) },
      { 'contains-null': true, 'contains-nan': true },
      { 'contains-null': false },
    ],
  },
  {
    'manifest-path': 's3://b/t/metadata/old-m0.avro',
    'manifest-length': 1,
    'partition-spec-id': 2,
    content: 1,
    'sequence-number': 1,
    'min-sequence-number': 0,
    'added-snapshot-id': 1519196023111850230n,
    'added-files-count': 0,
    'existing-files-count': 2147483647,
    'deleted-files-count': 1,
    'added-rows-count': 0,
    'existing-rows-count': 10,
    'deleted-rows-count': 3,
  },
]

describe('encodeManifestList / decodeManifestList', () => {
  for (const compression of ['deflate', 'null'] as const) {
    test(`round-trips manifests, summaries and 64-bit ids (${compression})`, async () => {
      const bytes = await encodeManifestList({ snapshotId: 2n ** 63n - 1n, parentSnapshotId: 1n, sequenceNumber: 3, manifests, compression })
      expect(await decodeManifestList(bytes)).toEqual(manifests)
    })
  }

  test('writes the header keys Java writes; a missing parent is "null"', async () => {
    const withParent = await readContainer(await encodeManifestList({ snapshotId: 2n ** 63n - 1n, parentSnapshotId: 1885989861900109568n, sequenceNumber: 3, manifests }))
    expect(withParent.metadata).toMatchObject({
      'snapshot-id': '9223372036854775807',
      'parent-snapshot-id': '1885989861900109568',
      'sequence-number': '3',
      'format-version': '2',
      'avro.codec': 'deflate',
    })
    const first = await readContainer(await encodeManifestList({ snapshotId: 5n, sequenceNumber: 1, manifests: [] }))
    expect(first.metadata['parent-snapshot-id']).toBe('null')
    expect(first.records).toEqual([])
  })

  test('embeds the v2 manifest_file schema with field ids 500-519', async () => {
    const { metadata } = await readContainer(await encodeManifestList({ snapshotId: 1n, sequenceNumber: 3, manifests }))
    const schema = JSON.parse(metadata['avro.schema']!)
    expect(schema.name).toBe('manifest_file')
    const fields = recordFields(schema)
    expect(fields.filter(({ field }) => typeof field['field-id'] !== 'number').map((f) => f.path)).toEqual([])
    expect(fields.map((f) => [f.path, f.field['field-id']])).toEqual([
      ['manifest_path', 500], ['manifest_length', 501], ['partition_spec_id', 502], ['content', 517],
      ['sequence_number', 515], ['min_sequence_number', 516], ['added_snapshot_id', 503],
      ['added_files_count', 504], ['existing_files_count', 505], ['deleted_files_count', 506],
      ['added_rows_count', 512], ['existing_rows_count', 513], ['deleted_rows_count', 514],
      ['partitions', 507], ['partitions.contains_null', 509], ['partitions.contains_nan', 518],
      ['partitions.lower_bound', 510], ['partitions.upper_bound', 511], ['key_metadata', 519],
    ])
    const partitions = schema.fields[13].type[1]
    expect(partitions['element-id']).toBe(508)
    expect(partitions.items.name).toBe('r508')
    expect(schema.fields.slice(0, 13).every((f: { type: unknown }) => typeof f.type === 'string')).toBe(true)
  })

  test('refuses a manifest newer than the snapshot', async () => {
    await expect(encodeManifestList({ snapshotId: 1n, sequenceNumber: 2, manifests })).rejects.toThrow(/sequence number 3, newer than snapshot sequence number 2/)
  })

  test('decodes a manifest list written by PyIceberg', async () => {
    const list = await decodeManifestList(await fixture('pyiceberg-manifest-list.avro'))
    expect(list.map((m) => [m['added-snapshot-id'], m['sequence-number'], m['min-sequence-number'], m['added-files-count'], m['added-rows-count'], m['manifest-length']])).toEqual([
      [1885989861900109568n, 2, 2, 1, 1, 5135],
      [1519196023111850230n, 1, 1, 3, 4, 5655],
    ])
    expect(list[1]!['manifest-path']).toEndWith('/metadata/8b20a525-4a83-402f-b5c5-89eb2d2f9e94-m0.avro')
    expect(list[1]!.partitions).toEqual([
      { 'contains-null': true, 'contains-nan': false, 'lower-bound': new TextEncoder().encode('a'), 'upper-bound': new TextEncoder().encode('zé') },
      { 'contains-null': true, 'contains-nan': false, 'lower-bound': new Uint8Array([0x6a, 0x44, 7, 0]), 'upper-bound': new Uint8Array([0x78, 0x44, 7, 0]) },
      { 'contains-null': false, 'contains-nan': false, 'lower-bound': new Uint8Array([3, 0, 0, 0]), 'upper-bound': new Uint8Array([6, 0, 0, 0]) },
      { 'contains-null': true, 'contains-nan': false, 'lower-bound': new Uint8Array([0xff, 0xff, 0xff, 0xff]), 'upper-bound': new Uint8Array([0x84, 0x4d, 0, 0]) },
    ])
  })
})

describe('summarizePartitions', () => {
  test('reproduces PyIceberg\'s summaries from the partitions of its manifest', async () => {
    const { entries } = await decodeManifest(await fixture('pyiceberg-manifest.avro'))
    const type: PartitionTypeField[] = [
      { name: 'cat', fieldId: 1000, type: 'string' },
      { name: 'ts_hour', fieldId: 1001, type: 'int' },
      { name: 'id_bucket', fieldId: 1002, type: 'int' },
      { name: 'day', fieldId: 1003, type: 'date' },
    ]
    const list = await decodeManifestList(await fixture('pyiceberg-manifest-list.avro'))
    expect(summarizePartitions(type, entries.map((e) => e['data-file'].partition), encodeSingleValue)).toEqual(list[1]!.partitions!)
  })

  const summarize = (type: PartitionTypeField['type'], values: IcebergValue[]) =>
    summarizePartitions([{ name: 'p', fieldId: 1000, type }], values.map((v) => [v]), (t, v) => encodeSingleValue(t, v))[0]!
  const bound = (type: PartitionTypeField['type'], value: IcebergValue) => encodeSingleValue(type, value)

  test('ints and longs compare signed', () => {
    expect(summarize('int', [3, -5, -10, 7])).toEqual({ 'contains-null': false, 'contains-nan': false, 'lower-bound': bound('int', -10), 'upper-bound': bound('int', 7) })
    const longs = summarize('long', [2n ** 63n - 1n, -(2n ** 63n), 0n])
    expect(longs['lower-bound']).toEqual(bound('long', -(2n ** 63n)))
    expect(longs['upper-bound']).toEqual(bound('long', 2n ** 63n - 1n))
  })

  test('doubles: NaN is flagged and never a bound; -0 is below +0', () => {
    const s = summarize('double', [0, Number.NaN, -0, null])
    expect(s['contains-null']).toBe(true)
    expect(s['contains-nan']).toBe(true)
    expect(s['lower-bound']).toEqual(bound('double', -0))
    expect(s['upper-bound']).toEqual(bound('double', 0))
    expect(summarize('float', [Number.NaN])).toEqual({ 'contains-null': false, 'contains-nan': true })
  })

  test('strings compare by code point (UTF-8 bytes), not UTF-16 units', () => {
    // U+FFFD < U+1F600 by code point, though its UTF-16 unit 0xFFFD > 0xD83D.
    const s = summarize('string', ['😀', '\ufffd', 'a'])
    expect(s['lower-bound']).toEqual(bound('string', 'a'))
    expect(s['upper-bound']).toEqual(bound('string', '😀'))
  })

  test('binary compares unsigned; all-null fields have no bounds', () => {
    const s = summarize('binary', [new Uint8Array([0x80]), new Uint8Array([0x7f, 0xff]), new Uint8Array([0x7f])])
    expect(s['lower-bound']).toEqual(new Uint8Array([0x7f]))
    expect(s['upper-bound']).toEqual(new Uint8Array([0x80]))
    expect(summarize('string', [null, null])).toEqual({ 'contains-null': true, 'contains-nan': false })
  })

  test('an unpartitioned spec has no summaries; a short tuple is an error', () => {
    expect(summarizePartitions([], [[], []], encodeSingleValue)).toEqual([])
    expect(() => summarizePartitions([{ name: 'p', fieldId: 1000, type: 'int' }], [[]], encodeSingleValue)).toThrow(/tuple has 0 values/)
  })
})
