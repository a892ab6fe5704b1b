/**
 * Every snapshot (appends, compaction, manifest rewrites) through the one commit loop (commit-loop.ts).
 * The snapshot id is fixed before the first attempt, so a retry can never add the same files twice:
 * after a conflict or an unknown outcome the loop looks for it first. Every attempt writes its own
 * manifest list, since one with an unknown outcome may be referenced. On a v3 table each attempt also hands out
 * row ids from the metadata it builds on (row-lineage.ts): a retry on newer metadata takes newer ids.
 */
import type { LoadedTable } from '../catalog/catalog.ts'
import { ValidationError } from '../errors.ts'
import { encodeManifestList } from '../iceberg/manifest-list.ts'
import { assignRowIds } from '../iceberg/row-lineage.ts'
import type { TableRequirement } from '../iceberg/requirements.ts'
import { currentSnapshot } from '../iceberg/table-metadata.ts'
import type { ManifestFile, Snapshot, SnapshotSummary, TableMetadata } from '../iceberg/types.ts'
import type { FileIO } from '../storage/file-io.ts'
import { commitLoop, type CommitLoopContext } from './commit-loop.ts'
import { tableName } from '../iceberg/table-identifier.ts'

export interface CommitContext extends CommitLoopContext {
  io: FileIO
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

/**
 * Commits one snapshot on `main`. Throws CommitConflictError after the retry budget
 * (`commit.retry.*` table properties), CommitStateUnknownError when the outcome could not be
 * established, ValidationError (code VALIDATION) for a format-version 1 table (read only here), or
 * whatever `build` throws.
 */
export async function commitSnapshot(context: CommitContext, table: LoadedTable, request: SnapshotCommitRequest): Promise<SnapshotCommitResult> {
  const now = context.now ?? Date.now
  const { snapshotId, written } = request
  const location = table.metadata.location.replace(/\/+$/, '')
  const commitUuid = crypto.randomUUID()
  let sawUnknown = false
  const ours = (metadata: TableMetadata) => metadata.snapshots.find((s) => s['snapshot-id'] === snapshotId)
  try {
    const result = await commitLoop<Snapshot>(context, table, {
      label: `${request.label ?? 'commit'} ${tableName(table.identifier)} snapshot ${snapshotId}`,
      onUnknownOutcome: () => (sawUnknown = true),
      async build(metadata, attempt) {
        // A retry after an unknown outcome that did land: never add the snapshot a second time.
        const already = ours(metadata)
        if (already) return { settled: already }
        const formatVersion = metadata['format-version']
        // Why: v1 has no sequence numbers or delete files; a v2-shaped snapshot would corrupt it for v1 readers.
        if (formatVersion === 1) {
          throw new ValidationError(`table ${tableName(table.identifier)} is format-version 1, which this toolkit reads but does not write; upgrade it to v2 (format-version=2) first`, {
            formatVersion,
          })
        }
        const parent = currentSnapshot(metadata)
        const sequenceNumber = metadata['last-sequence-number'] + 1
        const built = await request.build(metadata, parent, sequenceNumber, attempt)
        const lineage = formatVersion >= 3 ? assignRowIds(metadata, built.manifests) : undefined
        const manifestListPath = `${location}/metadata/snap-${snapshotId}-${attempt}-${commitUuid}.avro`
        written.push(manifestListPath)
        await context.io.write(
          manifestListPath,
          await encodeManifestList({
            snapshotId,
            parentSnapshotId: parent?.['snapshot-id'],
            sequenceNumber,
            manifests: lineage?.manifests ?? built.manifests,
            formatVersion,
            ...(lineage ? { firstRowId: lineage.firstRowId } : {}),
          }),
        )
        const snapshot: Snapshot = {
          'snapshot-id': snapshotId,
          ...(parent ? { 'parent-snapshot-id': parent['snapshot-id'] } : {}),
          'sequence-number': sequenceNumber,
          'timestamp-ms': Math.max(now(), metadata['last-updated-ms']),
          'manifest-list': manifestListPath,
          summary: built.summary,
          'schema-id': metadata['current-schema-id'],
          ...(lineage ? { 'first-row-id': lineage.firstRowId, 'added-rows': lineage.addedRows } : {}),
        }
        return {
          requirements: [
            { type: 'assert-table-uuid', uuid: metadata['table-uuid'] },
            { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent?.['snapshot-id'] ?? null },
            ...(built.requirements ?? []),
          ],
          updates: [
            { action: 'add-snapshot', snapshot },
            { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId },
            ...(built.properties && Object.keys(built.properties).length ? [{ action: 'set-properties' as const, updates: built.properties }] : []),
          ],
        }
      },
      landed: (metadata) => ours(metadata),
      committed: (metadata) => ours(metadata)!,
    })
    return { snapshot: result.value, table: result.table, attempts: result.attempts, uncertain: result.uncertain }
  } catch (error) {
    // Why: a definitely rejected commit references none of these files, so removing them is safe;
    // after an unknown outcome the catalog may still hold a reference, so they stay (orphan removal
    // takes them once they are old enough).
    if (!sawUnknown) await Promise.allSettled(written.map((path) => context.io.delete(path)))
    throw error
  }
}
