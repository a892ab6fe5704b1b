/**
 * Issue 13 item 4: the WAL's disk fills up under HTTP load (an 8 MiB tmpfs as wal.dir, filled by a file
 * beside it). While it is full: 503 WAL_DISK_FULL with Retry-After and a reason. A kill -9 while it is full,
 * space back, a restart: recovery. A second fill and release without a restart: the same process resumes.
 * Every acknowledged row is in the table exactly once (PyIceberg). Needs root for the tmpfs mount.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stackWorkerConfig } from '../e2e/worker-config.ts'
import { freePort, spawnWorker, type WorkerProcess } from '../e2e/worker-process.ts'
import { startHttpLoad } from './http-load.ts'
import { idReport } from '../e2e/id-report.ts'

setDefaultTimeout(180_000)

const root = mkdtempSync(join(tmpdir(), 'faults-disk-full-'))
const mountPoint = join(root, 'walfs')
mkdirSync(mountPoint)
const mount = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountPoint], { stderr: 'pipe' })
if (mount.exitCode !== 0) {
  throw new Error(`disk-full faults need a tmpfs for the WAL: mount -t tmpfs at ${mountPoint} failed (${mount.stderr.toString().trim()}); run as root`)
}
const workers: WorkerProcess[] = []
let dataDir: string | undefined
afterAll(() => {
  for (const worker of workers) worker.process.kill(9)
  Bun.spawnSync(['umount', '--lazy', mountPoint]) // lazy: a killed worker's files may still be open
  rmSync(root, { recursive: true, force: true })
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

const filler = join(mountPoint, 'filler')

/** Writes the filler until the file system says ENOSPC, in big then small chunks, so the tmpfs is full to the page. */
function fillDisk(): number {
  let bytes = 0
  for (const size of [1 << 20, 64 << 10, 4 << 10]) {
    const chunk = new Uint8Array(size)
    for (;;) {
      try {
        writeFileSync(filler, chunk, { flag: 'a' })
        bytes += size
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
        break
      }
    }
  }
  return bytes
}

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await Bun.sleep(100)
  }
}

describe('WAL disk full', () => {
  test('503 WAL_DISK_FULL while full, kill -9 and restart after, resume without restart; no acknowledged row lost', async () => {
    const table = `diskfull_${crypto.randomUUID().slice(0, 8)}.events`
    const port = freePort()
    const config = stackWorkerConfig({
      http: { enabled: true, host: '127.0.0.1', port },
      wal: { dir: join(mountPoint, 'wal') },
      tables: [{ name: table, schema: 'id long not null, src string', roll: { intervalMs: 1_000 } }],
    })
    delete config.kafka
    dataDir = config.dataDir as string
    const url = `http://127.0.0.1:${port}`
    let worker = await spawnWorker(config, join(dataDir, 'worker-0.log'), 60_000)
    workers.push(worker)
    const load = startHttpLoad(() => url, table, { firstId: 1, batch: 200, concurrency: 2, pauseMs: 10 })
    const full = () => load.refused.get('503 WAL_DISK_FULL') ?? 0
    await until('5,000 acknowledged rows', () => load.acknowledged.length >= 5_000, 60_000)

    // Full: the records are refused with the reason; the client is told to come back.
    const filled = fillDisk()
    await until('a WAL_DISK_FULL refusal', () => full() > 0, 30_000)
    const probe = await fetch(`${url}/v1/tables/${table}/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ id: -1, src: 'probe' }]) })
    const probeBody = (await probe.json()) as { error?: { code: string; message: string } }
    if (probe.status === 503) {
      expect(probeBody.error?.code).toBe('WAL_DISK_FULL')
      expect(probeBody.error?.message).toContain('disk is full')
      expect(probe.headers.get('Retry-After')).toMatch(/^\d+$/)
    }
    const refusedWhileFull = full()

    // A crash while the disk is full, then room again and a restart: what was acknowledged is replayed.
    worker.process.kill(9)
    await worker.exited
    rmSync(filler)
    worker = await spawnWorker(config, join(dataDir, 'worker-1.log'), 60_000)
    workers.push(worker)
    const beforeResume = load.acknowledged.length
    await until('5,000 more acknowledged rows after the restart', () => load.acknowledged.length >= beforeResume + 5_000, 60_000)

    // Full again and freed again, this time without a restart: the same process takes records again.
    fillDisk()
    const refusedBefore = full()
    await until('refusals on the second fill', () => full() > refusedBefore, 30_000)
    rmSync(filler)
    const beforeRelease = load.acknowledged.length
    await until('acknowledgements after the space came back', () => load.acknowledged.length >= beforeRelease + 2_000, 30_000)

    await load.stop()
    worker.process.kill('SIGTERM')
    expect(await worker.exited).toBe(0)
    // The operator sees when it filled and when it resumed, once each rather than once per refused request.
    const log = readFileSync(join(dataDir, 'worker-1.log'), 'utf8')
    expect(log).toContain('disk full writing seq')
    expect(log).toContain('the disk has room again')

    const acknowledged = load.acknowledged.concat(probe.status === 200 ? [-1] : [])
    const report = await idReport(table, 'none', acknowledged)
    console.log(
      `disk full: filled ${(filled / 2 ** 20).toFixed(1)} MiB beside the WAL; ${load.sent()} rows sent, ${acknowledged.length} acknowledged, ` +
        `${full()} requests refused with WAL_DISK_FULL (${refusedWhileFull} before the kill), ${report.count} rows committed, ` +
        `${report.count - report.distinct} duplicated, ${report.missing_acknowledged} lost; other answers ${JSON.stringify(Object.fromEntries(load.refused))}`,
    )
    expect(report.missing_acknowledged).toBe(0)
    expect(report.distinct).toBe(report.count)
    expect(full()).toBeGreaterThan(0)
  })
})
