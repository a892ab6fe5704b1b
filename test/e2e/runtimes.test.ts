/**
 * Issue 8 acceptance: one end-to-end body run on three runtimes against the real stack — the Bun worker, the Deno
 * worker (both WAL-backed) and the edge bundle on workerd (one commit per request). Each creates a table through the
 * REST catalog, POSTs 10k rows over HTTP with a restart halfway, and PyIceberg must read exactly those 10k ids.
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from 'bun:test'
import type { Subprocess } from 'bun'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import workerdBinary from 'workerd'
import { createRestCatalog } from '../../src/catalog/rest/client.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import type { TableIdentifier } from '../../src/iceberg/types.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createTable } from '../../src/table/table.ts'
import { buildEdge } from '../../scripts/build-edge.ts'
import { runPython } from './pyiceberg.ts'
import { stackEnv } from './stack-env.ts'

// Real services on a 2-core machine: far beyond bun's 5 s default (set per file: bun applies it to the calling file only).
setDefaultTimeout(120_000)

type Runtime = 'bun' | 'deno' | 'workerd'

interface Report {
  count: number
  rows: { id: number; sensor: string; reading: number; at: string }[]
  snapshots: { summary: Record<string, string> }[]
}

const ROOT = join(import.meta.dir, '..', '..')
const env = stackEnv()
const catalog = createRestCatalog({ uri: env.restUri })
const SCHEMA = 'id long not null, sensor string, reading double, at timestamptz'
const ROWS = 10_000
const BATCH = 1_000
const cleanups: (() => Promise<void> | void)[] = []

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

/** A free 127.0.0.1 port (bound and released at once). */
function freePort(): number {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
  const port = server.port!
  server.stop(true)
  return port
}

/** The Deno binary the `deno` devDependency installed (its platform package), run directly: no node needed. */
function denoBinary(): string {
  const platform = process.platform === 'linux' ? `linux-${process.arch}-glibc` : `${process.platform}-${process.arch}`
  return join(Bun.resolveSync(`@deno/${platform}/package.json`, ROOT), '..', 'deno')
}

interface Running {
  url: string
  /** SIGTERM, then the exit code (a WAL worker commits what it buffered first). */
  stop(): Promise<number>
  logs(): Promise<string>
}

/** Starts `argv` and resolves once `url/health` answers 200; fails fast (with its log) when it exits first. */
async function spawnServer(argv: string[], url: string, dir: string, extraEnv: Record<string, string> = {}): Promise<Running> {
  const name = `${Date.now()}`
  const out = join(dir, `${name}.out`)
  const err = join(dir, `${name}.err`)
  const child: Subprocess = Bun.spawn(argv, { cwd: ROOT, stdin: 'ignore', stdout: Bun.file(out), stderr: Bun.file(err), env: { ...process.env, ...extraEnv } })
  const logs = async () => `${await Bun.file(out).text().catch(() => '')}\n${await Bun.file(err).text().catch(() => '')}`.trim()
  const running: Running = {
    url,
    async stop() {
      child.kill('SIGTERM')
      return child.exited
    },
    logs,
  }
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${argv.join(' ')} exited with ${child.exitCode} during start-up:\n${(await logs()).slice(-3000)}`)
    try {
      if ((await fetch(`${url}/health`)).status === 200) return running
    } catch {
      // not listening yet
    }
    await Bun.sleep(50)
  }
  child.kill('SIGKILL')
  throw new Error(`${argv.join(' ')} did not answer /health within 30 s:\n${(await logs()).slice(-3000)}`)
}

/** Starts the ingest endpoint of `runtime` with `config` (the same JSON for all three). */
async function start(runtime: Runtime, config: Record<string, unknown>, dir: string, edgeDir: string): Promise<Running> {
  const port = freePort()
  const url = `http://127.0.0.1:${port}`
  const withPort = { ...config, http: { port } }
  const configFile = join(dir, 'config.json')
  writeFileSync(configFile, JSON.stringify(withPort))
  switch (runtime) {
    case 'bun':
      return spawnServer([process.execPath, 'run', 'workers/ingest.ts', '--config', configFile], url, dir)
    case 'deno':
      // The permissions docs/runtimes.md recommends: network, env, reading code and config, writing only the data dir.
      return spawnServer([denoBinary(), 'run', '--allow-net', '--allow-env', '--allow-read', `--allow-write=${dir}`, 'workers/ingest.deno.ts', '--config', configFile], url, dir)
    case 'workerd':
      return spawnServer([workerdBinary, 'serve', join(edgeDir, 'config.capnp'), '--socket-addr', `http=127.0.0.1:${port}`], url, dir, { INGEST_CONFIG: JSON.stringify(withPort) })
  }
}

/** The edge bundle and the committed workerd config, side by side in a temp dir (the config embeds dist/edge.js). */
async function edgeBundle(): Promise<{ dir: string; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-bundle-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const bundle = await buildEdge(join(dir, 'dist'))
  await Bun.write(join(dir, 'config.capnp'), Bun.file(join(ROOT, 'workers/edge/config.capnp')))
  return { dir, bytes: bundle.bytes }
}

function rowsFor(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => {
    const id = from + i
    return { id, sensor: `s${id % 7}`, reading: id / 8, at: 1_767_225_600_000 + id }
  })
}

/**
 * POSTs rows [from, from+count) in BATCH-sized requests, each with one malformed record appended (a dead letter).
 * With `idempotencyKey`, one request sent twice: the second must be answered from the first, not written again.
 */
async function post(url: string, table: string, from: number, count: number, idempotencyKey?: string): Promise<number> {
  let requests = 0
  for (let at = from; at < from + count; at += BATCH) {
    const size = Math.min(BATCH, from + count - at)
    const body = JSON.stringify([...rowsFor(at, size), { id: 'not-a-number', sensor: 'bad' }])
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) }
    const response = await fetch(`${url}/v1/tables/${table}/records`, { method: 'POST', headers, body })
    const result = (await response.json()) as { accepted: number; rejected: unknown[] }
    expect(response.status).toBe(200)
    expect(result).toEqual({ accepted: size, rejected: [{ index: size, reason: expect.stringContaining('"id"') }] })
    if (idempotencyKey) {
      const again = await fetch(`${url}/v1/tables/${table}/records`, { method: 'POST', headers, body })
      expect(again.status).toBe(200)
      expect(again.headers.get('idempotent-replayed')).toBe('true')
      expect(await again.json()).toEqual(result)
    }
    requests++
  }
  return requests
}

async function report(table: string, rows = false): Promise<Report> {
  return (await runPython('table_report.py', [JSON.stringify({ table, catalog: { type: 'rest' }, rows })])) as Report
}

async function dropNamespace(namespace: string[]): Promise<void> {
  for (const table of await catalog.listTables(namespace)) await catalog.dropTable(table, { purge: true })
  await catalog.dropNamespace(namespace)
}

describe('the same ingest endpoint on Bun, Deno and workerd', () => {
  let edge: Promise<{ dir: string; bytes: number }> | undefined

  for (const runtime of ['bun', 'deno', 'workerd'] as const) {
    test(`${runtime}: create a table over REST, POST 10k rows with a restart halfway, PyIceberg reads exactly those rows`, async () => {
      const started = Date.now()
      const dir = mkdtempSync(join(tmpdir(), `runtime-${runtime}-`))
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
      const namespace = [`rt_${runtime}_${crypto.randomUUID().slice(0, 8)}`]
      cleanups.push(() => dropNamespace(namespace))
      const identifier: TableIdentifier = { namespace, name: 'readings' }
      const table = `${namespace[0]}.readings`
      await createTable({ catalog, io: createFileIO([]) }, identifier, { schema: parseSchemaDsl(SCHEMA), createNamespace: true })

      const config = {
        dataDir: dir,
        catalog: { type: 'rest', uri: env.restUri },
        storage: { type: 's3', endpoint: env.s3Endpoint, region: env.s3Region, accessKeyId: env.s3AccessKeyId, secretAccessKey: env.s3SecretAccessKey },
        tables: [{ name: table, schema: SCHEMA, roll: { intervalMs: 500 } }],
      }
      const edgeDir = runtime === 'workerd' ? (await (edge ??= edgeBundle())).dir : ''
      let server = await start(runtime, config, dir, edgeDir)
      let requests = 0
      try {
        requests += await post(server.url, table, 0, ROWS / 2)
        // A restart: the WAL workers commit what they buffered and recover their log on the way up.
        expect(await server.stop()).toBe(0)
        server = await start(runtime, config, dir, edgeDir)
        requests += await post(server.url, table, ROWS / 2, ROWS / 2 - BATCH)
        requests += await post(server.url, table, ROWS - BATCH, BATCH, `last-batch-${runtime}`)
        const metrics = await fetch(`${server.url}/metrics`)
        expect(metrics.status).toBe(200)
        expect(await metrics.text()).toContain('ingest_records_accepted_total{source="http"}')
      } finally {
        const code = await server.stop()
        if (code !== 0) console.error(`${runtime} exited with ${code}:\n${(await server.logs()).slice(-3000)}`)
        expect(code).toBe(0)
      }

      const main = await report(table, true)
      const ids = main.rows.map((row) => row.id).sort((a, b) => a - b)
      expect(main.count).toBe(ROWS)
      expect(new Set(ids).size).toBe(ROWS)
      expect(ids[0]).toBe(0)
      expect(ids.at(-1)).toBe(ROWS - 1)
      const byId = new Map(main.rows.map((row) => [row.id, row]))
      expect(byId.get(4321)).toEqual({ id: 4321, sensor: 's2', reading: 4321 / 8, at: '2026-01-01T00:00:04.321000+00:00' })
      const dead = await report(`${table}_dead_letters`)
      expect(dead.count).toBe(requests)
      if (runtime === 'workerd') {
        // The edge mode commits each request as its own snapshot; the replayed request added none.
        expect(main.snapshots).toHaveLength(requests)
        expect(main.snapshots.at(-1)!.summary['ingest.idempotency-key']).toBe('last-batch-workerd')
        console.log(`workerd: edge bundle ${((await edge!).bytes / 1024).toFixed(1)} KiB minified`)
      }
      console.log(`${runtime}: ${main.count} rows in ${main.snapshots.length} snapshots, read back by PyIceberg, ${Date.now() - started} ms`)
    })
  }
})
