/** `produce --http` against a real ingest worker (embedded catalog, local warehouse, in this process). */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../../src/config/config.ts'
import { runQuery } from '../../src/adapter/bun/run-query.ts'
import { startWorker } from '../../src/worker/ingest-worker.ts'
import { openCatalog } from '../../scripts/cli/catalog.ts'

const ROOT = join(import.meta.dir, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'produce-http-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('produce --http posts NDJSON batches; the worker accepts the valid readings and dead-letters the rest', async () => {
  const config = parseConfig({
    dataDir: dir,
    http: { port: 0 },
    tables: [{ name: 'learning.sensor_readings', schema: 'sensor_id string, timestamp timestamp, reading double', partitionBy: 'sensor_id', roll: { intervalMs: 60_000 } }],
  })
  const worker = await startWorker(config, () => {})
  let stopped = false
  try {
    const proc = Bun.spawn(['bun', 'run', join(ROOT, 'scripts', 'produce.ts'), '--http', worker.url!, '--count', '1200', '--bad-ratio', '0.1', '--batch', '250', '--seed', '3'], {
      cwd: ROOT,
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.any(String) })
    const [, valid, malformed] = /valid (\d+), malformed (\d+)/.exec(stdout)!.map(Number)
    expect(valid! + malformed!).toBe(1200)
    expect(stdout).toContain(`to ${worker.url}/v1/tables/learning.sensor_readings/records`)
    expect(stdout).toContain(`the worker accepted ${valid} and rejected ${malformed}`)
    await worker.stop() // commits what the worker holds
    stopped = true
    const { catalog, io, close } = openCatalog(config)
    try {
      const out = await runQuery('SELECT (SELECT count(*) FROM learning.sensor_readings), (SELECT count(*) FROM learning.sensor_readings_dead_letters)', { catalog, io })
      expect(out.result!.rows).toEqual([[BigInt(valid!), BigInt(malformed!)]])
    } finally {
      close()
    }
  } finally {
    if (!stopped) await worker.stop()
  }
}, 60_000)
