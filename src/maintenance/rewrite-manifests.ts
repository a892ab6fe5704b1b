/**
 * Manifest rewrite: many small manifests (one per fast append) are merged into few, so planning
 * reads few files. Small data manifests of one partition spec are packed into bins of
 * `commit.manifest.target-size-bytes`; each bin becomes one manifest of EXISTING entries that keep
 * their snapshot ids and sequence numbers (DELETED entries are dropped: they describe only the
 * snapshot that wrote them, and manifests holding nothing else are dropped). Committed as a `replace` snapshot; an attempt whose parent no longer
 * lists a merged manifest stops (`MANIFESTS_GONE`) — a concurrent append only adds manifests,
 * which are kept as they are.
 */
import { newSnapshotId } from '../iceberg/snapshot.ts'
import { currentSnapshot } from '../iceberg/table-metadata.ts'
import type { ManifestEntry, ManifestFile, TableIdentifier } from '../iceberg/types.ts'
import { MaintenanceError } from './errors.ts'
import { createManifestReader, hasNoLiveFiles, isLive } from './manifest-reader.ts'
import { MANIFEST_TARGET_BYTES_DEFAULT, writeManifest } from './manifest-writer.ts'
import { commitReplace, type MaintenanceContext } from './replace-commit.ts'
import { tableName } from '../iceberg/table-identifier.ts'

export const MIN_COUNT_TO_MERGE_DEFAULT = 100

export interface RewriteManifestsOptions {
  /** Merge only when at least this many small manifests exist (default: `commit.manifest.min-count-to-merge`, else 100). */
  minCountToMerge?: number
  /** Default: `commit.manifest.target-size-bytes`, else 8 MiB. */
  targetBytes?: number
  dryRun?: boolean
}

export interface RewriteManifestsResult {
  table: string
  dryRun: boolean
  snapshotId?: bigint
  attempts: number
  manifestsBefore: number
  manifestsAfter: number
  /** Manifests merged away, manifests created from them, and manifests dropped for holding no live file. */
  replaced: number
  created: number
  dropped: number
  entries: number
}

const intProperty = (properties: Record<string, string>, key: string): number | undefined => {
  const value = Number.parseInt(properties[key] ?? '', 10)
  return Number.isSafeInteger(value) && value > 0 ? value : undefined
}

function binPack(manifests: ManifestFile[], target: number): ManifestFile[][] {
  const bins: ManifestFile[][] = []
  let current: ManifestFile[] = []
  let size = 0
  // In list order (newest first), so merged manifests group neighbouring commits.
  for (const manifest of manifests) {
    if (current.length && size + manifest['manifest-length'] > target) {
      bins.push(current)
      current = []
      size = 0
    }
    current.push(manifest)
    size += manifest['manifest-length']
  }
  if (current.length) bins.push(current)
  return bins.filter((bin) => bin.length > 1)
}

/**
 * Merges the current snapshot's small data manifests.
 * @throws MaintenanceError `MANIFESTS_GONE` when a concurrent commit replaced a manifest being
 *   merged; CommitConflictError / CommitStateUnknownError from the commit loop.
 */
export async function rewriteManifests(context: MaintenanceContext, identifier: TableIdentifier, options: RewriteManifestsOptions = {}): Promise<RewriteManifestsResult> {
  const name = tableName(identifier)
  const table = await context.catalog.loadTable(identifier)
  const metadata = table.metadata
  const result: RewriteManifestsResult = { table: name, dryRun: options.dryRun ?? false, attempts: 0, manifestsBefore: 0, manifestsAfter: 0, replaced: 0, created: 0, dropped: 0, entries: 0 }
  const parent = currentSnapshot(metadata)
  if (!parent) return result
  const target = options.targetBytes ?? intProperty(metadata.properties, 'commit.manifest.target-size-bytes') ?? MANIFEST_TARGET_BYTES_DEFAULT
  const minCount = Math.max(2, options.minCountToMerge ?? intProperty(metadata.properties, 'commit.manifest.min-count-to-merge') ?? MIN_COUNT_TO_MERGE_DEFAULT)
  const reader = createManifestReader(context.io)
  const manifests = await reader.manifests(parent)
  result.manifestsBefore = result.manifestsAfter = manifests.length

  const bySpec = new Map<number, ManifestFile[]>()
  for (const manifest of manifests) {
    if (manifest.content !== 0 || manifest['manifest-length'] >= target || hasNoLiveFiles(manifest)) continue
    bySpec.set(manifest['partition-spec-id'], [...(bySpec.get(manifest['partition-spec-id']) ?? []), manifest])
  }
  const bins: { specId: number; manifests: ManifestFile[] }[] = []
  for (const [specId, small] of bySpec) {
    if (small.length < minCount) continue
    for (const bin of binPack(small, target)) bins.push({ specId, manifests: bin })
  }
  // Manifests without live files (e.g. a compaction's DELETED entries) only describe the snapshot
  // that wrote them; a merge drops them too.
  const dropped = manifests.filter((m) => m.content === 0 && hasNoLiveFiles(m))
  if (bins.length === 0 && dropped.length === 0) return result
  const replacedPaths = new Set([...bins, { manifests: dropped }].flatMap((b) => b.manifests.map((m) => m['manifest-path'])))
  result.replaced = replacedPaths.size - dropped.length
  result.dropped = dropped.length
  result.created = bins.length
  result.manifestsAfter = manifests.length - replacedPaths.size + result.created
  if (result.dryRun) {
    for (const bin of bins) for (const m of bin.manifests) result.entries += m['added-files-count'] + m['existing-files-count']
    return result
  }

  const snapshotId = newSnapshotId()
  const location = metadata.location.replace(/\/+$/, '')
  const written: string[] = []
  const merged: { entries: ManifestEntry[]; specId: number }[] = []
  for (const bin of bins) {
    const entries: ManifestEntry[] = []
    for (const manifest of bin.manifests) {
      for (const entry of await reader.entries(manifest)) if (isLive(entry)) entries.push({ ...entry, status: 0 })
    }
    result.entries += entries.length
    merged.push({ entries, specId: bin.specId })
  }
  const committed = await commitReplace(context, table, {
    snapshotId,
    written,
    async build(base, current, sequenceNumber, attempt) {
      const baseManifests = await reader.manifests(base)
      const present = new Set(baseManifests.map((m) => m['manifest-path']))
      const missing = [...replacedPaths].filter((p) => !present.has(p))
      if (missing.length) throw new MaintenanceError('MANIFESTS_GONE', `table ${name}: ${missing.length} manifests to merge were replaced by a concurrent commit`)
      // Their list rows carry this attempt's sequence number; the files are small, so write anew.
      const created: ManifestFile[] = []
      for (const [i, bin] of merged.entries()) {
        const path = `${location}/metadata/merged-${snapshotId}-${attempt}-m${i}.avro`
        written.push(path)
        created.push(await writeManifest(context.io, current, { path, specId: bin.specId, entries: bin.entries, snapshotId, sequenceNumber }))
      }
      const kept = baseManifests.filter((m) => !replacedPaths.has(m['manifest-path']))
      return {
        manifests: [...created, ...kept],
        counts: { addedDataFiles: 0, addedRecords: 0, addedFilesSize: 0, deletedDataFiles: 0, deletedRecords: 0, removedFilesSize: 0, partitions: 0 },
        summary: {
          'manifests-created': String(created.length),
          'manifests-replaced': String(replacedPaths.size),
          'manifests-kept': String(kept.length),
          'entries-processed': String(result.entries),
        },
      }
    },
  })
  result.snapshotId = committed.snapshot['snapshot-id']
  result.attempts = committed.attempts
  context.log?.(`rewrote manifests of table ${name} snapshot ${result.snapshotId}: ${result.replaced} merged into ${result.created}`)
  return result
}
