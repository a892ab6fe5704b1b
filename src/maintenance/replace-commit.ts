/**
 * Maintenance snapshots (operation `replace`: same rows, different files or manifests) through the
 * shared commit loop (transaction/commit-snapshot.ts). Every attempt builds on the current `main`
 * (which re-validates what is replaced) and carries the table's progress markers forward
 * unchanged — found along the chain or in the `ingest.markers` property when the parent is another
 * engine's (batcher/table-markers.ts) — so the newest snapshot holds them again.
 */
import type { LoadedTable } from '../catalog/catalog.ts'
import { tableMarkers } from '../batcher/table-markers.ts'
import { replaceSummary, type ReplaceCounts } from '../iceberg/snapshot.ts'
import type { ManifestFile, Snapshot, TableMetadata } from '../iceberg/types.ts'
import { commitSnapshot, type CommitContext, type SnapshotCommitResult } from '../transaction/commit-snapshot.ts'
import { MaintenanceError } from './errors.ts'
import { tableName } from '../iceberg/table-identifier.ts'

/** What maintenance operations run on: the catalog, the FileIO, and optional clock, sleep and log. */
export type MaintenanceContext = CommitContext

export interface ReplaceAttempt {
  /** The new snapshot's complete manifest list. */
  manifests: ManifestFile[]
  counts: ReplaceCounts
  /** Extra summary keys (e.g. `manifests-created`); the table's `ingest.*` markers are added. */
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

export type ReplaceResult = SnapshotCommitResult


/**
 * Commits a `replace` snapshot on main through the shared commit loop. Throws MaintenanceError from
 * `build` (`NO_SNAPSHOT` when the table has no current snapshot), CommitConflictError after the
 * retry budget, or CommitStateUnknownError; in those cases nothing of ours is referenced unless an
 * attempt's outcome was unknown, and only then are the written files kept.
 */
export async function commitReplace(context: MaintenanceContext, table: LoadedTable, request: ReplaceRequest): Promise<ReplaceResult> {
  const name = tableName(table.identifier)
  return commitSnapshot(context, table, {
    snapshotId: request.snapshotId,
    written: request.written,
    label: 'maintenance commit',
    async build(metadata, parent, sequenceNumber, attempt) {
      if (!parent) throw new MaintenanceError('NO_SNAPSHOT', `table ${name} has no current snapshot`)
      const built = await request.build(parent, metadata, sequenceNumber, attempt)
      return {
        manifests: built.manifests,
        summary: replaceSummary(parent.summary, built.counts, { ...tableMarkers(metadata).markers, ...(built.summary ?? {}) }),
      }
    },
  })
}
