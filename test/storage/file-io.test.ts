/** FileIO: locations as every engine spells them reach the same object; unknown ones name the location and the roots. */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { decodeManifest } from '../../src/iceberg/manifest.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { planScan } from '../../src/query/plan.ts'
import { fetchDataFiles } from '../../src/adapter/bun/fetch-files.ts'
import { createFileIO, normalizeLocation } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { createMemoryStore } from '../../src/storage/memory.ts'
import { createTable } from '../../src/table/table.ts'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'file-io-'))
  dirs.push(dir)
  return dir
}
const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array) => new TextDecoder().decode(data)

describe('normalizeLocation', () => {
  test('local files: file:/p (Hadoop Path), file://localhost/p and /p are file:///p', () => {
    expect(normalizeLocation('file:/srv/wh/t/data/a.parquet')).toBe('file:///srv/wh/t/data/a.parquet')
    expect(normalizeLocation('file:///srv/wh/t/data/a.parquet')).toBe('file:///srv/wh/t/data/a.parquet')
    expect(normalizeLocation('file://localhost/srv/wh/a')).toBe('file:///srv/wh/a')
    expect(normalizeLocation('/srv/wh/a')).toBe('file:///srv/wh/a')
  })

  test('S3: s3a:// and s3n:// are s3://', () => {
    expect(normalizeLocation('s3a://bucket/wh/a.parquet')).toBe('s3://bucket/wh/a.parquet')
    expect(normalizeLocation('s3n://bucket/wh/a.parquet')).toBe('s3://bucket/wh/a.parquet')
    expect(normalizeLocation('s3://bucket/wh/a.parquet')).toBe('s3://bucket/wh/a.parquet')
  })

  test('other spellings are left alone: a remote file host, other schemes, relative paths', () => {
    for (const location of ['file://nas/srv/a', 'gs://bucket/a', 'abfss://c@acct.dfs.core.windows.net/a', 'memory://wh/a', 'relative/a', 's3x://b/a']) {
      expect(normalizeLocation(location)).toBe(location)
    }
  })
})

describe('createFileIO', () => {
  test('every spelling of a local file reaches the same object of the fs store', async () => {
    const dir = tempDir()
    const io = createFileIO([createFsStore(dir)])
    await io.write(`file:${dir}/t/metadata/00001.metadata.json`, bytes('one'))
    for (const spelling of [`file://${dir}`, `file:${dir}`, dir, `file://localhost${dir}`]) {
      expect(text(await io.read(`${spelling}/t/metadata/00001.metadata.json`))).toBe('one')
      expect((await io.head(`${spelling}/t/metadata/00001.metadata.json`))?.size).toBe(3)
    }
    // list yields the store's spelling whatever the prefix's.
    const listed = []
    for await (const object of io.list(`file:${dir}/t/`)) listed.push(object.location)
    expect(listed).toEqual([`file://${dir}/t/metadata/00001.metadata.json`])
    await io.delete(`${dir}/t/metadata/00001.metadata.json`)
    expect(await io.head(`file://${dir}/t/metadata/00001.metadata.json`)).toBeUndefined()
  })

  test('s3, s3a and s3n name the same bucket and key; storeFor sees the normalized location', async () => {
    const asked: string[] = []
    const store = createMemoryStore('s3://bucket')
    const io = createFileIO([], (location) => {
      asked.push(location)
      return location.startsWith('s3://bucket/') ? store : undefined
    })
    await io.write('s3a://bucket/wh/t/a.parquet', bytes('a'))
    expect(text(await io.read('s3://bucket/wh/t/a.parquet'))).toBe('a')
    expect(text(await io.read('s3n://bucket/wh/t/a.parquet'))).toBe('a')
    expect(asked).toEqual(['s3://bucket/wh/t/a.parquet'])
  })

  test('a location no store serves: the error names it, its normalized form and the roots', async () => {
    const io = createFileIO([createMemoryStore('s3://bucket'), createFsStore('/srv/wh')])
    const error = await io.read('gs://other/t/a.parquet').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'NO_STORE_FOR_LOCATION', context: { location: 'gs://other/t/a.parquet', roots: ['s3://bucket', 'file:///srv/wh'] } })
    expect((error as Error).message).toBe('no object store serves location gs://other/t/a.parquet (roots: s3://bucket, file:///srv/wh)')
    const local = await io.read('file:/elsewhere/a').catch((e: unknown) => e)
    expect((local as Error).message).toBe('no object store serves location file:/elsewhere/a (read as file:///elsewhere/a) (roots: s3://bucket, file:///srv/wh)')
    expect(((await io.read('s3a://nobucket/a').catch((e: unknown) => e)) as Error).message).toContain('roots: s3://bucket, file:///srv/wh')
  })
})

describe('a table located the way Iceberg Java writes it', () => {
  for (const [label, spell] of [
    ['file:/p', (dir: string) => `file:${dir}`],
    ['plain path', (dir: string) => dir],
  ] as const) {
    test(`${label}: appends write files in the table's spelling, and planning and the SQL fetch read them`, async () => {
      const dir = tempDir()
      const io = createFileIO([createFsStore(join(dir, 'warehouse'))])
      const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: `file://${dir}/warehouse`, io })
      try {
        const location = `${spell(join(dir, 'warehouse'))}/ns/t`
        const table = await createTable({ catalog, io }, { namespace: ['ns'], name: 't' }, {
          schema: parseSchemaDsl('id long not null, name string'),
          location,
          createNamespace: true,
        })
        await table.append([{ id: 1n, name: 'a' }])
        await table.append([{ id: 2n, name: 'b' }])
        const loaded = await catalog.loadTable(table.identifier)
        expect(loaded.metadataLocation.startsWith(`${location}/metadata/`)).toBe(true)
        const snapshot = loaded.metadata.snapshots.at(-1)!
        expect(snapshot['manifest-list'].startsWith(`${location}/metadata/`)).toBe(true)
        const manifests = await decodeManifestList(await io.read(snapshot['manifest-list']))
        expect(manifests.map((m) => m['manifest-path'].startsWith(`${location}/metadata/`))).toEqual([true, true])
        const entries = (await decodeManifest(await io.read(manifests[0]!['manifest-path']))).entries
        expect(entries[0]!['data-file']['file-path'].startsWith(`${location}/data/`)).toBe(true)

        const plan = await planScan({ io, metadata: loaded.metadata })
        expect(plan.totalRecords).toBe(2)
        const { paths } = await fetchDataFiles(io, plan.files.map((f) => f.dataFile['file-path']), join(dir, 'fetched'))
        // Local files are handed to DuckDB in place, as plain paths, whatever their spelling in the manifest.
        expect(paths.every((p) => p.startsWith(join(dir, 'warehouse', 'ns', 't', 'data')))).toBe(true)
      } finally {
        catalog.close()
      }
    })
  }
})
