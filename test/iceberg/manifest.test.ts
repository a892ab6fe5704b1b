import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { readContainer } from '../../src/avro/container.ts'
import { avroName, manifestEntrySchema, type PartitionTypeField } from '../../src/iceberg/avro-schemas.ts'
import { decimalRequiredBytes } from '../../src/iceberg/big-endian.ts'
import { decodeManifest, encodeManifest } from '../../src/iceberg/manifest.ts'
import type { DataFile, ManifestEntry, PartitionSpec, PrimitiveType, Schema } from '../../src/iceberg/types.ts'
import { recordFields } from '../avro/fastavro.ts'

const FIXTURES = join(import.meta.dir, '..', 'fixtures', 'avro')
const fixture = async (name: string): Promise<Uint8Array> => new Uint8Array(await Bun.file(join(FIXTURES, name)).arrayBuffer())

/** One identity partition per primitive type, to cover every Avro mapping. */
const TYPES: PrimitiveType[] = [
  'boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz',
  'string', 'uuid', 'binary', 'decimal(9,2)', 'decimal(38,10)', 'fixed[4]',
]
const schema: Schema = {
  type: 'struct',
  'schema-id': 3,
  fields: TYPES.map((type, i) => ({ id: i + 1, name: `c${i}`, required: false, type })),
}
const spec: PartitionSpec = {
  'spec-id': 7,
  fields: TYPES.map((_, i) => ({ 'source-id': i + 1, 'field-id': 1000 + i, name: `c${i}_p`, transform: 'identity' })),
}
const partitionType: PartitionTypeField[] = TYPES.map((type, i) => ({ name: `c${i}_p`, fieldId: 1000 + i, type }))

const fullTuple = [
  true, -2147483648, -(2n ** 63n), -0, Number.NaN, -1, 86399999999n, -1n, 2n ** 63n - 1n,
  '日本😀', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', new Uint8Array([0, 255]), -999999999n,
  -(10n ** 38n) + 1n, new Uint8Array([1, 2, 3, 4]),
]

function dataFile(path: string, partition: DataFile['partition'], extra: Partial<DataFile> = {}): DataFile {
  return { content: 0, 'file-path': path, 'file-format': 'PARQUET', partition, 'record-count': 10, 'file-size-in-bytes': 2048, ...extra }
}

const entries: ManifestEntry[] = [
  {
    status: 1,
    'snapshot-id': 2n ** 63n - 1n,
    'data-file': dataFile('s3://b/t/data/a.parquet', fullTuple, {
      'record-count': 2 ** 53 - 1,
      'file-size-in-bytes': 123456789012,
      'column-sizes': new Map([[1, 100], [2, 2 ** 40]]),
      'value-counts': new Map([[1, 10]]),
      'null-value-counts': new Map([[1, 0]]),
      'nan-value-counts': new Map([[5, 1]]),
      'lower-bounds': new Map([[1, new Uint8Array([0])], [10, new TextEncoder().encode('a')]]),
      'upper-bounds': new Map([[1, new Uint8Array([1])]]),
      'split-offsets': [4n, 2n ** 40n],
      'sort-order-id': 0,
    }),
  },
  { status: 1, 'data-file': dataFile('s3://b/t/data/nulls.parquet', TYPES.map(() => null)) },
  {
    status: 0,
    'snapshot-id': 1885989861900109568n,
    'sequence-number': 4,
    'file-sequence-number': 5,
    'data-file': dataFile('s3://b/t/data/b.parquet', [false, 1, 1n, 1.5, Infinity, 19844, 0n, 1714559400000000n, 0n, '', '00000000-0000-0000-0000-000000000000', new Uint8Array(0), 1n, 10n ** 38n - 1n, new Uint8Array(4)]),
  },
]

describe('encodeManifest / decodeManifest', () => {
  for (const compression of ['deflate', 'null'] as const) {
    test(`round-trips every partition type, metric map and 64-bit id (${compression})`, async () => {
      const bytes = await encodeManifest({ schema, spec, partitionType, entries, compression })
      const decoded = await decodeManifest(bytes)
      expect(decoded.entries).toEqual(entries)
      expect(decoded.metadata['avro.codec']).toBe(compression)
      expect(Object.is(decoded.entries[0]!['data-file'].partition[3], -0)).toBe(true)
    })
  }

  test('writes the header keys Java writes', async () => {
    const { metadata } = await decodeManifest(await encodeManifest({ schema, spec, partitionType, entries: [] }))
    expect(JSON.parse(metadata.schema!)).toEqual(schema)
    expect(metadata['schema-id']).toBe('3')
    expect(JSON.parse(metadata['partition-spec']!)).toEqual(spec.fields)
    expect(metadata['partition-spec-id']).toBe('7')
    expect(metadata['format-version']).toBe('2')
    expect(metadata.content).toBe('data')
    expect(metadata['avro.codec']).toBe('deflate')
    const deletes = dataFile('s3://b/t/del.parquet', TYPES.map(() => null), { content: 1 })
    const deleteManifest = await decodeManifest(await encodeManifest({ schema, spec, partitionType, entries: [{ status: 1, 'data-file': deletes }], content: 1 }))
    expect(deleteManifest.metadata.content).toBe('deletes')
    expect(deleteManifest.entries[0]!['data-file'].content).toBe(1)
  })

  test('embeds the v2 manifest_entry schema with every field id from the spec', async () => {
    const { metadata } = await readContainer(await encodeManifest({ schema, spec, partitionType, entries }))
    const avroSchema = JSON.parse(metadata['avro.schema']!)
    const fields = recordFields(avroSchema)
    expect(fields.filter(({ field }) => typeof field['field-id'] !== 'number').map((f) => f.path)).toEqual([])
    const id = (path: string): unknown => fields.find((f) => f.path === path)?.field['field-id']
    expect(avroSchema.name).toBe('manifest_entry')
    expect(avroSchema.fields.map((f: { 'field-id': number }) => f['field-id'])).toEqual([0, 1, 3, 4, 2])
    const dataFileFields = avroSchema.fields[4].type.fields
    expect(avroSchema.fields[4].type.name).toBe('r2')
    expect(dataFileFields.map((f: { 'field-id': number }) => f['field-id'])).toEqual([134, 100, 101, 102, 103, 104, 108, 109, 110, 137, 125, 128, 131, 132, 135, 140])
    const maps: [string, number, number, string][] = [
      ['column_sizes', 117, 118, 'long'], ['value_counts', 119, 120, 'long'], ['null_value_counts', 121, 122, 'long'],
      ['nan_value_counts', 138, 139, 'long'], ['lower_bounds', 126, 127, 'bytes'], ['upper_bounds', 129, 130, 'bytes'],
    ]
    for (const [name, key, value, valueType] of maps) {
      const array = dataFileFields.find((f: { name: string }) => f.name === name).type[1]
      expect(array).toMatchObject({ type: 'array', logicalType: 'map', items: { type: 'record', name: `k${key}_v${value}` } })
      expect(array.items.fields).toEqual([{ name: 'key', type: 'int', 'field-id': key }, { name: 'value', type: valueType, 'field-id': value }])
    }
    expect(dataFileFields.find((f: { name: string }) => f.name === 'split_offsets').type[1]).toEqual({ type: 'array', items: 'long', 'element-id': 133 })
    expect(dataFileFields.find((f: { name: string }) => f.name === 'equality_ids').type[1]).toEqual({ type: 'array', items: 'int', 'element-id': 136 })
    expect(id('data_file.partition.c0_p')).toBe(1000)
    expect(id('data_file.partition.c14_p')).toBe(1014)
    // Optional partition fields, Avro types per spec Appendix A.
    const partitionTypes = dataFileFields[3].type.fields.map((f: { type: unknown[]; default: unknown }) => {
      expect(f.default).toBeNull()
      expect(f.type[0]).toBe('null')
      return f.type[1]
    })
    expect(partitionTypes).toEqual([
      'boolean', 'int', 'long', 'float', 'double',
      { type: 'int', logicalType: 'date' },
      { type: 'long', logicalType: 'time-micros' },
      { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false },
      { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true },
      'string',
      { type: 'fixed', name: 'uuid_fixed', size: 16, logicalType: 'uuid' },
      'bytes',
      { type: 'fixed', name: 'decimal_9_2', size: 4, logicalType: 'decimal', precision: 9, scale: 2 },
      { type: 'fixed', name: 'decimal_38_10', size: 16, logicalType: 'decimal', precision: 38, scale: 10 },
      { type: 'fixed', name: 'fixed_4', size: 4 },
    ])
  })

  test('two partition fields of one fixed type share one named Avro type', async () => {
    const twoUuids: PartitionTypeField[] = [{ name: 'a', fieldId: 1000, type: 'uuid' }, { name: 'b', fieldId: 1001, type: 'uuid' }]
    const twoSpec: PartitionSpec = { 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'a', transform: 'identity' }, { 'source-id': 2, 'field-id': 1001, name: 'b', transform: 'identity' }] }
    const uuid = '123e4567-e89b-12d3-a456-426614174000'
    const bytes = await encodeManifest({ schema, spec: twoSpec, partitionType: twoUuids, entries: [{ status: 1, 'data-file': dataFile('p', [uuid, null]) }] })
    const partition = JSON.parse((await readContainer(bytes)).metadata['avro.schema']!).fields[4].type.fields[3].type
    expect(partition.fields[1].type).toEqual(['null', 'uuid_fixed'])
    expect((await decodeManifest(bytes)).entries[0]!['data-file'].partition).toEqual([uuid, null])
  })

  test('sanitizes partition names Avro cannot hold, as Java does, and keeps values by position', async () => {
    expect([avroName('ts_day'), avroName('1col'), avroName('a-b'), avroName('é')]).toEqual(['ts_day', '_1col', 'a_x2Db', '_xE9'])
    const odd: PartitionTypeField[] = [{ name: 'event-day', fieldId: 1000, type: 'date' }]
    const oddSpec: PartitionSpec = { 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'event-day', transform: 'day' }] }
    const bytes = await encodeManifest({ schema, spec: oddSpec, partitionType: odd, entries: [{ status: 1, 'data-file': dataFile('p', [19844]) }] })
    const field = manifestEntrySchema(odd).fields[4]!
    expect(JSON.stringify(field)).toContain('"name":"event_x2Dday","type":["null",{"type":"int","logicalType":"date"}],"default":null,"field-id":1000,"iceberg-field-name":"event-day"')
    expect((await decodeManifest(bytes)).entries[0]!['data-file'].partition).toEqual([19844])
  })

  test('an unpartitioned manifest has an empty partition record', async () => {
    const unpartitioned: PartitionSpec = { 'spec-id': 0, fields: [] }
    const bytes = await encodeManifest({ schema, spec: unpartitioned, partitionType: [], entries: [{ status: 1, 'data-file': dataFile('p', []) }] })
    expect((await decodeManifest(bytes)).entries[0]!['data-file'].partition).toEqual([])
  })

  test('decimalRequiredBytes matches Java for the boundaries', () => {
    expect([1, 2, 3, 4, 9, 10, 18, 19, 38].map(decimalRequiredBytes)).toEqual([1, 1, 2, 2, 4, 5, 8, 9, 16])
  })

  test('rejects inputs that would write a wrong manifest', async () => {
    const one = (tuple: DataFile['partition'], extra: Partial<DataFile> = {}): ManifestEntry[] => [{ status: 1, 'data-file': dataFile('s3://x.parquet', tuple, extra) }]
    const nulls = TYPES.map(() => null)
    await expect(encodeManifest({ schema, spec, partitionType: partitionType.slice(1), entries: [] })).rejects.toThrow(/do not match spec 7/)
    await expect(encodeManifest({ schema, spec, partitionType, entries: one([1]) })).rejects.toThrow(/partition tuple has 1 values, spec 7 has 15 fields/)
    await expect(encodeManifest({ schema, spec, partitionType, entries: one(nulls, { content: 1 }) })).rejects.toThrow(/content 1 cannot go in a data manifest/)
    await expect(encodeManifest({ schema, spec, partitionType, entries: one(nulls), content: 1 })).rejects.toThrow(/content 0 cannot go in a delete manifest/)
    const wrong = (i: number, value: unknown): DataFile['partition'] => nulls.map((v, j) => (j === i ? (value as null) : v))
    await expect(encodeManifest({ schema, spec, partitionType, entries: one(wrong(1, 'x')) })).rejects.toThrow(/c1_p \(int\) must be a number/)
    await expect(encodeManifest({ schema, spec, partitionType, entries: one(wrong(2, 5)) })).rejects.toThrow(/c2_p \(long\) must be a bigint/)
    await expect(encodeManifest({ schema, spec, partitionType, entries: one(wrong(12, 10n ** 10n)) })).rejects.toThrow(/within precision 9/)
    await expect(encodeManifest({ schema, spec, partitionType, entries: one(wrong(10, 'nope')) })).rejects.toThrow(expect.objectContaining({ code: 'VALIDATION' }))
    await expect(encodeManifest({ schema, spec, partitionType, entries: one(wrong(14, new Uint8Array(3))) })).rejects.toThrow(/data_file.partition.c14_p: expected Avro union/)
    await expect(encodeManifest({ schema, spec, partitionType, entries: one(nulls, { 'record-count': 2 ** 53 }) })).rejects.toThrow(/data_file.record_count/)
  })

  test('rejects bytes that are not a manifest', async () => {
    await expect(decodeManifest(new Uint8Array([1, 2, 3]))).rejects.toThrow(expect.objectContaining({ code: 'AVRO_DECODE' }))
  })
})

describe('manifests written by PyIceberg', () => {
  test('decodes identity, hour and bucket partitions, nulls, metrics and the 63-bit snapshot id', async () => {
    const { metadata, entries: read } = await decodeManifest(await fixture('pyiceberg-manifest.avro'))
    expect(metadata['format-version']).toBe('2')
    expect(metadata.content).toBe('data')
    expect(metadata['partition-spec-id']).toBe('0')
    expect(read.map((e) => e['data-file'].partition)).toEqual([
      ['a', 476266, 4, 19844],
      [null, 476280, 3, null],
      ['zé', null, 6, -1],
    ])
    expect(read.map((e) => [e.status, e['snapshot-id'], e['sequence-number'], e['file-sequence-number']])).toEqual([
      [1, 1519196023111850230n, undefined, undefined],
      [1, 1519196023111850230n, undefined, undefined],
      [1, 1519196023111850230n, undefined, undefined],
    ])
    const first = read[0]!['data-file']
    expect(first['file-format']).toBe('PARQUET')
    expect(first['file-path']).toEndWith('/data/cat=a/ts_hour=2024-05-01-10/id_bucket=4/day=2024-05-01/00000-0-8b20a525-4a83-402f-b5c5-89eb2d2f9e94.parquet')
    expect([first['record-count'], first['file-size-in-bytes']]).toEqual([2, 2047])
    expect(first['column-sizes']).toEqual(new Map([[1, 114], [2, 75], [3, 120], [4, 120], [5, 92]]))
    expect(first['nan-value-counts']).toEqual(new Map())
    expect(first['lower-bounds']!.get(5)).toEqual(new Uint8Array([0x84, 0x4d, 0, 0]))
    expect(first['upper-bounds']!.get(4)).toEqual(new Uint8Array([0, 0, 0, 0, 0, 0, 0xf8, 0x3f]))
    expect(first['split-offsets']).toEqual([4n])
    expect(first['sort-order-id']).toBeUndefined()
  })

  test('decodes decimal, binary, fixed, boolean, float, timestamp, time and long partitions', async () => {
    const { entries: read } = await decodeManifest(await fixture('pyiceberg-manifest-wide.avro'))
    expect(read[0]!['data-file'].partition).toEqual([
      -1234567891n, new Uint8Array([0, 255]), new TextEncoder().encode('abc'), true, 1.5, 1704164645678901n, 45296789012n, -9007199254740993n,
    ])
  })
})
