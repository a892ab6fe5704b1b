/**
 * The one commit loop every snapshot goes through (appends, compaction, manifest rewrites).
 * Three outcomes (CONVENTIONS 5):
 *   committed  — done;
 *   conflict   — 409 or a failed requirement: reload, build again on the fresh parent, retry with jitter;
 *   unknown    — 5xx, timeout: reload and look for our snapshot id before anything else.
 * The snapshot id is fixed before the first attempt, so a retry can never add the same files twice,
 * and every attempt writes its own manifest list, since one with an unknown outcome may be referenced.
 */
import type { Catalog, LoadedTable } from '../catalog/catalog.ts'
import { CommitConflictError, CommitStateUnknownError } from '../errors.ts'
import { encodeManifestList } from '../iceberg/manifest-list.ts'
import type { TableRequirement } from '../iceberg/requirements.ts'
import { currentSnapshot } from '../iceberg/table-metadata.ts'
import type { ManifestFile, Snapshot, SnapshotSummary, TableMetadata } from '../iceberg/types.ts'
import type { TableUpdate } from '../iceberg/updates.ts'
import type { FileIO } from '../storage/file-io.ts'
import { backoffMs, commitRetryPolicy } from './commit-retry.ts'
import { tableName } from '../iceberg/table-identifier.ts'

export interface CommitContext {
  catalog: Catalog
  io: FileIO
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  /** One line per retry or recovery event, naming the table. */
  log?: (line: string) => void
}

export interface SnapshotAttempt {
  /** The new snapshot's complete manifest list. */
  manifests: ManifestFile[]
  summary: SnapshotSummary
  /**
   * Table properties set in the same commit (one `set-properties` update), e.g. a copy of the
   * progress markers that survives any engine's snapshot expiry (batcher/table-markers.ts).
   */
  properties?: Record<string, string>
  /** Requirements beyond table uuid and `main`, e.g. that the current schema is still the one files were written in. */
  requirements?: TableRequirement[]
}

export interface SnapshotCommitRequest {
  snapshotId: bigint
  /**
   * Builds one attempt on the current metadata. Throwing CommitConflictError means "the base moved
   * under me" (reload and retry); any other error ends the commit.
   */
  build(metadata: TableMetadata, parent: Snapshot | undefined, sequenceNumber: number, attempt: number): Promise<SnapshotAttempt>
  /**
   * Files written for this commit (manifests, rewritten data files); the loop adds its manifest
   * lists. Deleted when every attempt was definitely rejected, kept after any unknown outcome.
   */
  written: string[]
  /** Names the kind of commit in log lines, e.g. `commit` or `maintenance commit`. */
  label?: string
}

export interface SnapshotCommitResult {
  snapshot: Snapshot
  table: LoadedTable
  attempts: number
  /** Some attempt's outcome was unknown: files this commit wrote may be referenced even if it failed. */
  uncertain: boolean
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Commits one snapshot on `main`. Throws CommitConflictError after the retry budget
 * (`commit.retry.*` table properties), CommitStateUnknownError when the outcome could not be
 * established, or whatever `build` throws.
 */
export async function commitSnapshot(context: CommitContext, table: LoadedTable, request: SnapshotCommitRequest): Promise<SnapshotCommitResult> {
  const now = context.now ?? Date.now
  const sleep = context.sleep ?? defaultSleep
  const log = context.log ?? (() => {})
  const label = request.label ?? 'commit'
  const identifier = table.identifier
  const name = tableName(identifier)
  const { snapshotId, written } = request
  const location = table.metadata.location.replace(/\/+$/, '')
  const policy = commitRetryPolicy(table.metadata.properties)
  const commitUuid = crypto.randomUUID()
  const started = now()
  let current = table
  let sawUnknown = false
  try {
    for (let attempt = 1; ; attempt++) {
      const metadata = current.metadata
      // A retry after an unknown outcome that did land: never add the snapshot a second time.
      const already = metadata.snapshots.find((s) => s['snapshot-id'] === snapshotId)
      if (already) return { snapshot: already, table: current, attempts: attempt, uncertain: sawUnknown }
      const parent = currentSnapshot(metadata)
      const sequenceNumber = metadata['last-sequence-number'] + 1
      try {
        const built = await request.build(metadata, parent, sequenceNumber, attempt)
        const manifestListPath = `${location}/metadata/snap-${snapshotId}-${attempt}-${commitUuid}.avro`
        written.push(manifestListPath)
        await context.io.write(
          manifestListPath,
          await encodeManifestList({ snapshotId, parentSnapshotId: parent?.['snapshot-id'], sequenceNumber, manifests: built.manifests }),
        )
        const snapshot: Snapshot = {
          'snapshot-id': snapshotId,
          ...(parent ? { 'parent-snapshot-id': parent['snapshot-id'] } : {}),
          'sequence-number': sequenceNumber,
          'timestamp-ms': Math.max(now(), metadata['last-updated-ms']),
          'manifest-list': manifestListPath,
          summary: built.summary,
          'schema-id': metadata['current-schema-id'],
        }
        const requirements: TableRequirement[] = [
          { type: 'assert-table-uuid', uuid: metadata['table-uuid'] },
          { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent?.['snapshot-id'] ?? null },
          ...(built.requirements ?? []),
        ]
        const updates: TableUpdate[] = [
          { action: 'add-snapshot', snapshot },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId },
          ...(built.properties && Object.keys(built.properties).length ? [{ action: 'set-properties' as const, updates: built.properties }] : []),
        ]
        const committed = await context.catalog.commitTable(identifier, { requirements, updates })
        return { snapshot, table: committed, attempts: attempt, uncertain: sawUnknown }
      } catch (error) {
        const conflict = error instanceof CommitConflictError
        const unknown = error instanceof CommitStateUnknownError
        if (!conflict && !unknown) throw error
        sawUnknown ||= unknown
        const outOfBudget = attempt > policy.numRetries || now() - started > policy.totalTimeoutMs
        log(`${label} ${name} snapshot ${snapshotId} attempt ${attempt}: ${conflict ? 'conflict' : 'outcome unknown'} (${(error as Error).message})`)
        // Whatever happened, the truth is in the catalog: reload before deciding.
        try {
          current = await context.catalog.loadTable(identifier)
        } catch (reloadError) {
          if (outOfBudget) throw new CommitStateUnknownError(`${label} ${name} snapshot ${snapshotId}: could not reload to check the outcome`, { cause: reloadError })
          await sleep(backoffMs(policy, attempt))
          continue
        }
        const landed = current.metadata.snapshots.find((s) => s['snapshot-id'] === snapshotId)
        if (landed) {
          log(`${label} ${name} snapshot ${snapshotId}: found committed after ${conflict ? 'conflict' : 'unknown outcome'}`)
          return { snapshot: landed, table: current, attempts: attempt, uncertain: sawUnknown }
        }
        if (outOfBudget) throw error
        await sleep(backoffMs(policy, attempt))
      }
    }
  } catch (error) {
    // Why: a definitely rejected commit references none of these files, so removing them is safe;
    // after an unknown outcome the catalog may still hold a reference, so they stay (orphan removal
    // takes them once they are old enough).
    if (!sawUnknown) await Promise.allSettled(written.map((path) => context.io.delete(path)))
    throw error
  }
}
