/**
 * Metadata another engine wrote (refs beyond main, statistics, partition statistics, sort orders, an
 * evolved spec, extra properties, the metadata log) survives our commits through the embedded catalog,
 * which rewrites the whole metadata file. The foreign version is written as raw JSON, the way Iceberg
 * Java's JdbcCatalog would, so nothing of ours models it first.
 */
import { Database } from 'bun:sqlite'
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_ROLL_TRIGGERS } from '../../../src/batcher/policy.ts'
import { TableBatcher } from '../../../src/batcher/table-batcher.ts'
import { MARKERS_PROPERTY } from '../../../src/batcher/table-markers.ts'
import { createSqliteCatalog } from '../../../src/catalog/embedded/sqlite-catalog.ts'
import { decodeManifestList } from '../../../src/iceberg/manifest-list.ts'
import { parseJson, stringifyJson } from '../../../src/iceberg/serde/json.ts'
import { parseSchemaDsl } from '../../../src/iceberg/schema-dsl.ts'
import { createFileIO } from '../../../src/storage/file-io.ts'
import { createFsStore } from '../../../src/storage/fs.ts'
import { createTable } from '../../../src/table/table.ts'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

type Json = Record<string, unknown>

describe('embedded catalog commits on metadata another engine wrote', () => {
  test('every field it wrote is kept; an append changes only what an append changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'foreign-metadata-'))
    dirs.push(dir)
    const io = createFileIO([createFsStore(join(dir, 'wh'))])
    const dbPath = join(dir, 'catalog.db')
    const catalog = createSqliteCatalog({ path: dbPath, warehouse: `file://${dir}/wh`, io })
    const id = { namespace: ['ns'], name: 't' }
    await createTable({ catalog, io }, id, { schema: parseSchemaDsl('id long not null, name string'), createNamespace: true })
    const batcher = async () => new TableBatcher({ catalog, io, table: await catalog.loadTable(id), triggers: DEFAULT_ROLL_TRIGGERS, walId: 'w' })
    const first = await batcher()
    first.add([{ id: 1n, name: 'a' }], { walSeq: 1n })
    await first.flush()

    // Another engine's commit, as raw JSON: what Java's TableMetadataParser writes for these features.
    const ours = await catalog.loadTable(id)
    const raw = parseJson(new TextDecoder().decode(await io.read(ours.metadataLocation))) as Json
    const snapshotId = ours.metadata['current-snapshot-id']!
    const foreign: Json = {
      ...raw,
      'last-updated-ms': (raw['last-updated-ms'] as number) + 1,
      'last-partition-id': 1000,
      'default-spec-id': 1,
      'partition-specs': [...(raw['partition-specs'] as unknown[]), { 'spec-id': 1, fields: [{ name: 'id_bucket', transform: 'bucket[4]', 'source-id': 1, 'field-id': 1000 }] }],
      'default-sort-order-id': 1,
      'sort-orders': [...(raw['sort-orders'] as unknown[]), { 'order-id': 1, fields: [{ transform: 'identity', 'source-id': 1, direction: 'desc', 'null-order': 'nulls-last' }] }],
      properties: { ...(raw.properties as Json), 'engine.owner': 'spark', 'write.metadata.delete-after-commit.enabled': 'true', 'commit.retry.num-retries': '7' },
      refs: {
        ...(raw.refs as Json),
        audit: { 'snapshot-id': snapshotId, type: 'branch', 'min-snapshots-to-keep': 3, 'max-snapshot-age-ms': 86_400_000 },
        'release-1': { 'snapshot-id': snapshotId, type: 'tag', 'max-ref-age-ms': 604_800_000 },
      },
      statistics: [
        {
          'snapshot-id': snapshotId,
          'statistics-path': `file:${dir}/wh/ns/t/metadata/stats-${snapshotId}.puffin`,
          'file-size-in-bytes': 413,
          'file-footer-size-in-bytes': 42,
          'blob-metadata': [{ type: 'apache-datasketches-theta-v1', 'snapshot-id': snapshotId, 'sequence-number': 1, fields: [1], properties: { ndv: '1' } }],
        },
      ],
      'partition-statistics': [{ 'snapshot-id': snapshotId, 'statistics-path': `file:${dir}/wh/ns/t/metadata/partition-stats-${snapshotId}.parquet`, 'file-size-in-bytes': 43 }],
      'metadata-log': [...(raw['metadata-log'] as unknown[]), { 'timestamp-ms': raw['last-updated-ms'], 'metadata-file': ours.metadataLocation }],
    }
    // Java spells local locations file:/ (Hadoop Path); the pointer in the catalog too.
    const foreignLocation = `file:${dir}/wh/ns/t/metadata/00003-${crypto.randomUUID()}.metadata.json`
    await io.write(foreignLocation, new TextEncoder().encode(stringifyJson(foreign, 2)))
    const db = new Database(dbPath)
    db.query('UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? WHERE table_name = ?').run(foreignLocation, ours.metadataLocation, 't')
    db.close()

    const second = await batcher()
    second.add([{ id: 2n, name: 'b' }], { walSeq: 2n })
    await second.flush()
    const after = await catalog.loadTable(id)
    const written = parseJson(new TextDecoder().decode(await io.read(after.metadataLocation))) as Json

    // Kept exactly as the other engine wrote them:
    for (const key of ['table-uuid', 'location', 'schemas', 'current-schema-id', 'partition-specs', 'default-spec-id', 'last-partition-id', 'sort-orders', 'default-sort-order-id', 'statistics', 'partition-statistics', 'last-column-id']) {
      expect({ key, value: written[key] }).toEqual({ key, value: foreign[key] })
    }
    const { main: _main, ...foreignRefs } = foreign.refs as Json
    const { main, ...writtenRefs } = written.refs as Json
    expect(writtenRefs).toEqual(foreignRefs)
    expect(main).toEqual({ 'snapshot-id': written['current-snapshot-id'], type: 'branch' })
    const { [MARKERS_PROPERTY]: markers, ...properties } = written.properties as Record<string, string>
    const { [MARKERS_PROPERTY]: _old, ...foreignProperties } = foreign.properties as Record<string, string>
    expect(properties).toEqual(foreignProperties)
    expect(JSON.parse(markers!).markers).toEqual({ 'ingest.wal.w.seq': '2' })
    // What an append changes: one snapshot more, one log entry more each, the foreign file last in the metadata log.
    expect(written.snapshots as unknown[]).toHaveLength(2)
    expect((written.snapshots as unknown[]).slice(0, 1)).toEqual(foreign.snapshots as unknown[])
    expect(written['snapshot-log'] as unknown[]).toHaveLength(2)
    expect(written['metadata-log']).toEqual([...(foreign['metadata-log'] as unknown[]), { 'timestamp-ms': foreign['last-updated-ms'], 'metadata-file': foreignLocation }])
    expect(written['last-sequence-number']).toBe((foreign['last-sequence-number'] as number) + 1)
    // Our new files follow the default spec the other engine set; their names follow the table location's spelling.
    expect(after.metadataLocation.startsWith(`${foreign.location as string}/metadata/00004-`)).toBe(true)
    const manifests = await decodeManifestList(await io.read(after.metadata.snapshots.at(-1)!['manifest-list']))
    expect(manifests.map((m) => m['partition-spec-id'])).toEqual([1, 0])
    catalog.close()
  })
})
