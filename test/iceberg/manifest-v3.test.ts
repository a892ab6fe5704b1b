/** v3 manifests and manifest lists: the row-lineage and deletion-vector fields (142-145, 520) written, read back, and kept out of v2 files. */
import { describe, expect, test } from 'bun:test'
import { readContainer } from '../../src/avro/container.ts'
import { encodeManifest, decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList, encodeManifestList } from '../../src/iceberg/manifest-list.ts'
import type { ManifestEntry, ManifestFile, Schema } from '../../src/iceberg/types.ts'

const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] }
const spec = { 'spec-id': 0, fields: [] }
const dataFile = (path: string, extra: object = {}) => ({ content: 0 as const, 'file-path': path, 'file-format': 'PARQUET' as const, partition: [], 'record-count': 3, 'file-size-in-bytes': 10, ...extra })

const fieldIds = (schemaJson: unknown): number[] => {
  const ids: number[] = []
  JSON.stringify(schemaJson, (key, value: unknown) => {
    if (key === 'field-id' && typeof value === 'number') ids.push(value)
    return value
  })
  return ids
}

describe('v3 manifests', () => {
  test('first_row_id (142) is written where set, null where inherited; 143-145 round-trip', async () => {
    const entries: ManifestEntry[] = [
      { status: 1, 'snapshot-id': 5n, 'data-file': dataFile('s3://b/new.parquet') },
      { status: 0, 'snapshot-id': 4n, 'sequence-number': 1, 'file-sequence-number': 1, 'data-file': dataFile('s3://b/old.parquet', { 'first-row-id': 2n ** 60n }) },
    ]
    const bytes = await encodeManifest({ schema, spec, partitionType: [], entries, formatVersion: 3 })
    const container = await readContainer(bytes)
    expect(container.metadata['format-version']).toBe('3')
    expect(fieldIds(container.schema)).toEqual(expect.arrayContaining([142, 143, 144, 145]))
    const decoded = await decodeManifest(bytes)
    expect(decoded.entries.map((e) => e['data-file']['first-row-id'])).toEqual([undefined, 2n ** 60n])

    const dv: ManifestEntry = {
      status: 1,
      'data-file': { ...dataFile('s3://b/dv.puffin'), content: 1, 'file-format': 'PUFFIN' as never, 'referenced-data-file': 's3://b/old.parquet', 'content-offset': 4, 'content-size-in-bytes': 42 },
    }
    const deletes = await decodeManifest(await encodeManifest({ schema, spec, partitionType: [], entries: [{ ...dv, 'data-file': { ...dv['data-file'], 'file-format': 'PARQUET' } }], formatVersion: 3, content: 1 }))
    expect(deletes.entries[0]!['data-file']).toMatchObject({ 'referenced-data-file': 's3://b/old.parquet', 'content-offset': 4, 'content-size-in-bytes': 42 })
  })

  test('v2 manifests have none of the v3 fields and refuse files that need them', async () => {
    const bytes = await encodeManifest({ schema, spec, partitionType: [], entries: [{ status: 1, 'data-file': dataFile('a') }] })
    const container = await readContainer(bytes)
    expect(container.metadata['format-version']).toBe('2')
    expect(fieldIds(container.schema)).not.toContain(142)
    await expect(encodeManifest({ schema, spec, partitionType: [], entries: [{ status: 0, 'data-file': dataFile('a', { 'first-row-id': 1n }) }] })).rejects.toThrow(/need a v3 manifest/)
  })
})

describe('v3 manifest lists', () => {
  const manifest = (path: string, firstRowId?: bigint): ManifestFile => ({
    'manifest-path': path,
    'manifest-length': 1,
    'partition-spec-id': 0,
    content: 0,
    'sequence-number': 1,
    'min-sequence-number': 1,
    'added-snapshot-id': 5n,
    'added-files-count': 1,
    'existing-files-count': 0,
    'deleted-files-count': 0,
    'added-rows-count': 3,
    'existing-rows-count': 0,
    'deleted-rows-count': 0,
    ...(firstRowId === undefined ? {} : { 'first-row-id': firstRowId }),
  })

  test('first_row_id (520) per manifest and the snapshot first-row-id in the header', async () => {
    const bytes = await encodeManifestList({ snapshotId: 5n, sequenceNumber: 1, manifests: [manifest('a', 7n), manifest('b')], formatVersion: 3, firstRowId: 7n })
    const container = await readContainer(bytes)
    expect(container.metadata).toMatchObject({ 'format-version': '3', 'first-row-id': '7' })
    expect(fieldIds(container.schema)).toContain(520)
    expect((await decodeManifestList(bytes)).map((m) => m['first-row-id'])).toEqual([7n, undefined])
  })

  test('a v2 list refuses first-row-ids', async () => {
    await expect(encodeManifestList({ snapshotId: 5n, sequenceNumber: 1, manifests: [manifest('a', 7n)] })).rejects.toThrow(/needs a v3 manifest list/)
  })
})
