/**
 * One upsert batch against the index: last change per key wins, replaced and deleted keys' positions; and where the
 * writer put each new row, checked by reading the Parquet files it wrote back (a wrong position deletes another row).
 */
import { describe, expect, test } from 'bun:test'
import { parsePartitionDsl, parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { newTableMetadata, currentSchema, defaultSpec } from '../../src/iceberg/table-metadata.ts'
import type { Row } from '../../src/iceberg/types.ts'
import { readParquetColumns } from '../../src/parquet/read.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createMemoryStore } from '../../src/storage/memory.ts'
import { writeDataFiles } from '../../src/table/write-data-files.ts'
import { markedChanges, resolveBatch, rowPositions } from '../../src/upsert/batch-resolution.ts'
import { markDelete } from '../../src/upsert/change.ts'
import { KeyIndex } from '../../src/upsert/key-index.ts'
import { upsertKey } from '../../src/upsert/upsert-key.ts'

const schema = parseSchemaDsl('id long not null, region string not null, v int')
const key = upsertKey(schema, ['id'])

describe('resolveBatch', () => {
  test('the last change per key wins; keys live in files have their positions deleted, new or not', () => {
    const index = new KeyIndex()
    index.addFile('f1')
    index.set('1', 'f1', 0)
    index.set('2', 'f1', 5)
    index.set('3', 'f1', 2)
    const rows: Row[] = [
      { id: 1n, region: 'eu', v: 1 },
      { id: 2n, region: 'eu', v: 1 },
      markDelete({ id: 1n }),
      { id: 4n, region: 'us', v: 1 },
      { id: 2n, region: 'eu', v: 2 },
      markDelete({ id: 3n }),
      markDelete({ id: 9n }),
      { id: 9n, region: 'us', v: 9 },
      markDelete({ id: 4n }),
    ]
    const resolution = resolveBatch(key, markedChanges(rows), index)
    expect(resolution.keys).toEqual(['2', '9'])
    expect(resolution.rows).toEqual([{ id: 2n, region: 'eu', v: 2 }, { id: 9n, region: 'us', v: 9 }])
    expect(resolution.deletedKeys.sort()).toEqual(['1', '3', '4'])
    // Key 4 and 9 were never in a file: nothing of theirs to delete.
    expect(resolution.deletes).toEqual(new Map([['f1', [0, 2, 5]]]))
    expect(resolution.changes).toBe(9)
  })
})

describe('rowPositions', () => {
  test('partitioned and split into several files: each row found where the writer put it', async () => {
    const spec = parsePartitionDsl('region', schema)
    const metadata = newTableMetadata(
      { name: 't', schema, 'partition-spec': spec, properties: {} },
      { location: 'memory://wh/t', tableUuid: crypto.randomUUID(), nowMs: 0 },
    )
    const io = createFileIO([createMemoryStore('memory://')])
    const rows: Row[] = Array.from({ length: 3000 }, (_, i) => ({ id: BigInt(i), region: ['eu', 'us', 'ap'][(i * 7) % 3]!, v: i }))
    // A tiny target: several files per partition.
    const dataFiles = await writeDataFiles({ io, metadata, rows, fileStem: 'b', targetFileBytes: 4_000 })
    expect(dataFiles.length).toBeGreaterThan(3)
    const positions = rowPositions(currentSchema(metadata), defaultSpec(metadata), rows, dataFiles)
    const idsByFile = new Map<string, bigint[]>()
    for (const file of dataFiles) {
      const read = await readParquetColumns(await io.read(file['file-path']), [currentSchema(metadata).fields[0]!])
      idsByFile.set(file['file-path'], read.columns[0] as bigint[])
    }
    rows.forEach((row, i) => expect(idsByFile.get(positions[i]!.file)![positions[i]!.position]).toBe(row.id as bigint))
  })

  test('files that do not add up to the rows are refused', () => {
    const spec = { 'spec-id': 0, fields: [] }
    const file = { content: 0 as const, 'file-path': 'f', 'file-format': 'PARQUET' as const, partition: [], 'record-count': 1, 'file-size-in-bytes': 1 }
    expect(() => rowPositions(schema, spec, [{ id: 1n }, { id: 2n }], [file])).toThrow('row 1 of the batch (partition []) is in none of the 1 files written')
  })
})
