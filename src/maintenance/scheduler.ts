/**
 * Background maintenance for the worker's tables: one loop, one task at a time (so at most one
 * maintenance commit per table, and a bounded share of CPU and memory), rounds per table every
 * `intervalMs`: compaction → manifest merge → expiry → orphans (when due). Off the ingest path:
 * failures are logged and counted, never thrown; ingest commits that race a maintenance commit
 * simply retry on the new snapshot.
 */
import type { Catalog } from '../catalog/catalog.ts'
import type { TableIdentifier } from '../iceberg/types.ts'
import type { ParquetCompressors } from '../parquet/data-file.ts'
import type { FileIO } from '../storage/file-io.ts'
import { compactTable } from './compact.ts'
import type { MaintenanceConfig } from './config.ts'
import { MaintenanceError } from './errors.ts'
import { expireSnapshots } from './expire.ts'
import { removeOrphanFiles } from './orphans.ts'
import type { Decompressors } from '../parquet/read.ts'
import type { BinCompactor } from './rewrite-bin.ts'
import { type MaintenanceContext } from './replace-commit.ts'
import { rewriteManifests } from './rewrite-manifests.ts'
import { tableName } from '../iceberg/table-identifier.ts'

export type MaintenanceTask = 'compaction' | 'manifests' | 'expiry' | 'orphans'

export interface ScheduledTable {
  identifier: TableIdentifier
  config: MaintenanceConfig
}

export interface SchedulerOptions {
  catalog: Catalog
  io: FileIO
  tables: ScheduledTable[]
  compressors?: ParquetCompressors
  decompressors?: Decompressors
  /** Where compaction's decoding and encoding run (default: this thread). */
  compactor?: BinCompactor
  log?: (line: string) => void
  /** The clock rounds are due by and the wait between them (default Date.now, setTimeout); tests step rounds with both. */
  now?: () => number
  /** Resolves after `ms`, or at once when `signal` aborts (stop() aborts it). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  /** Called after each task that committed (e.g. to let ingest reload the table). */
  onCommitted?: (table: TableIdentifier, task: MaintenanceTask) => void
}

export interface TableMaintenanceStats {
  rounds: number
  commits: number
  /** Tasks stopped because a concurrent commit replaced their inputs first (nothing changed). */
  raced: number
  failures: number
  lastError: string | undefined
  lastRoundAtMs: number | undefined
}

interface TableState extends ScheduledTable {
  name: string
  dueAtMs: number
  orphansDueAtMs: number
  stats: TableMaintenanceStats
}

const TASKS: MaintenanceTask[] = ['compaction', 'manifests', 'expiry', 'orphans']
/** Codes of a task that stopped because a concurrent commit replaced its inputs (see errors.ts). */
const RACED = new Set(['FILES_GONE', 'MANIFESTS_GONE'])
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    // Cleared on stop, so a stopped scheduler holds no timer that keeps the process alive.
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
  })
}

export class MaintenanceScheduler {
  #options: SchedulerOptions
  #tables: TableState[]
  #now: () => number
  #sleep: (ms: number, signal: AbortSignal) => Promise<void>
  #started = false
  #stopped = false
  #loop: Promise<void> | undefined
  #stopping = new AbortController()
  #wake: (() => void) | undefined

  constructor(options: SchedulerOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
    this.#sleep = options.sleep ?? sleepFor
    const start = this.#now()
    this.#tables = options.tables.filter((t) => t.config.enabled).map((t) => this.#state(t, start))
  }

  #state(table: ScheduledTable, start: number): TableState {
    return {
      ...table,
      name: tableName(table.identifier),
      // The first round waits one interval: a starting worker has WAL replay and catch-up to do.
      dueAtMs: start + table.config.intervalMs,
      orphansDueAtMs: start + (table.config.orphans ? table.config.orphans.intervalMs : 0),
      stats: { rounds: 0, commits: 0, raced: 0, failures: 0, lastError: undefined, lastRoundAtMs: undefined },
    }
  }

  /** Adds a table while the loop runs (a routed table the worker opened); its first round is one interval away. */
  schedule(table: ScheduledTable): void {
    if (this.#stopped || !table.config.enabled || this.#tables.some((t) => t.name === tableName(table.identifier))) return
    this.#tables.push(this.#state(table, this.#now()))
    if (!this.#started) return
    if (!this.#loop) {
      this.#loop = this.#run()
      return
    }
    // Wake the loop's sleep so it counts the new table's due time.
    this.#wake?.()
  }

  /** Per table (dotted name). */
  get stats(): Map<string, TableMaintenanceStats> {
    return new Map(this.#tables.map((t) => [t.name, t.stats]))
  }

  start(): void {
    if (this.#started) return
    this.#started = true
    if (this.#tables.length) this.#loop = this.#run()
  }

  /** Stops after the task in progress (a commit is never cut in half). */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#stopping.abort()
    await this.#loop
  }

  /** Runs one round for every table now, regardless of schedule (used by tests and the CLI). */
  async runOnce(): Promise<void> {
    for (const table of this.#tables) await this.#round(table)
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const now = this.#now()
      const due = this.#tables.filter((t) => t.dueAtMs <= now)
      for (const table of due) {
        if (this.#stopped) return
        await this.#round(table)
        table.dueAtMs = this.#now() + table.config.intervalMs
      }
      // A stop during the last round must not wait out the interval.
      if (this.#stopped) return
      const next = Math.min(...this.#tables.map((t) => t.dueAtMs))
      const woken = new AbortController()
      this.#wake = () => woken.abort()
      await this.#sleep(Math.max(10, next - this.#now()), AbortSignal.any([this.#stopping.signal, woken.signal]))
      this.#wake = undefined
    }
  }

  async #round(table: TableState): Promise<void> {
    table.stats.rounds++
    table.stats.lastRoundAtMs = this.#now()
    for (const task of TASKS) {
      if (this.#stopped) return
      if (task === 'orphans' && (!table.config.orphans || this.#now() < table.orphansDueAtMs)) continue
      if (task !== 'orphans' && table.config[task] === false) continue
      try {
        const line = await this.#task(table, task)
        if (line) {
          table.stats.commits++
          this.#options.log?.(`maintenance table ${table.name} ${task}: ${line}`)
          this.#options.onCommitted?.(table.identifier, task)
        }
      } catch (error) {
        if (error instanceof MaintenanceError && RACED.has(error.code)) {
          // Another writer (a second compactor, a manual run) changed the files first; the table is
          // untouched and the next round plans on what is there then. Not a failure to alert on.
          table.stats.raced++
          this.#options.log?.(`maintenance table ${table.name} ${task} skipped: ${error.message}; the next round re-plans`)
        } else {
          table.stats.failures++
          table.stats.lastError = `${task}: ${(error as Error).message}`
          this.#options.log?.(`maintenance table ${table.name} ${task} failed: ${(error as Error).message}`)
        }
      }
      // Let intake and ingest commits run between tasks.
      await new Promise((resolve) => setTimeout(resolve, 0))
    }
  }

  /** Runs one task; returns a report line when it changed the table, else undefined. */
  async #task(table: TableState, task: MaintenanceTask): Promise<string | undefined> {
    const context: MaintenanceContext = { catalog: this.#options.catalog, io: this.#options.io, now: this.#now, log: this.#options.log }
    const { config, identifier } = table
    if (task === 'compaction' && config.compaction) {
      const result = await compactTable(context, identifier, {
        ...config.compaction,
        compressors: this.#options.compressors,
        decompressors: this.#options.decompressors,
        ...(this.#options.compactor ? { compactor: this.#options.compactor } : {}),
      })
      if (result.snapshotId === undefined) return undefined
      const before = result.partitions.reduce((n, p) => n + p.filesBefore, 0)
      const after = result.partitions.reduce((n, p) => n + p.filesAfter, 0)
      const bytes = result.partitions.reduce((n, p) => [n[0]! + p.bytesBefore, n[1]! + p.bytesAfter], [0, 0])
      return `${before} → ${after} files in ${result.partitions.length} partitions (${mb(bytes[0]!)} → ${mb(bytes[1]!)}), snapshot ${result.snapshotId}`
    }
    if (task === 'manifests' && config.manifests) {
      const result = await rewriteManifests(context, identifier, config.manifests)
      return result.snapshotId === undefined ? undefined : `${result.manifestsBefore} → ${result.manifestsAfter} manifests, snapshot ${result.snapshotId}`
    }
    if (task === 'expiry' && config.expiry) {
      const result = await expireSnapshots(context, identifier, {
        headGraceMs: config.expiry.headGraceMs,
        ...(config.expiry.retainLast === undefined ? {} : { minSnapshotsToKeep: config.expiry.retainLast }),
        ...(config.expiry.maxSnapshotAgeMs === undefined ? {} : { maxSnapshotAgeMs: config.expiry.maxSnapshotAgeMs }),
      })
      if (result.expiredSnapshotIds.length === 0 && result.removedRefs.length === 0) return undefined
      const f = result.files
      return `${result.expiredSnapshotIds.length} snapshots expired, deleted ${f.dataFiles} data files, ${f.manifests} manifests, ${f.manifestLists} manifest lists (${mb(f.bytes)})`
    }
    if (task === 'orphans' && config.orphans) {
      table.orphansDueAtMs = this.#now() + config.orphans.intervalMs
      const result = await removeOrphanFiles(context, identifier, { dryRun: false, olderThanMs: config.orphans.olderThanMs })
      return result.orphans.length ? `${result.orphans.length} orphan files deleted of ${result.scanned} listed` : undefined
    }
    return undefined
  }
}
