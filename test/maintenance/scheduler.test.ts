/** The scheduler: a round runs compaction, manifest merge and expiry; running beside appends loses and duplicates nothing. */
import { describe, expect, test } from 'bun:test'
import { currentSnapshot } from '../../src/iceberg/table-metadata.ts'
import { maintenanceConfig } from '../../src/maintenance/config.ts'
import { MaintenanceScheduler } from '../../src/maintenance/scheduler.ts'
import { ConfigError } from '../../src/errors.ts'
import { compactTable } from '../../src/maintenance/compact.ts'
import { appendMany, fixture, identifier, liveFiles, racingCatalog, rows, storedObjects, tableRows } from './table-fixture.ts'

describe('maintenance config', () => {
  test('defaults: on, 5 min, orphans off; false turns a task off; bad values listed', () => {
    const config = maintenanceConfig()
    expect(config).toMatchObject({ enabled: true, intervalMs: 300_000, orphans: false, compaction: { minInputFiles: 5, maxBytesPerRun: 134_217_728 } })
    expect(maintenanceConfig({ expiry: false }).expiry).toBe(false)
    expect(maintenanceConfig({ orphans: {} }).orphans).toEqual({ olderThanMs: 259_200_000, intervalMs: 86_400_000 })
    expect(() => maintenanceConfig({ intervalMs: 0, compaction: { minInputFiles: 1 } })).toThrow(ConfigError)
  })
})

/**
 * The scheduler's clock: real time plus the waits it was let skip. `step()` waits until the scheduler is between
 * rounds, then ends its wait at once, so each step starts exactly one round (which runs while the caller goes on).
 */
function steppedClock() {
  let skipped = 0
  let wake: (() => void) | undefined
  let waiting!: () => void
  let asleep = new Promise<void>((resolve) => (waiting = resolve))
  return {
    now: () => Date.now() + skipped,
    sleep: (ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => resolve(), { once: true })
        wake = () => {
          skipped += ms
          resolve()
        }
        waiting()
      }),
    async step(): Promise<void> {
      await asleep
      asleep = new Promise<void>((resolve) => (waiting = resolve))
      wake!()
    },
  }
}

describe('MaintenanceScheduler', () => {
  test('one round: small files compacted, manifests merged, old snapshots expired, unreferenced files deleted', async () => {
    const f = await fixture()
    await appendMany(f, 10, 6)
    const before = await tableRows(f)
    const lines: string[] = []
    const scheduler = new MaintenanceScheduler({
      catalog: f.catalog,
      io: f.io,
      tables: [{ identifier, config: maintenanceConfig({ compaction: { minInputFiles: 2 }, manifests: { minCountToMerge: 2 }, expiry: { retainLast: 1, maxSnapshotAgeMs: 0, headGraceMs: 0 } }) }],
      log: (line) => lines.push(line),
    })
    await scheduler.runOnce()
    expect(scheduler.stats.get('ns.t')).toMatchObject({ rounds: 1, commits: 3, failures: 0 })
    expect(lines.some((l) => l.includes('compaction: 30 → 3 files'))).toBe(true)
    expect(await liveFiles(f)).toHaveLength(3)
    expect(await tableRows(f)).toEqual(before)
    const metadata = (await f.catalog.loadTable(identifier)).metadata
    expect(metadata.snapshots).toHaveLength(1)
    expect(currentSnapshot(metadata)!.summary['ingest.wal.w1.seq']).toBe('60')
    expect((await storedObjects(f)).filter((o) => o.includes('/data/'))).toEqual(await liveFiles(f))
  })

  test('running in the background while appends commit: every id exactly once', async () => {
    const f = await fixture()
    const clock = steppedClock()
    const scheduler = new MaintenanceScheduler({
      catalog: f.catalog,
      io: f.io,
      tables: [{ identifier, config: maintenanceConfig({ intervalMs: 5, compaction: { minInputFiles: 2 }, manifests: { minCountToMerge: 2 }, expiry: { retainLast: 2, maxSnapshotAgeMs: 0 } }) }],
      now: clock.now,
      sleep: clock.sleep,
    })
    scheduler.start()
    for (let c = 0; c < 30; c++) {
      await clock.step() // a round starts and runs while this append commits
      await f.table.append(rows(c * 5, 5))
    }
    await scheduler.stop()
    const stats = scheduler.stats.get('ns.t')!
    expect(stats.rounds).toBeGreaterThan(2)
    expect(stats.commits).toBeGreaterThan(2)
    expect(stats.failures).toBe(0)
    expect((await tableRows(f)).map((r) => Number(r.id))).toEqual(Array.from({ length: 150 }, (_, i) => i))
  }, 30_000)

  test('a stop during a round returns when its task ends, without waiting for the next round', async () => {
    const f = await fixture()
    await appendMany(f, 3, 3)
    const clock = steppedClock()
    const config = maintenanceConfig({ intervalMs: 60_000, compaction: { minInputFiles: 2 } })
    const scheduler = new MaintenanceScheduler({ catalog: f.catalog, io: f.io, tables: [{ identifier, config }], now: clock.now, sleep: clock.sleep })
    scheduler.start()
    await clock.step()
    await scheduler.stop()
    expect(scheduler.stats.get('ns.t')!.rounds).toBe(1)
  })

  test('a table scheduled while the scheduler runs (a routed table opened on first sight) gets its rounds', async () => {
    const f = await fixture()
    await appendMany(f, 10, 6)
    const clock = steppedClock()
    const scheduler = new MaintenanceScheduler({ catalog: f.catalog, io: f.io, tables: [], now: clock.now, sleep: clock.sleep })
    scheduler.start()
    scheduler.schedule({ identifier, config: maintenanceConfig({ intervalMs: 60_000, compaction: { minInputFiles: 2 } }) })
    await clock.step()
    // The second step waits for the first round to end (the scheduler sleeps again) and starts the next.
    await clock.step()
    await scheduler.stop()
    expect(scheduler.stats.get('ns.t')!.rounds).toBeGreaterThanOrEqual(1)
    expect(scheduler.stats.get('ns.t')!.failures).toBe(0)
    expect(await liveFiles(f)).toHaveLength(3)
  })

  test('a disabled table is never touched', async () => {
    const f = await fixture()
    await appendMany(f, 3, 3)
    const scheduler = new MaintenanceScheduler({ catalog: f.catalog, io: f.io, tables: [{ identifier, config: maintenanceConfig({ enabled: false, compaction: { minInputFiles: 2 } }) }] })
    await scheduler.runOnce()
    expect(scheduler.stats.size).toBe(0)
    expect(await liveFiles(f)).toHaveLength(9)
  })

  test('a task whose inputs a concurrent compaction replaced first is skipped, not counted as a failure', async () => {
    const f = await fixture()
    await appendMany(f, 4, 6)
    const before = await tableRows(f)
    const lines: string[] = []
    // Another compactor (e.g. `bun run maintain`) compacts every partition just before our commit.
    const racing = racingCatalog(f.catalog, async () => void (await compactTable({ catalog: f.catalog, io: f.io }, identifier, { minInputFiles: 2 })))
    const scheduler = new MaintenanceScheduler({
      catalog: racing,
      io: f.io,
      tables: [{ identifier, config: maintenanceConfig({ compaction: { minInputFiles: 2 }, manifests: false, expiry: false }) }],
      log: (line) => lines.push(line),
    })
    await scheduler.runOnce()
    expect(scheduler.stats.get('ns.t')).toMatchObject({ commits: 0, raced: 1, failures: 0, lastError: undefined })
    // The conflict is logged, then the re-plan on the new state finds every input gone.
    expect(lines.filter((l) => !l.includes(': conflict ('))).toEqual([
      'maintenance table ns.t compaction skipped: table ns.t: every partition to compact lost a file to a concurrent commit; the next round re-plans',
    ])
    expect(await liveFiles(f)).toHaveLength(3)
    expect(await tableRows(f)).toEqual(before)
  })
})
