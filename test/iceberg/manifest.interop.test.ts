/**
 * Our manifests and manifest lists read by independent implementations: Python fastavro (raw
 * Avro: values, logical types, every field id in the writer schema) and PyIceberg's manifest
 * reader (Iceberg semantics: ids, inheritance, partition values by type). Python comes from
 * AVRO_INTEROP_PYTHON or the test stack (`bun run stack up`).
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PartitionTypeField } from '../../src/iceberg/avro-schemas.ts'
import { encodeManifest } from '../../src/iceberg/manifest.ts'
import { encodeManifestList, summarizePartitions } from '../../src/iceberg/manifest-list.ts'
import { encodeSingleValue } from '../../src/iceberg/single-value.ts'
import type { ManifestEntry, ManifestFile, PartitionSpec, PrimitiveType, Schema } from '../../src/iceberg/types.ts'
import { fastavroRead, interopPython, normalize, recordFields } from '../avro/fastavro.ts'

const TYPES: PrimitiveType[] = [
  'boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz',
  'string', 'uuid', 'binary', 'decimal(9,2)', 'decimal(38,10)', 'fixed[4]',
]
const schema: Schema = { type: 'struct', 'schema-id': 1, fields: TYPES.map((type, i) => ({ id: i + 1, name: `c${i}`, required: false, type })) }
const spec: PartitionSpec = {
  'spec-id': 0,
  fields: TYPES.map((_, i) => ({ 'source-id': i + 1, 'field-id': 1000 + i, name: `c${i}_p`, transform: 'identity' })),
}
const partitionType: PartitionTypeField[] = TYPES.map((type, i) => ({ name: `c${i}_p`, fieldId: 1000 + i, type }))
const SNAPSHOT = 2n ** 63n - 1n
const OLD_SNAPSHOT = 1885989861900109568n
const UUID = 'f79c3e09-677c-4bbd-a479-3f349cb785e7'

const tuple = [
  true, -1, -(2n ** 63n), 1.5, -0, 19844, 45296789012n, 1704164645678901n, -1n,
  'zé', UUID, new Uint8Array([1]), -12345n, 10n ** 38n - 1n, new Uint8Array([1, 2, 3, 4]),
]
const entries: ManifestEntry[] = [
  {
    status: 1,
    'snapshot-id': SNAPSHOT,
    'data-file': {
      content: 0,
      'file-path': 's3://bucket/t/data/a.parquet',
      'file-format': 'PARQUET',
      partition: tuple,
      'record-count': 2 ** 53 - 1,
      'file-size-in-bytes': 4096,
      'column-sizes': new Map([[1, 100], [2, 200]]),
      'value-counts': new Map([[1, 10]]),
      'null-value-counts': new Map([[1, 0]]),
      'nan-value-counts': new Map([[5, 2]]),
      'lower-bounds': new Map([[1, new Uint8Array([0])]]),
      'upper-bounds': new Map([[1, new Uint8Array([255])]]),
      'split-offsets': [4n],
      'sort-order-id': 0,
    },
  },
  {
    status: 0,
    'snapshot-id': OLD_SNAPSHOT,
    'sequence-number': 2,
    'file-sequence-number': 3,
    'data-file': { content: 0, 'file-path': 's3://bucket/t/data/b.parquet', 'file-format': 'PARQUET', partition: TYPES.map(() => null), 'record-count': 1, 'file-size-in-bytes': 1 },
  },
]

const dir = mkdtempSync(join(tmpdir(), 'manifest-interop-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function writeFiles(): Promise<{ manifestPath: string; listPath: string; manifestBytes: Uint8Array; listBytes: Uint8Array; manifest: ManifestFile }> {
  const manifestPath = join(dir, 'm0.avro')
  const manifestBytes = await encodeManifest({ schema, spec, partitionType, entries })
  await Bun.write(manifestPath, manifestBytes)
  const manifest: ManifestFile = {
    'manifest-path': manifestPath,
    'manifest-length': manifestBytes.length,
    'partition-spec-id': 0,
    content: 0,
    'sequence-number': 7,
    'min-sequence-number': 2,
    'added-snapshot-id': SNAPSHOT,
    'added-files-count': 1,
    'existing-files-count': 1,
    'deleted-files-count': 0,
    'added-rows-count': 2 ** 53 - 1,
    'existing-rows-count': 1,
    'deleted-rows-count': 0,
    partitions: summarizePartitions(partitionType, entries.map((e) => e['data-file'].partition), encodeSingleValue),
  }
  const listPath = join(dir, 'snap.avro')
  const listBytes = await encodeManifestList({ snapshotId: SNAPSHOT, parentSnapshotId: OLD_SNAPSHOT, sequenceNumber: 7, manifests: [manifest] })
  await Bun.write(listPath, listBytes)
  return { manifestPath, listPath, manifestBytes, listBytes, manifest }
}

/** A normalized record: compared structurally, so its shape is not typed. */
type Loose = Record<string, any>

function missingIds(writerSchema: unknown): string[] {
  return recordFields(writerSchema).filter(({ field }) => typeof field['field-id'] !== 'number').map((f) => f.path)
}

describe('fastavro reads our files', () => {
  test('manifest: values, logical types, and a field id on every field', async () => {
    const { manifestBytes } = await writeFiles()
    const file = await fastavroRead(manifestBytes)
    expect(file.codec).toBe('deflate')
    expect(missingIds(file.writer_schema)).toEqual([])
    expect(file.metadata['format-version']).toBe('2')
    expect(JSON.parse(file.metadata['partition-spec']!)).toEqual(spec.fields)
    const [added, existing] = file.records.map(normalize) as [Loose, Loose]
    expect(added).toMatchObject({ status: 'i:1', snapshot_id: `i:${SNAPSHOT}`, sequence_number: null, file_sequence_number: null })
    expect(existing).toMatchObject({ status: 'i:0', snapshot_id: `i:${OLD_SNAPSHOT}`, sequence_number: 'i:2', file_sequence_number: 'i:3' })
    expect(added.data_file).toMatchObject({
      content: 'i:0',
      file_path: 's3://bucket/t/data/a.parquet',
      file_format: 'PARQUET',
      record_count: `i:${2 ** 53 - 1}`,
      column_sizes: [{ key: 'i:1', value: 'i:100' }, { key: 'i:2', value: 'i:200' }],
      nan_value_counts: [{ key: 'i:5', value: 'i:2' }],
      lower_bounds: [{ key: 'i:1', value: 'b:00' }],
      upper_bounds: [{ key: 'i:1', value: 'b:ff' }],
      split_offsets: ['i:4'],
      equality_ids: null,
      sort_order_id: 'i:0',
    })
    expect(Object.values(added.data_file.partition)).toEqual([
      true, 'i:-1', `i:${-(2n ** 63n)}`, 1.5, 'f:-0', 'date:2024-05-01', 'time:12:34:56.789012',
      'datetime:2024-01-02T03:04:05.678901+00:00', 'datetime:1969-12-31T23:59:59.999999+00:00',
      'zé', 'b:f79c3e09677c4bbda4793f349cb785e7', 'b:01', 'decimal:-123.45',
      'decimal:9999999999999999999999999999.9999999999', 'b:01020304',
    ])
    expect(Object.values(existing.data_file.partition)).toEqual(TYPES.map(() => null))
  })

  test('manifest list: values and a field id on every field', async () => {
    const { listBytes, manifestPath, manifest } = await writeFiles()
    const file = await fastavroRead(listBytes)
    expect(missingIds(file.writer_schema)).toEqual([])
    expect(file.metadata).toMatchObject({ 'snapshot-id': String(SNAPSHOT), 'parent-snapshot-id': String(OLD_SNAPSHOT), 'sequence-number': '7', 'format-version': '2' })
    const [record] = file.records.map(normalize) as [Loose]
    expect(record).toMatchObject({
      manifest_path: manifestPath,
      manifest_length: `i:${manifest['manifest-length']}`,
      content: 'i:0',
      sequence_number: 'i:7',
      min_sequence_number: 'i:2',
      added_snapshot_id: `i:${SNAPSHOT}`,
      added_rows_count: `i:${2 ** 53 - 1}`,
      key_metadata: null,
    })
    expect(record.partitions).toHaveLength(TYPES.length)
    expect(record.partitions[1]).toEqual({ contains_null: true, contains_nan: false, lower_bound: 'b:ffffffff', upper_bound: 'b:ffffffff' })
  })
})

// PyIceberg's own manifest reader: inheritance of sequence numbers, typed partition values.
const PYICEBERG_READ = `
import json, sys
from pyiceberg.io.pyarrow import PyArrowFileIO
from pyiceberg.manifest import read_manifest_list
def j(v):
    if isinstance(v, bool) or v is None: return v
    if isinstance(v, int): return "i:%d" % v
    if isinstance(v, bytes): return "b:" + v.hex()
    if isinstance(v, float): return v
    return str(v)
io = PyArrowFileIO()
out = []
for m in read_manifest_list(io.new_input(sys.argv[1])):
    files = []
    for e in m.fetch_manifest_entry(io, discard_deleted=False):
        d = e.data_file
        files.append({"status": int(e.status), "snapshot_id": j(e.snapshot_id), "sequence_number": j(e.sequence_number),
                      "file_sequence_number": j(e.file_sequence_number), "path": d.file_path, "format": str(d.file_format.name),
                      "partition": [j(d.partition[i]) for i in range(len(d.partition))], "record_count": j(d.record_count),
                      "column_sizes": {str(k): j(v) for k, v in (d.column_sizes or {}).items()}})
    out.append({"path": m.manifest_path, "added_snapshot_id": j(m.added_snapshot_id), "sequence_number": j(m.sequence_number),
                "partitions": [[p.contains_null, p.contains_nan, j(p.lower_bound), j(p.upper_bound)] for p in (m.partitions or [])],
                "entries": files})
print(json.dumps(out))
`

describe('PyIceberg reads our files', () => {
  test('manifest list and manifest, with inherited sequence numbers and typed partitions', async () => {
    const { listPath, manifestPath } = await writeFiles()
    const proc = Bun.spawn([interopPython(), '-c', PYICEBERG_READ, listPath], { stdout: 'pipe', stderr: 'pipe' })
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    if (code !== 0) throw new Error(`pyiceberg failed (exit ${code}): ${err}`)
    const [manifest] = JSON.parse(out)
    expect(manifest).toMatchObject({ path: manifestPath, added_snapshot_id: `i:${SNAPSHOT}`, sequence_number: 'i:7' })
    expect(manifest.partitions[0]).toEqual([true, false, 'b:01', 'b:01'])
    const [added, existing] = manifest.entries
    // ADDED with null sequence numbers inherits the manifest's (7); EXISTING keeps its own.
    expect(added).toMatchObject({ status: 1, snapshot_id: `i:${SNAPSHOT}`, sequence_number: 'i:7', file_sequence_number: 'i:7', format: 'PARQUET', record_count: `i:${2 ** 53 - 1}` })
    expect(added.column_sizes).toEqual({ '1': 'i:100', '2': 'i:200' })
    expect(added.partition).toEqual([
      true, 'i:-1', `i:${-(2n ** 63n)}`, 1.5, -0, 'i:19844', 'i:45296789012', 'i:1704164645678901', 'i:-1',
      'zé', UUID, 'b:01', '-123.45', '9999999999999999999999999999.9999999999', 'b:01020304',
    ])
    expect(existing).toMatchObject({ status: 0, snapshot_id: `i:${OLD_SNAPSHOT}`, sequence_number: 'i:2', file_sequence_number: 'i:3' })
    expect(existing.partition).toEqual(TYPES.map(() => null))
  })
})
