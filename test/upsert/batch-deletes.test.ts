/** Delete marks through the columnar batch buffer: kept as row indexes when rows become columns, and renumbered when a trim drops rows. */
import { describe, expect, test } from 'bun:test'
import { BatchBuffer } from '../../src/batcher/batch-buffer.ts'
import { trimBatch, type CommitterOptions } from '../../src/batcher/batch-committer.ts'
import type { LoadedTable } from '../../src/catalog/catalog.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import type { TableMetadata } from '../../src/iceberg/types.ts'
import { markedChanges, resolveBatch } from '../../src/upsert/batch-resolution.ts'
import { markDelete } from '../../src/upsert/change.ts'
import { KeyIndex } from '../../src/upsert/key-index.ts'
import { upsertKey } from '../../src/upsert/upsert-key.ts'

const schema = parseSchemaDsl('id long not null, name string')

describe('delete marks in the batch buffer', () => {
  test('a marked row is a delete by its index; the rows themselves are only values', () => {
    const buffer = new BatchBuffer(schema, 100)
    const rows = [{ id: 1n, name: 'a' }, markDelete({ id: 2n }), { id: 3n, name: 'c' }, markDelete({ id: 1n })]
    rows.forEach((row, offset) => buffer.add([row], { kafka: { topic: 't', partition: 0, offset: BigInt(offset) } }, 0))
    buffer.roll('interval')
    const batch = buffer.head()!
    expect([...batch.deletes!]).toEqual([1, 3])
    // The committer's view resolves them as the rows did before they became columns.
    const resolution = resolveBatch(upsertKey(schema, ['id']), { length: batch.columns.length, row: (i) => batch.columns.row(i), deleted: (i) => batch.deletes!.has(i) }, new KeyIndex())
    expect(resolution).toEqual(resolveBatch(upsertKey(schema, ['id']), markedChanges(rows), new KeyIndex()))
    expect([resolution.keys, resolution.deletedKeys.sort()]).toEqual([['3'], ['1', '2']])
  })

  test('offsets another writer committed are trimmed: the marks follow their rows', () => {
    const buffer = new BatchBuffer(schema, 100)
    const rows = [{ id: 1n, name: 'a' }, markDelete({ id: 2n }), { id: 3n, name: 'c' }, markDelete({ id: 4n })]
    rows.forEach((row, offset) => buffer.add([row], { kafka: { topic: 't', partition: 0, offset: BigInt(offset) } }, 0))
    buffer.roll('interval')
    const batch = buffer.head()!
    const metadata = { snapshots: [], properties: {}, 'current-snapshot-id': 7n } as unknown as TableMetadata
    metadata.snapshots.push({ 'snapshot-id': 7n, 'sequence-number': 1, 'timestamp-ms': 0, 'manifest-list': 'x', summary: { operation: 'append', 'ingest.kafka.t': '{"0":2}' } })
    trimBatch({ log: () => {} } as unknown as CommitterOptions, { metadata, identifier: { namespace: ['n'], name: 't' } } as unknown as LoadedTable, batch)
    expect(batch.columns.length).toBe(2)
    expect(batch.columns.row(0)).toEqual({ id: 3n, name: 'c' })
    expect([...batch.deletes!]).toEqual([1])
  })
})
