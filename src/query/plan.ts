/**
 * Scan planning: snapshot → manifest list → manifests → live data files, pruning manifests by partition summaries and
 * data files by partition values and column bounds against a conjunction of simple predicates; each planned file
 * carries the deletion vector or position-delete files that apply to it (deletes/delete-index.ts), for the reader to
 * remove those positions. Edge-safe: FileIO only.
 */
import { buildDeleteIndex, noDeletes, type ApplicableDeletes, type LiveFile } from '../deletes/delete-index.ts'
import { liveFilesOf } from '../deletes/live-files.ts'
import { decodeManifest } from '../iceberg/manifest.ts'
import { decodeManifestList } from '../iceberg/manifest-list.ts'
import { partitionType, type PartitionFieldType } from '../iceberg/partition-type.ts'
import type { DataFile, ManifestFile, PartitionSpec, Schema, Snapshot, TableMetadata } from '../iceberg/types.ts'
import type { FileIO } from '../storage/file-io.ts'
import { QueryError } from './errors.ts'
import { bindPredicates, type BoundPredicate, type Predicate } from './predicate.ts'
import { columnStats, partitionValueStats, projectPredicate, statsMayMatch, summaryStats } from './prune.ts'
import { selectSnapshot, snapshotSchema, type SnapshotChoice } from './snapshot-selection.ts'
import { mapConcurrent } from '../async/map-concurrent.ts'

export interface PlanScanOptions extends SnapshotChoice {
  io: FileIO
  metadata: TableMetadata
  /** A conjunction; values in canonical or JSON form (see Predicate). Omit to plan every file. */
  filter?: readonly Predicate[]
  /** Manifests read at once (default 8). */
  concurrency?: number
}

export interface PlannedFile {
  dataFile: DataFile
  specId: number
  /** The file's data sequence number. */
  sequenceNumber: number
  /** The deletion vector or position-delete files whose positions the reader removes; absent when none apply. */
  deletes?: ApplicableDeletes
}

export interface PrunedFile {
  path: string
  records: number
  /** `partition`: its partition tuple cannot match; `metrics`: its column bounds / null counts cannot match. */
  reason: 'partition' | 'metrics'
}

export interface ScanPlan {
  /** Undefined for a table without snapshots (nothing to read). */
  snapshot: Snapshot | undefined
  schema: Schema
  predicates: BoundPredicate[]
  files: PlannedFile[]
  /** Files of the manifests that were read, pruned one by one. */
  prunedFiles: PrunedFile[]
  manifests: { total: number; pruned: number; prunedFiles: number; prunedRecords: number }
  /** Live data files and rows in the snapshot, planned or not. */
  totalFiles: number
  totalRecords: number
  /** Live delete files (DVs, position-delete files) of the snapshot, and how many planned files have deletes. */
  deleteFiles: number
  filesWithDeletes: number
}

interface SpecBinding {
  spec: PartitionSpec
  types: PartitionFieldType[] | undefined
}

function bindSpecs(metadata: TableMetadata, schema: Schema): Map<number, SpecBinding> {
  const out = new Map<number, SpecBinding>()
  for (const spec of metadata['partition-specs']) {
    let types: PartitionFieldType[] | undefined
    try {
      types = partitionType(spec, schema)
    } catch {
      // a source column dropped since: files of this spec are not pruned by partition
      types = undefined
    }
    out.set(spec['spec-id'], { spec, types })
  }
  return out
}

/** Whether some row in a partition described per field by `statsOf(i)` may match every predicate. */
function partitionMayMatch(binding: SpecBinding | undefined, predicates: readonly BoundPredicate[], statsOf: (index: number, type: PartitionFieldType) => ReturnType<typeof partitionValueStats> | undefined): boolean {
  if (!binding?.types) return true
  for (const predicate of predicates) {
    for (let i = 0; i < binding.spec.fields.length; i++) {
      const projected = projectPredicate(predicate, binding.spec.fields[i]!)
      const type = binding.types[i]!
      if (!projected) continue
      const stats = statsOf(i, type)
      if (stats && !statsMayMatch(type.type, projected.op, projected.values, stats)) return false
    }
  }
  return true
}

function manifestMayMatch(manifest: ManifestFile, binding: SpecBinding | undefined, predicates: readonly BoundPredicate[]): boolean {
  const summaries = manifest.partitions
  if (!summaries) return true
  return partitionMayMatch(binding, predicates, (i, type) => {
    const summary = summaries[i]
    return summary && summaryStats(type.type, summary)
  })
}

function metricsMayMatch(file: DataFile, predicates: readonly BoundPredicate[]): boolean {
  return predicates.every((p) => statsMayMatch(p.type, p.op, p.values, columnStats(file, p.fieldId, p.type)))
}

/** @throws QueryError `UNSUPPORTED_DELETES` when an equality-delete file applies (named, with what to do instead). */
function plannedFile(live: LiveFile, deletes: ApplicableDeletes | undefined, plan: ScanPlan): PlannedFile {
  const planned: PlannedFile = { dataFile: live.file, specId: live.specId, sequenceNumber: live.sequenceNumber }
  if (!deletes || noDeletes(deletes)) return planned
  const equality = deletes.equalityDeletes[0]
  if (equality) {
    throw new QueryError(
      'UNSUPPORTED_DELETES',
      `equality-delete file ${equality.file['file-path']} applies to data file ${live.file['file-path']}; this reader applies deletion vectors and position deletes, not equality deletes — read the table with Spark, Trino or Iceberg Java, or rewrite it with one of them`,
      { context: { location: equality.file['file-path'] } },
    )
  }
  plan.filesWithDeletes++
  planned.deletes = deletes
  return planned
}

/**
 * Plans a scan of `metadata` at the chosen snapshot: the live data files that may hold rows matching `filter`.
 * Never drops a file that may match: predicates it cannot evaluate on a file keep the file.
 * @throws QueryError `SNAPSHOT_NOT_FOUND` / `NO_SNAPSHOT_AS_OF` (snapshot choice), `UNKNOWN_COLUMN` / `INVALID_FILTER`
 *   (filter), `UNSUPPORTED_DELETES` naming the equality-delete file when one applies to a planned file (DVs and
 *   position deletes are planned, not refused); StorageError when a manifest cannot be read.
 */
export async function planScan(options: PlanScanOptions): Promise<ScanPlan> {
  const { metadata, io } = options
  const snapshot = selectSnapshot(metadata, options)
  const schema = snapshotSchema(metadata, snapshot)
  const predicates = bindPredicates(schema, options.filter ?? [])
  const plan: ScanPlan = {
    snapshot,
    schema,
    predicates,
    files: [],
    prunedFiles: [],
    manifests: { total: 0, pruned: 0, prunedFiles: 0, prunedRecords: 0 },
    totalFiles: 0,
    totalRecords: 0,
    deleteFiles: 0,
    filesWithDeletes: 0,
  }
  if (!snapshot) return plan
  const manifests = await decodeManifestList(await io.read(snapshot['manifest-list']))
  const specs = bindSpecs(metadata, schema)
  // Delete manifests are pruned like data manifests: a delete applies only within its partition, whose data files the
  // same predicates prune (an unpartitioned, global one has no summaries and is always read).
  const deleteManifests = manifests.filter(
    (m) => m.content === 1 && m['added-files-count'] + m['existing-files-count'] > 0 && manifestMayMatch(m, specs.get(m['partition-spec-id']), predicates),
  )
  const deleteFiles: LiveFile[] = (
    await mapConcurrent(deleteManifests, options.concurrency ?? 8, async (m) => liveFilesOf(m, (await decodeManifest(await io.read(m['manifest-path']))).entries))
  ).flat()
  plan.deleteFiles = deleteFiles.length
  const deleteIndex = buildDeleteIndex(deleteFiles)
  const data = manifests.filter((m) => m.content === 0)
  plan.manifests.total = data.length
  const selected: ManifestFile[] = []
  for (const manifest of data) {
    if (manifestMayMatch(manifest, specs.get(manifest['partition-spec-id']), predicates)) {
      selected.push(manifest)
      continue
    }
    const files = manifest['added-files-count'] + manifest['existing-files-count']
    const records = manifest['added-rows-count'] + manifest['existing-rows-count']
    plan.manifests.pruned++
    plan.manifests.prunedFiles += files
    plan.manifests.prunedRecords += records
    plan.totalFiles += files
    plan.totalRecords += records
  }
  const decoded = await mapConcurrent(selected, options.concurrency ?? 8, async (m) => ({ manifest: m, entries: (await decodeManifest(await io.read(m['manifest-path']))).entries }))
  for (const { manifest, entries } of decoded) {
    const binding = specs.get(manifest['partition-spec-id'])
    // status 2 (DELETED) entries record removals; they are not part of the snapshot.
    for (const live of liveFilesOf(manifest, entries)) {
      const file = live.file
      if (file.content !== 0) continue
      plan.totalFiles++
      plan.totalRecords += file['record-count']
      const pruned = (reason: PrunedFile['reason']) => plan.prunedFiles.push({ path: file['file-path'], records: file['record-count'], reason })
      if (!partitionMayMatch(binding, predicates, (i) => partitionValueStats(file.partition[i]))) pruned('partition')
      else if (!metricsMayMatch(file, predicates)) pruned('metrics')
      else plan.files.push(plannedFile(live, deleteIndex.size ? deleteIndex.forDataFile(live) : undefined, plan))
    }
  }
  return plan
}
