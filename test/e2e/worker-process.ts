/** The ingest worker as a real process (`bun run workers/ingest.ts`), for kill -9 and scale-out tests. */
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

const ROOT = join(import.meta.dir, '..', '..')

/** A free 127.0.0.1 port (bound and released at once). */
export function freePort(): number {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
  const port = server.port!
  server.stop(true)
  return port
}

export interface WorkerProcess {
  process: Subprocess
  url: string
  exited: Promise<number>
}

/**
 * Writes `config` next to the data dir and starts the worker; resolves once /health answers 200 — or, with
 * `acceptDegraded` (fault tests, where a dependency failing is the point), once it answers `degraded` too.
 */
export async function spawnWorker(config: Record<string, unknown>, logFile: string, timeoutMs = 30_000, acceptDegraded = false): Promise<WorkerProcess> {
  const http = config.http as { port: number }
  const configFile = join(config.dataDir as string, 'worker.json')
  writeFileSync(configFile, JSON.stringify(config))
  const child = Bun.spawn(['bun', 'run', join(ROOT, 'workers/ingest.ts'), '--config', configFile], {
    stdout: Bun.file(logFile),
    stderr: Bun.file(`${logFile}.err`),
    stdin: 'ignore',
  })
  const url = `http://127.0.0.1:${http.port}`
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode} during start-up; see ${logFile}.err`)
    try {
      const health = await fetch(`${url}/health`)
      const status = ((await health.json()) as { status?: string }).status
      if (health.status === 200 || (acceptDegraded && status === 'degraded')) return { process: child, url, exited: child.exited }
    } catch {
      // not listening yet
    }
    await Bun.sleep(100)
  }
  child.kill(9)
  throw new Error(`worker did not become healthy within ${timeoutMs} ms; see ${logFile}`)
}

/**
 * Posts batches of new ids to `table` until `stop()` is called; ids are recorded only when the
 * worker acknowledged them (200). Requests cut off by a crash count as unacknowledged.
 */
export function startPoster(url: () => string, table: string, firstId: number, concurrency = 4, batch = 20) {
  const acknowledged: number[] = []
  let next = firstId
  let running = true
  const loop = async () => {
    while (running) {
      const ids = Array.from({ length: batch }, () => next++)
      try {
        const response = await fetch(`${url()}/v1/tables/${table}/records`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(ids.map((id) => ({ id, src: 'http' }))),
        })
        if (response.status === 200) acknowledged.push(...ids)
        else await response.arrayBuffer()
      } catch {
        await Bun.sleep(50)
      }
      await Bun.sleep(10)
    }
  }
  const loops = Array.from({ length: concurrency }, loop)
  return {
    acknowledged,
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}

/**
 * The workers a test file starts, and their data dirs: `start` spawns one (its log in its data dir as
 * `<name>.log`), `cleanup` (for afterAll) kills what still runs, waits for it to exit, then removes the dirs —
 * in that order, so no exiting worker writes into a dir being removed.
 */
export function workerFleet() {
  const dirs = new Set<string>()
  const running: WorkerProcess[] = []
  return {
    async start(config: Record<string, unknown>, name: string): Promise<WorkerProcess> {
      dirs.add(config.dataDir as string)
      const worker = await spawnWorker(config, join(config.dataDir as string, `${name}.log`))
      running.push(worker)
      return worker
    },
    async cleanup(): Promise<void> {
      for (const worker of running) worker.process.kill(9)
      await Promise.all(running.map((worker) => worker.exited))
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    },
  }
}
