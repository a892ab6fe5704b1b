/**
 * The one loop every table commit goes through: snapshots (commit-snapshot.ts) and maintenance's
 * snapshot expiry alike. Three outcomes (CONVENTIONS 5):
 *   committed — done;
 *   conflict  — 409 or a failed requirement: reload, build again on the fresh metadata, retry with jitter;
 *   unknown   — 5xx, timeout: reload and ask whether the change landed before anything else.
 * Within the `commit.retry.*` budget of the table's properties.
 */
import type { Catalog, LoadedTable } from '../catalog/catalog.ts'
import { CommitConflictError, CommitStateUnknownError } from '../errors.ts'
import type { TableRequirement } from '../iceberg/requirements.ts'
import type { TableMetadata } from '../iceberg/types.ts'
import type { TableUpdate } from '../iceberg/updates.ts'
import { backoffMs, commitRetryPolicy } from './commit-retry.ts'

export interface CommitLoopContext {
  catalog: Catalog
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  /** One line per retry or recovery event. */
  log?: (line: string) => void
}

/** What one attempt sends, or what it settles with when there is nothing to send. */
export type BuiltAttempt<T> = { requirements: TableRequirement[]; updates: TableUpdate[] } | { settled: T }

export interface CommitLoopRequest<T> {
  /** Names the commit in log lines, e.g. `commit ns.t snapshot 123`. */
  label: string
  /**
   * Builds attempt `attempt` (from 1) on `metadata`. Throwing CommitConflictError means "the base
   * moved under me" (reload and retry); any other error ends the loop.
   */
  build(metadata: TableMetadata, attempt: number): Promise<BuiltAttempt<T>>
  /**
   * After a conflict or an unknown outcome, on the reloaded metadata: the value to end with when the
   * change is (or counts as) there, else undefined to try again.
   */
  landed(metadata: TableMetadata, after: 'conflict' | 'unknown'): T | undefined
  /** The committed metadata → the loop's value. */
  committed(metadata: TableMetadata): T
  /** Attempts beyond the first allowed, when more than the table's `commit.retry.num-retries`. */
  minRetries?: number
  /**
   * Called on each unknown outcome, before the reload: from then on, what the attempt referenced may
   * be in the table even if the loop ends in an error (so its files must not be deleted).
   */
  onUnknownOutcome?: () => void
}

export interface CommitLoopResult<T> {
  value: T
  table: LoadedTable
  attempts: number
  /** Some attempt's outcome was unknown: what it referenced may be in the table even if the loop failed. */
  uncertain: boolean
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Runs `request` on `table` until it commits, settles or lands. Throws CommitConflictError after
 * the retry budget, CommitStateUnknownError when the outcome could not be established, or
 * whatever `build` throws.
 */
export async function commitLoop<T>(context: CommitLoopContext, table: LoadedTable, request: CommitLoopRequest<T>): Promise<CommitLoopResult<T>> {
  const now = context.now ?? Date.now
  const sleep = context.sleep ?? defaultSleep
  const log = context.log ?? (() => {})
  const policy = commitRetryPolicy(table.metadata.properties)
  const maxRetries = Math.max(policy.numRetries, request.minRetries ?? 0)
  const started = now()
  let current = table
  let uncertain = false
  for (let attempt = 1; ; attempt++) {
    try {
      const built = await request.build(current.metadata, attempt)
      if ('settled' in built) return { value: built.settled, table: current, attempts: attempt, uncertain }
      const committed = await context.catalog.commitTable(table.identifier, built)
      return { value: request.committed(committed.metadata), table: committed, attempts: attempt, uncertain }
    } catch (error) {
      const conflict = error instanceof CommitConflictError
      const unknown = error instanceof CommitStateUnknownError
      if (!conflict && !unknown) throw error
      if (unknown) {
        uncertain = true
        request.onUnknownOutcome?.()
      }
      const outOfBudget = attempt > maxRetries || now() - started > policy.totalTimeoutMs
      log(`${request.label} attempt ${attempt}: ${conflict ? 'conflict' : 'outcome unknown'} (${(error as Error).message})`)
      // Whatever happened, the truth is in the catalog: reload before deciding.
      try {
        current = await context.catalog.loadTable(table.identifier)
      } catch (reloadError) {
        if (outOfBudget) throw new CommitStateUnknownError(`${request.label}: could not reload to check the outcome`, { cause: reloadError })
        await sleep(backoffMs(policy, attempt))
        continue
      }
      const landed = request.landed(current.metadata, conflict ? 'conflict' : 'unknown')
      if (landed !== undefined) {
        log(`${request.label}: found committed after ${conflict ? 'conflict' : 'unknown outcome'}`)
        return { value: landed, table: current, attempts: attempt, uncertain }
      }
      if (outOfBudget) throw error
      await sleep(backoffMs(policy, attempt))
    }
  }
}
