/** One commit attempt on the embedded catalog: file names from the snapshot id and attempt, a lost answer, fenced offsets. */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BatchBuffer } from '../../src/batcher/batch-buffer.ts'
import { attemptCommit, type CommitterOptions } from '../../src/batcher/batch-committer.ts'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { currentSnapshot } from '../../src/iceberg/table-metadata.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { createTable } from '../../src/table/table.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const schema = parseSchemaDsl('id long not null')
const id = { namespace: ['ns'], name: 't' }

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'batch-committer-'))
  dirs.push(dir)
  const io = createFileIO([createFsStore(join(dir, 'wh'))])
  const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: pathToFileURL(join(dir, 'wh')).href, io })
  await createTable({ catalog, io }, id, { schema, createNamespace: true })
  const options: CommitterOptions = { catalog, io, walId: 'w', log: () => {} }
  const dataFilePaths = async () => {
    const table = await catalog.loadTable(id)
    const paths: string[] = []
    for (const manifest of await decodeManifestList(await io.read(currentSnapshot(table.metadata)!['manifest-list']))) {
      for (const entry of (await decodeManifest(await io.read(manifest['manifest-path']))).entries) paths.push(entry['data-file']['file-path'])
    }
    return paths
  }
  return { dir, catalog, io, options, dataFilePaths, close: () => catalog.close() }
}

function kafkaBatch(offsets: number[]) {
  const buffer = new BatchBuffer(schema, 100)
  for (const offset of offsets) buffer.add([{ id: BigInt(offset) }], { kafka: { topic: 'events', partition: 0, offset: BigInt(offset) } }, 0)
  buffer.roll('interval')
  return buffer.head()!
}

describe('attemptCommit', () => {
  test('commits the batch as its snapshot, files named <snapshot id>-<attempt>; the same batch again is found, not committed twice', async () => {
    const s = await setup()
    const batch = kafkaBatch([0, 1, 2])
    const outcome = await attemptCommit(s.options, await s.catalog.loadTable(id), batch)
    expect(outcome.kind).toBe('committed')
    if (outcome.kind !== 'committed') return
    expect(currentSnapshot(outcome.table.metadata)!['snapshot-id']).toBe(batch.snapshotId)
    expect(currentSnapshot(outcome.table.metadata)!.summary['ingest.kafka.events']).toBe('{"0":3}')
    const paths = await s.dataFilePaths()
    expect(paths).toHaveLength(1)
    expect(paths[0]!).toContain(`/${batch.snapshotId}-0`)
    // As after a commit whose answer was lost: the retry sees its own snapshot and writes nothing.
    const again = await attemptCommit(s.options, await s.catalog.loadTable(id), batch)
    expect(again).toMatchObject({ kind: 'committed', files: 0 })
    expect(await s.dataFilePaths()).toEqual(paths)
    s.close()
  })

  test('offsets another writer committed meanwhile are trimmed; a batch wholly committed elsewhere leaves nothing to do', async () => {
    const s = await setup()
    expect((await attemptCommit(s.options, await s.catalog.loadTable(id), kafkaBatch([0, 1, 2]))).kind).toBe('committed')
    const overlapping = kafkaBatch([1, 2, 3, 4])
    const outcome = await attemptCommit(s.options, await s.catalog.loadTable(id), overlapping)
    expect(outcome.kind).toBe('committed')
    expect(overlapping.rows.map((r) => r.id)).toEqual([3n, 4n])
    expect(overlapping.markers.kafka.get('events')!.get(0)).toEqual({ first: 3n, next: 5n })
    expect((await attemptCommit(s.options, await s.catalog.loadTable(id), kafkaBatch([2, 3]))).kind).toBe('nothing-left')
    s.close()
  })

  test('a batch built on stale metadata whose offsets the table passed meanwhile is fenced: again, after a reload, with no file left behind', async () => {
    const s = await setup()
    const stale = await s.catalog.loadTable(id)
    expect((await attemptCommit(s.options, stale, kafkaBatch([0, 1, 2]))).kind).toBe('committed')
    const batch = kafkaBatch([1, 2, 3])
    // `stale` predates the commit above: trimming sees nothing, the commit loop then finds the fence.
    const outcome = await attemptCommit(s.options, stale, batch)
    expect(outcome.kind).toBe('again')
    expect(batch.attempts).toBe(1)
    const retried = await attemptCommit(s.options, await s.catalog.loadTable(id), batch)
    expect(retried.kind).toBe('committed')
    expect(batch.rows.map((r) => r.id)).toEqual([3n])
    const paths = await s.dataFilePaths()
    expect(paths.some((path) => path.includes(`/${batch.snapshotId}-1`))).toBe(true)
    // Data files of the batch on disk: only the committed attempt's (the fenced attempt 0 deleted its own).
    const onDisk = (readdirSync(join(s.dir, 'wh'), { recursive: true }) as string[]).map((name) => name.split('/').pop()!).filter((name) => name.startsWith(`${batch.snapshotId}-`))
    expect(onDisk.map((name) => name.split('.')[0])).toEqual([`${batch.snapshotId}-1-00000`])
    s.close()
  })
})
