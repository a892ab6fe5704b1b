/** Every command that names a table exits 3 with one message shape when the table does not exist; embedded catalog in a temp dir, no services. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../../src/config/config.ts'
import { startWorker, type RunningWorker } from '../../src/worker/ingest-worker.ts'
import { EXIT_MISSING_TABLE } from '../../scripts/cli/missing-table.ts'

const ROOT = join(import.meta.dir, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'missing-table-'))
const catalogName = `embedded:${join(dir, 'catalog.db')}`
let worker: RunningWorker | undefined
afterAll(async () => {
  await worker?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(['bun', 'run', join(ROOT, 'scripts', `${script}.ts`), ...args], {
    cwd: ROOT,
    env: { ...process.env, INGEST_DATA_DIR: dir, INGEST_CONFIG: '', ICEBERG_CATALOG_URI: '', S3_ENDPOINT: '', S3_ACCESS_KEY_ID: '', S3_REGION: '' },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, stdout, stderr }
}

const message = (command: string, table: string, hint = 'see `bun run tables list`') =>
  `${command}: table ${table} does not exist in catalog ${catalogName}; ${hint}`

beforeAll(async () => {
  // lab exists (with another table), so both "no such table" and "no such namespace" (nope.t) are covered.
  expect(await run('tables', ['create', 'lab.present', '--schema', 'id long'])).toMatchObject({ code: 0 })
}, 30_000)

describe('a table that does not exist', () => {
  const cases: [string, string[], string][] = [
    ['tables', ['describe', 'lab.missing'], message('tables describe', 'lab.missing')],
    ['tables', ['snapshots', 'nope.t'], message('tables snapshots', 'nope.t')],
    ['tables', ['drop', 'lab.missing'], message('tables drop', 'lab.missing', 'see `bun run tables list` (or pass --if-exists)')],
    ['maintain', ['lab.missing', 'compact'], message('maintain compact', 'lab.missing')],
    ['maintain', ['lab.missing', 'expire', '--dry-run'], message('maintain expire', 'lab.missing')],
    ['maintain', ['nope.t', 'orphans'], message('maintain orphans', 'nope.t')],
    ['maintain', ['lab.missing', 'manifests'], message('maintain manifests', 'lab.missing')],
    ['query', ['SELECT count(*) FROM lab.missing'], message('query', 'lab.missing')],
    ['query', ['SELECT * FROM lab.present p JOIN nope.t USING (id)', '--explain'], message('query', 'nope.t')],
  ]
  for (const [script, args, expected] of cases) {
    test.concurrent(`${script} ${args.join(' ')} exits ${EXIT_MISSING_TABLE}`, async () => {
      const { code, stderr } = await run(script, args)
      expect({ code, stderr: stderr.trim() }).toEqual({ code: EXIT_MISSING_TABLE, stderr: expected })
    }, 30_000)
  }

  test('produce --http to a worker without the table exits 3 naming the table and the worker', async () => {
    const config = parseConfig({ dataDir: join(dir, 'worker'), http: { port: 0 }, tables: [{ name: 'lab.present', schema: 'id long' }] })
    worker = await startWorker(config, () => {})
    const origin = new URL(worker.url!).origin
    const expected = `produce: table lab.missing does not exist in the ingest worker at ${origin}; the worker takes the tables its config lists (and only those)`
    for (const args of [['--table', 'lab.missing'], []]) {
      const url = args.length ? worker.url! : `${origin}/v1/tables/lab/missing/records`
      const { code, stderr } = await run('produce', ['--http', url, ...args, '--count', '3', '--quiet'])
      expect({ code, stderr: stderr.trim() }).toEqual({ code: EXIT_MISSING_TABLE, stderr: expected })
    }
  }, 30_000)

  test('drop --if-exists still succeeds, and a missing namespace for `tables list` stays a usage error (2)', async () => {
    expect(await run('tables', ['drop', 'lab.missing', '--if-exists'])).toMatchObject({ code: 0, stdout: 'lab.missing does not exist; nothing to drop\n' })
    expect(await run('tables', ['list', 'nope'])).toMatchObject({ code: 2 })
  }, 30_000)

  for (const script of ['tables', 'query', 'maintain', 'produce']) {
    test.concurrent(`${script} --help names exit status ${EXIT_MISSING_TABLE}`, async () => {
      expect((await run(script, ['--help'])).stdout).toContain(`${EXIT_MISSING_TABLE} the named table does not exist`)
    }, 30_000)
  }
})
