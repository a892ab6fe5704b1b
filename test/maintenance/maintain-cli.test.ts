/** `bun run maintain` end to end on the embedded catalog (a config file like the worker's): each operation prints and does what it says. */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { createTable } from '../../src/table/table.ts'
import { rows, schema, spec } from './table-fixture.ts'

const dir = mkdtempSync(join(tmpdir(), 'maintain-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const configPath = join(dir, 'config.json')
writeFileSync(configPath, JSON.stringify({ dataDir: dir, http: { enabled: false }, tables: [{ name: 'ns.t', schema: 'id long' }] }))

async function maintain(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(['bun', join(import.meta.dir, '../../scripts/maintain.ts'), ...args, '--config', configPath], { stdout: 'pipe', stderr: 'pipe', env: { PATH: process.env.PATH ?? '' } })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, stdout, stderr }
}

describe('bun run maintain', () => {
  test('compact, manifests, expire, orphans: dry runs change nothing, real runs report what they did', async () => {
    const warehouse = join(dir, 'warehouse')
    const io = createFileIO([createFsStore(warehouse)])
    const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: `file://${warehouse}`, io })
    const table = await createTable({ catalog, io }, { namespace: ['ns'], name: 't' }, { schema, partitionSpec: spec, createNamespace: true })
    for (let c = 0; c < 6; c++) await table.append(rows(c * 9, 9))
    catalog.close()

    const merge = await maintain('ns.t', 'manifests', '--min-count', '2')
    expect(merge.stdout).toContain('manifests ns.t: merged 6 manifests into 1 (6 → 1, 18 entries)')

    const dry = await maintain('ns.t', 'compact', '--dry-run')
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('compact ns.t: would rewrite 18 files into 3 in 3 partitions')
    expect(dry.stdout).toContain('sensor_id=s0: 6 → 1 files')

    const compact = JSON.parse((await maintain('ns.t', 'compact', '--json')).stdout) as { snapshotId: string; tableFilesAfter: number }
    expect(compact.tableFilesAfter).toBe(3)
    expect(compact.snapshotId).toMatch(/^\d+$/)

    // After compaction: one manifest of the new files, one of DELETED entries only, which goes.
    const manifests = await maintain('ns.t', 'manifests', '--min-count', '2')
    expect(manifests.stdout).toContain('manifests ns.t: merged 0 manifests into 0, dropped 1 without live files (2 → 1, 0 entries)')

    const expireDry = await maintain('ns.t', 'expire', '--retain-last', '1', '--older-than', '0', '--grace', '0', '--dry-run')
    expect(expireDry.stdout).toContain('would expire 8 snapshots, 1 kept')
    const expire = await maintain('ns.t', 'expire', '--retain-last', '1', '--older-than', '0', '--grace', '0')
    expect(expire.stdout).toContain('expired 8 snapshots, 1 kept')
    expect(expire.stdout).toMatch(/deleted 18 data files, \d+ manifests, 8 manifest lists/)

    const stray = join(warehouse, 'ns/t/data/stray.parquet')
    writeFileSync(stray, 'not referenced')
    const orphansDry = await maintain('ns.t', 'orphans', '--older-than', '0')
    expect(orphansDry.stdout).toContain('1 unreferenced files older than 0s')
    expect(orphansDry.stdout).toContain('dry run, nothing deleted')
    expect(await Bun.file(stray).exists()).toBe(true)
    const orphans = await maintain('ns.t', 'orphans', '--older-than', '0', '--delete')
    expect(orphans.stdout).toContain('deleted 1')
    expect(await Bun.file(stray).exists()).toBe(false)
  }, 30_000) // eight CLI processes: ~2 s alone, more on a loaded 2-core box

  test('usage errors exit 2 with what to type instead', async () => {
    const wrongOrder = await maintain('compact', 'ns.t')
    expect(wrongOrder.code).toBe(2)
    expect(wrongOrder.stderr).toContain('name the table first')
    const conflict = await maintain('ns.t', 'orphans', '--delete', '--dry-run')
    expect(conflict.code).toBe(2)
    const badAge = await maintain('ns.t', 'expire', '--older-than', 'yesterday')
    expect(badAge.stderr).toContain('--older-than takes an age like 0, 90s')
  })
})
