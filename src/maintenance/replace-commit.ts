/**
 * The commit loop of maintenance snapshots (operation `replace`: same rows, different files or
 * manifests), modelled on fast append's three outcomes: committed; conflict → reload, rebuild on
 * the fresh parent (which re-validates what is replaced), retry with jitter; unknown → reload and
 * look for our snapshot id. Every attempt builds on the current `main`, asserts it unchanged, and
 * carries the parent's `ingest.*` markers forward unchanged (exactly-once depends on the newest
 * snapshot holding them, batcher/markers.ts).
 */
import type { Catalog, LoadedTable } from '../catalog/catalog.ts'
import { CommitConflictError, CommitStateUnknownError } from '../errors.ts'
import { encodeManifestList } from '../iceberg/manifest-list.ts'
import type { TableRequirement } from '../iceberg/requirements.ts'
import { replaceSummary, type ReplaceCounts } from '../iceberg/snapshot.ts'
import { currentSnapshot } from '../iceberg/table-metadata.ts'
import type { ManifestFile, Snapshot, TableIdentifier, TableMetadata } from '../iceberg/types.ts'
import type { TableUpdate } from '../iceberg/updates.ts'
import type { FileIO } from '../storage/file-io.ts'
import { backoffMs, commitRetryPolicy } from '../transaction/commit-retry.ts'
import { MaintenanceError } from './errors.ts'

export interface MaintenanceContext {
  catalog: Catalog
  io: FileIO
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  /** One line per event, naming the table. */
  log?: (line: string) => void
}

export interface ReplaceAttempt {
  /** The new snapshot's complete manifest list. */
  manifests: ManifestFile[]
  counts: ReplaceCounts
  /** Extra summary keys (e.g. `manifests-created`); `ingest.*` keys are copied from the parent. */
  summary?: Record<string, string>
}

export interface ReplaceRequest {
  snapshotId: bigint
  /**
   * Builds one attempt on `parent` (the current snapshot of main). Throws MaintenanceError when
   * the plan no longer applies (e.g. a file to replace is gone); that ends the commit.
   * Files it writes must be pushed to `written` so a definitely failed commit can remove them.
   */
  build(parent: Snapshot, metadata: TableMetadata, sequenceNumber: number, attempt: number): Promise<ReplaceAttempt>
  /** Files this commit wrote before the loop (e.g. compacted data files); grows with each attempt. */
  written: string[]
}

export interface ReplaceResult {
  snapshot: Snapshot
  table: LoadedTable
  attempts: number
  /** Some attempt's outcome was unknown: files this commit wrote but did not reference may still be referenced elsewhere. */
  uncertain: boolean
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
export const fullName = (id: TableIdentifier): string => [...id.namespace, id.name].join('.')

/** The parent's progress markers, verbatim. */
export function ingestMarkers(parent: Snapshot | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(parent?.summary ?? {}).filter(([key]) => key.startsWith('ingest.')))
}

/**
 * Commits a `replace` snapshot on main. Throws MaintenanceError from `build` (`NO_SNAPSHOT` when
 * the table has no current snapshot), CommitConflictError after the retry budget, or
 * CommitStateUnknownError; in those cases nothing of ours is referenced unless an attempt's outcome
 * was unknown, and only then are the written files kept.
 */
export async function commitReplace(context: MaintenanceContext, table: LoadedTable, request: ReplaceRequest): Promise<ReplaceResult> {
  const now = context.now ?? Date.now
  const sleep = context.sleep ?? defaultSleep
  const log = context.log ?? (() => {})
  const identifier = table.identifier
  const name = fullName(identifier)
  const { snapshotId, written } = request
  const location = table.metadata.location.replace(/\/+$/, '')
  const policy = commitRetryPolicy(table.metadata.properties)
  const commitUuid = crypto.randomUUID()
  let sawUnknown = false
  let current = table
  const started = now()
  // Why: a definitely rejected commit references none of these files, so removing them is safe;
  // after an unknown outcome the catalog may still hold a reference, so they stay (orphan cleanup
  // removes them once they are old enough).
  const discard = async (): Promise<void> => {
    if (sawUnknown) return
    await Promise.allSettled(written.map((path) => context.io.delete(path)))
  }
  try {
    for (let attempt = 1; ; attempt++) {
      const metadata = current.metadata
      const parent = currentSnapshot(metadata)
      if (!parent) throw new MaintenanceError('NO_SNAPSHOT', `table ${name} has no current snapshot`)
      const sequenceNumber = metadata['last-sequence-number'] + 1
      const built = await request.build(parent, metadata, sequenceNumber, attempt)
      const manifestListPath = `${location}/metadata/snap-${snapshotId}-${attempt}-${commitUuid}.avro`
      written.push(manifestListPath)
      await context.io.write(
        manifestListPath,
        await encodeManifestList({ snapshotId, parentSnapshotId: parent['snapshot-id'], sequenceNumber, manifests: built.manifests }),
      )
      const snapshot: Snapshot = {
        'snapshot-id': snapshotId,
        'parent-snapshot-id': parent['snapshot-id'],
        'sequence-number': sequenceNumber,
        'timestamp-ms': Math.max(now(), metadata['last-updated-ms']),
        'manifest-list': manifestListPath,
        summary: replaceSummary(parent.summary, built.counts, { ...ingestMarkers(parent), ...(built.summary ?? {}) }),
        'schema-id': metadata['current-schema-id'],
      }
      const requirements: TableRequirement[] = [
        { type: 'assert-table-uuid', uuid: metadata['table-uuid'] },
        { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent['snapshot-id'] },
      ]
      const updates: TableUpdate[] = [
        { action: 'add-snapshot', snapshot },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId },
      ]
      try {
        const committed = await context.catalog.commitTable(identifier, { requirements, updates })
        return { snapshot, table: committed, attempts: attempt, uncertain: sawUnknown }
      } catch (error) {
        const conflict = error instanceof CommitConflictError
        const unknown = error instanceof CommitStateUnknownError
        if (!conflict && !unknown) throw error
        sawUnknown ||= unknown
        const outOfBudget = attempt > policy.numRetries || now() - started > policy.totalTimeoutMs
        log(`maintenance commit ${name} snapshot ${snapshotId} attempt ${attempt}: ${conflict ? 'conflict' : 'outcome unknown'} (${(error as Error).message})`)
        try {
          current = await context.catalog.loadTable(identifier)
        } catch (reloadError) {
          if (outOfBudget) throw new CommitStateUnknownError(`commit ${name} snapshot ${snapshotId}: could not reload to check the outcome`, { cause: reloadError })
          await sleep(backoffMs(policy, attempt))
          continue
        }
        const landed = current.metadata.snapshots.find((s) => s['snapshot-id'] === snapshotId)
        if (landed) {
          log(`maintenance commit ${name} snapshot ${snapshotId}: found committed after ${conflict ? 'conflict' : 'unknown outcome'}`)
          return { snapshot: landed, table: current, attempts: attempt, uncertain: sawUnknown }
        }
        if (outOfBudget) throw error
        await sleep(backoffMs(policy, attempt))
      }
    }
  } catch (error) {
    await discard()
    throw error
  }
}
