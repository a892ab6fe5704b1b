/**
 * Snapshot expiry: one commit removes the snapshots (and aged-out refs) the retention policy no
 * longer keeps; then, and only after a definite success, the files that only those snapshots
 * reached are deleted: their manifest lists, manifests no kept snapshot lists, and data files no
 * kept snapshot holds live. Metadata JSON files are never deleted here (the catalog owns them;
 * see `write.metadata.delete-after-commit.enabled`), nor is anything after an unknown outcome.
 */
import type { LoadedTable } from '../catalog/catalog.ts'
import type { TableRequirement } from '../iceberg/requirements.ts'
import type { Snapshot, TableIdentifier, TableMetadata } from '../iceberg/types.ts'
import type { TableUpdate } from '../iceberg/updates.ts'
import { normalizeLocation } from '../storage/file-io.ts'
import { commitLoop } from '../transaction/commit-loop.ts'
import { mapConcurrent } from '../async/map-concurrent.ts'
import { createManifestReader, type ManifestReader } from './manifest-reader.ts'
import { reachableFiles } from './reachable.ts'
import { type MaintenanceContext } from './replace-commit.ts'
import { planExpiry, retentionPolicy, type RetentionPolicy } from './retention.ts'
import { tableName } from '../iceberg/table-identifier.ts'

export interface ExpireOptions extends Partial<RetentionPolicy> {
  /** Report what would be expired and deleted; change nothing. */
  dryRun?: boolean
  /** Delete unreachable files after the commit (default true). */
  deleteFiles?: boolean
  /** Reads and deletes in flight (default 16). */
  concurrency?: number
}

export interface FileCounts {
  dataFiles: number
  manifests: number
  manifestLists: number
  /** Statistics and partition statistics files of expired snapshots (written by other engines). */
  statisticsFiles: number
  /** Bytes of the data files and manifests (manifest lists' sizes are not recorded anywhere). */
  bytes: number
}

export interface ExpiryResult {
  table: string
  dryRun: boolean
  expiredSnapshotIds: bigint[]
  keptSnapshotIds: bigint[]
  removedRefs: string[]
  /** Deleted files (would be deleted, in a dry run). */
  files: FileCounts
  /** Locations whose delete failed (left for orphan removal). */
  deleteFailures: string[]
  /** Set when the commit landed but files were kept, and why. */
  filesKept?: string
  attempts: number
}

interface Unreachable {
  dataFiles: string[]
  manifests: string[]
  manifestLists: string[]
  statisticsFiles: string[]
  bytes: number
}

/** Statistics and partition statistics files `metadata` names, of the snapshots in `ids` (of all when absent). */
function statisticsPaths(metadata: TableMetadata, ids?: Set<bigint>): string[] {
  return [...(metadata.statistics ?? []), ...(metadata['partition-statistics'] ?? [])]
    .filter((file) => ids === undefined || ids.has(file['snapshot-id']))
    .map((file) => normalizeLocation(file['statistics-path']))
}

/**
 * Files reached by `expired` and by none of `kept` (normalized locations); statistics files named
 * for an expired snapshot in `before` and not named at all in `after`.
 */
async function unreachable(
  reader: ManifestReader,
  expired: Snapshot[],
  kept: Snapshot[],
  concurrency: number,
  statistics: { before: TableMetadata; after: TableMetadata },
): Promise<Unreachable> {
  const [gone, live] = await Promise.all([reachableFiles(reader, expired, concurrency), reachableFiles(reader, kept, concurrency)])
  // Why: a data file stays while any kept snapshot holds it live; one that kept snapshots only
  // name as DELETED is not needed to read them, and no snapshot that read it remains.
  const dataFiles = [...gone.namedFiles].filter((p) => !live.liveFiles.has(p))
  const manifests = [...gone.manifests].filter((p) => !live.manifests.has(p))
  const manifestLists = [...gone.manifestLists].filter((p) => !live.manifestLists.has(p))
  const bytes = [...dataFiles, ...manifests].reduce((sum, p) => sum + (gone.sizes.get(p) ?? 0), 0)
  // Why "not named at all" after: a catalog that kept an expired snapshot's statistics entry still
  // references the file, and a file shared by a kept snapshot's entry is still needed.
  const stillNamed = new Set(statisticsPaths(statistics.after))
  const statisticsFiles = [...new Set(statisticsPaths(statistics.before, new Set(expired.map((e) => e['snapshot-id']))))].filter((p) => !stillNamed.has(p))
  return { dataFiles, manifests, manifestLists, statisticsFiles, bytes }
}

const counts = (u: Unreachable): FileCounts => ({
  dataFiles: u.dataFiles.length,
  manifests: u.manifests.length,
  manifestLists: u.manifestLists.length,
  statisticsFiles: u.statisticsFiles.length,
  bytes: u.bytes,
})

/**
 * Expires snapshots of one table by its `history.expire.*` properties (or `options`).
 * @throws CommitConflictError (COMMIT_CONFLICT) after the retry budget; CommitStateUnknownError
 *   (COMMIT_STATE_UNKNOWN) when the outcome cannot be established; storage and decode errors
 *   while reading manifests (before anything is deleted).
 */
export async function expireSnapshots(context: MaintenanceContext, identifier: TableIdentifier, options: ExpireOptions = {}): Promise<ExpiryResult> {
  const now = context.now ?? Date.now
  const log = context.log ?? (() => {})
  const name = tableName(identifier)
  const concurrency = options.concurrency ?? 16
  const reader = createManifestReader(context.io)
  const result: ExpiryResult = {
    table: name,
    dryRun: options.dryRun ?? false,
    expiredSnapshotIds: [],
    keptSnapshotIds: [],
    removedRefs: [],
    files: { dataFiles: 0, manifests: 0, manifestLists: 0, statisticsFiles: 0, bytes: 0 },
    deleteFailures: [],
    attempts: 0,
  }
  const table: LoadedTable = await context.catalog.loadTable(identifier)
  // What the latest attempt planned and built on; the files it frees are judged against these.
  let base: TableMetadata = table.metadata
  let plan = planExpiry(base, retentionPolicy(base.properties, options), now())
  type Outcome = { kind: 'committed'; metadata: TableMetadata } | { kind: 'nothing' } | { kind: 'dry-run' } | { kind: 'kept-after-unknown' }
  const outcome = await commitLoop<Outcome>({ catalog: context.catalog, now, ...(context.sleep ? { sleep: context.sleep } : {}), log }, table, {
    label: `expire ${name}`,
    // Expiry is cheap to recompute and races every append: a few more tries than an append gets.
    minRetries: 8,
    async build(metadata, attempt) {
      base = metadata
      plan = planExpiry(base, retentionPolicy(base.properties, options), now())
      result.expiredSnapshotIds = plan.expire
      result.keptSnapshotIds = plan.keep
      result.removedRefs = plan.removeRefs
      if (plan.expire.length === 0 && plan.removeRefs.length === 0) return { settled: { kind: 'nothing' } }
      if (result.dryRun) {
        const expired = new Set(plan.expire)
        const keptIds = new Set(plan.keep)
        const after = { ...base, statistics: (base.statistics ?? []).filter((f) => keptIds.has(f['snapshot-id'])), 'partition-statistics': (base['partition-statistics'] ?? []).filter((f) => keptIds.has(f['snapshot-id'])) }
        result.files = counts(
          await unreachable(reader, base.snapshots.filter((s) => expired.has(s['snapshot-id'])), base.snapshots.filter((s) => !expired.has(s['snapshot-id'])), concurrency, { before: base, after }),
        )
        return { settled: { kind: 'dry-run' } }
      }
      result.attempts = attempt
      // Why assert main (and every ref we remove): the plan was computed on this state; if it moved
      // (an append, a rollback, a re-pointed tag) the plan is recomputed rather than applied blindly.
      return {
        requirements: [
          { type: 'assert-table-uuid', uuid: base['table-uuid'] },
          { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': base.refs.main?.['snapshot-id'] ?? null },
          ...plan.removeRefs.map((ref): TableRequirement => ({ type: 'assert-ref-snapshot-id', ref, 'snapshot-id': base.refs[ref]!['snapshot-id'] })),
        ],
        updates: [
          ...plan.removeRefs.map((ref): TableUpdate => ({ action: 'remove-snapshot-ref', 'ref-name': ref })),
          ...(plan.expire.length ? [{ action: 'remove-snapshots', 'snapshot-ids': plan.expire } as TableUpdate] : []),
        ],
      }
    },
    landed(metadata, after) {
      const present = new Set(metadata.snapshots.map((s) => s['snapshot-id']))
      if (after !== 'unknown' || plan.expire.length === 0 || plan.expire.some((id) => present.has(id))) return undefined
      // Why keep the files: the snapshots are gone, but we cannot tell whose commit removed them
      // or what it kept; orphan removal will collect what is truly unreferenced.
      return { kind: 'kept-after-unknown' }
    },
    committed: (metadata) => ({ kind: 'committed', metadata }),
  })
  const settled = outcome.value
  if (settled.kind === 'kept-after-unknown') {
    result.filesKept = 'the commit outcome was unknown'
    log(`expire ${name}: snapshots removed after an unknown outcome; files kept for orphan removal`)
    return result
  }
  if (settled.kind !== 'committed') return result
  const committed = settled.metadata

  const remaining = new Set(committed.snapshots.map((s) => s['snapshot-id']))
  const expired = base.snapshots.filter((s) => !remaining.has(s['snapshot-id']))
  result.expiredSnapshotIds = expired.map((s) => s['snapshot-id'])
  result.keptSnapshotIds = [...remaining]
  if (options.deleteFiles === false) {
    result.filesKept = 'deleteFiles is off'
    return result
  }
  // Reachability is computed against the committed metadata: every snapshot that exists now.
  const doomed = await unreachable(reader, expired, committed.snapshots, concurrency, { before: base, after: committed })
  result.files = counts(doomed)
  // No snapshot in the table reaches any of these any more, so the order is free; a delete that
  // fails leaves an unreferenced file for orphan removal, never a dangling reference.
  for (const group of [doomed.dataFiles, doomed.manifests, doomed.manifestLists, doomed.statisticsFiles]) {
    await mapConcurrent(group, concurrency, async (path) => {
      try {
        await context.io.delete(path)
      } catch (error) {
        result.deleteFailures.push(path)
        log(`expire ${name}: delete ${path} failed: ${(error as Error).message}`)
      }
    })
  }
  const statistics = doomed.statisticsFiles.length ? `, ${doomed.statisticsFiles.length} statistics files` : ''
  log(`expired table ${name}: ${expired.length} snapshots, deleted ${doomed.dataFiles.length} data files, ${doomed.manifests.length} manifests, ${doomed.manifestLists.length} manifest lists${statistics}`)
  return result
}
