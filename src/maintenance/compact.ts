/**
 * Compaction (bin-pack): small data files of a partition are rewritten into files near the target
 * size and committed as one `replace` snapshot. The new manifest list keeps every manifest of the
 * parent that holds none of the replaced files (so a concurrent append's files stay), rewrites the
 * manifests that do (their other files EXISTING with their original sequence numbers), lists the
 * replaced files as DELETED and the new files as ADDED. Each attempt re-validates on the fresh
 * parent that every file it replaces is still live; a partition that lost one is abandoned.
 */
import type { DataFile, TableIdentifier, ManifestEntry, ManifestFile, Snapshot, TableMetadata } from '../iceberg/types.ts'
import { newSnapshotId } from '../iceberg/snapshot.ts'
import { currentSchema, currentSnapshot } from '../iceberg/table-metadata.ts'
import { partitionPath } from '../iceberg/transforms.ts'
import type { ParquetCompressors } from '../parquet/data-file.ts'
import { MaintenanceError } from './errors.ts'
import { compactionOptions, planCompaction, type CompactionGroup, type CompactionPlanOptions, type LiveDataFile } from './compaction-plan.ts'
import { createManifestReader, hasNoLiveFiles, isLive, type ManifestReader } from './manifest-reader.ts'
import { chunkEntries, MANIFEST_TARGET_BYTES_DEFAULT, specById, writeManifest } from './manifest-writer.ts'
import type { Decompressors } from '../parquet/read.ts'
import { commitReplace, type MaintenanceContext, type ReplaceAttempt } from './replace-commit.ts'
import { compressionFor } from '../table/write-data-files.ts'
import { compactedLocation, rewriteBin, type BinCompactor } from './rewrite-bin.ts'
import { tableName } from '../iceberg/table-identifier.ts'

export interface CompactOptions extends Partial<CompactionPlanOptions> {
  /** Plan and report only. */
  dryRun?: boolean
  compressors?: ParquetCompressors
  decompressors?: Decompressors
  /** Where each bin's decoding and encoding run (default: this thread). */
  compactor?: BinCompactor
  /** Re-read every new file and compare row digests before committing (default true). */
  verify?: boolean
}

export interface CompactedPartition {
  /** As its directory is named, e.g. `sensor_id=s1`. */
  partition: string
  filesBefore: number
  filesAfter: number
  bytesBefore: number
  /** Estimated (input bytes) in a dry run. */
  bytesAfter: number
  records: number
}

export interface CompactionResult {
  table: string
  dryRun: boolean
  /** The replace snapshot, when one was committed. */
  snapshotId?: bigint
  attempts: number
  partitions: CompactedPartition[]
  /** Partitions left out because a concurrent commit removed one of their files. */
  abandoned: string[]
  /** Live data files of the table before and after. */
  tableFilesBefore: number
  tableFilesAfter: number
}

interface RewrittenGroup {
  group: CompactionGroup
  inputs: DataFile[]
  outputs: DataFile[]
}

async function liveDataFiles(reader: ManifestReader, snapshot: Snapshot, name: string): Promise<{ manifests: ManifestFile[]; files: LiveDataFile[] }> {
  const manifests = await reader.manifests(snapshot)
  const files: LiveDataFile[] = []
  for (const manifest of manifests) {
    if (manifest.content === 1) {
      // Why: rewriting data files under position/equality deletes would need the deletes applied
      // (or re-pointed); without that a rewrite could resurrect deleted rows.
      if (!hasNoLiveFiles(manifest)) throw new MaintenanceError('DELETE_FILES_PRESENT', `table ${name} has delete files; compaction of row-level deletes is not supported`)
      continue
    }
    for (const entry of await reader.entries(manifest)) if (isLive(entry)) files.push({ specId: manifest['partition-spec-id'], entry })
  }
  return { manifests, files }
}

/** `sensor_id=s1/day=2026-01-01`, as the partition's directory is named. */
function partitionLabel(metadata: TableMetadata, group: CompactionGroup): string {
  const spec = specById(metadata, group.specId)
  return spec.fields.length ? partitionPath(spec, currentSchema(metadata), group.partition) : '(unpartitioned)'
}

const sum = (files: DataFile[], key: 'file-size-in-bytes' | 'record-count'): number => files.reduce((total, f) => total + f[key], 0)

/**
 * Compacts one table. Returns what was (or, with `dryRun`, would be) rewritten; a table without
 * small files returns no partitions and commits nothing.
 * @throws MaintenanceError `DELETE_FILES_PRESENT`, `CONTENT_MISMATCH`, `UNREADABLE_DATA_FILE`,
 *   `FILES_GONE` (every partition lost a file to concurrent commits); CommitConflictError /
 *   CommitStateUnknownError (COMMIT_CONFLICT / COMMIT_STATE_UNKNOWN) from the commit loop.
 */
export async function compactTable(context: MaintenanceContext, identifier: TableIdentifier, options: CompactOptions = {}): Promise<CompactionResult> {
  const name = tableName(identifier)
  const log = context.log ?? (() => {})
  const table = await context.catalog.loadTable(identifier)
  const result: CompactionResult = { table: name, dryRun: options.dryRun ?? false, attempts: 0, partitions: [], abandoned: [], tableFilesBefore: 0, tableFilesAfter: 0 }
  const parent = currentSnapshot(table.metadata)
  if (!parent) return result
  const reader = createManifestReader(context.io)
  const live = await liveDataFiles(reader, parent, name)
  result.tableFilesBefore = result.tableFilesAfter = live.files.length
  const groups = planCompaction(live.files, compactionOptions(table.metadata.properties, options))
  if (groups.length === 0) return result
  if (result.dryRun) {
    for (const group of groups) {
      const inputs = group.bins.flat()
      const bytes = sum(inputs, 'file-size-in-bytes')
      result.partitions.push({ partition: partitionLabel(table.metadata, group), filesBefore: inputs.length, filesAfter: group.bins.length, bytesBefore: bytes, bytesAfter: bytes, records: sum(inputs, 'record-count') })
    }
    result.tableFilesAfter = result.tableFilesBefore - result.partitions.reduce((n, p) => n + p.filesBefore - p.filesAfter, 0)
    return result
  }

  const metadata = table.metadata
  const schema = currentSchema(metadata)
  const compression = compressionFor(metadata.properties, options.compressors)
  const snapshotId = newSnapshotId()
  const written: string[] = []
  const rewritten: RewrittenGroup[] = []
  try {
    for (const [g, group] of groups.entries()) {
      const spec = specById(metadata, group.specId)
      const outputs: DataFile[] = []
      for (const [b, bin] of group.bins.entries()) {
        const location = compactedLocation(metadata, spec, schema, group.partition, `compact-${snapshotId}-${String(g).padStart(5, '0')}-${String(b).padStart(3, '0')}.parquet`)
        written.push(location)
        outputs.push(await rewriteBin({ ...options, io: context.io, metadata, schema, spec, partition: group.partition, inputs: bin, location, compression }))
      }
      rewritten.push({ group, inputs: group.bins.flat(), outputs })
    }
  } catch (error) {
    // Nothing was committed yet: these files are referenced by no snapshot.
    await Promise.allSettled(written.map((path) => context.io.delete(path)))
    throw error
  }

  let committedGroups: RewrittenGroup[] = []
  const build = async (base: Snapshot, current: TableMetadata, sequenceNumber: number, attempt: number): Promise<ReplaceAttempt> => {
    const fresh = await liveDataFiles(reader, base, name)
    const livePaths = new Set(fresh.files.map((f) => f.entry['data-file']['file-path']))
    // Why: committing a group whose input another commit already removed would resurrect its rows.
    committedGroups = rewritten.filter((r) => r.inputs.every((f) => livePaths.has(f['file-path'])))
    if (committedGroups.length === 0) throw new MaintenanceError('FILES_GONE', `table ${name}: every partition to compact lost a file to a concurrent commit`)
    const manifests = await replaceManifests(context, reader, current, fresh.manifests, committedGroups, { snapshotId, sequenceNumber, attempt, written })
    const inputs = committedGroups.flatMap((r) => r.inputs)
    const outputs = committedGroups.flatMap((r) => r.outputs)
    return {
      manifests,
      counts: {
        addedDataFiles: outputs.length,
        addedRecords: sum(outputs, 'record-count'),
        addedFilesSize: sum(outputs, 'file-size-in-bytes'),
        deletedDataFiles: inputs.length,
        deletedRecords: sum(inputs, 'record-count'),
        removedFilesSize: sum(inputs, 'file-size-in-bytes'),
        partitions: committedGroups.length,
      },
    }
  }
  const committed = await commitReplace(context, table, { snapshotId, written, build })
  const abandoned = rewritten.filter((r) => !committedGroups.includes(r))
  if (abandoned.length && !committed.uncertain) {
    // Why safe: the committed snapshot does not reference these outputs and no attempt's outcome
    // was unknown, so no other snapshot can.
    await Promise.allSettled(abandoned.flatMap((r) => r.outputs.map((f) => context.io.delete(f['file-path']))))
  }
  result.snapshotId = committed.snapshot['snapshot-id']
  result.attempts = committed.attempts
  result.abandoned = abandoned.map((r) => partitionLabel(metadata, r.group))
  for (const { group, inputs, outputs } of committedGroups) {
    result.partitions.push({
      partition: partitionLabel(metadata, group),
      filesBefore: inputs.length,
      filesAfter: outputs.length,
      bytesBefore: sum(inputs, 'file-size-in-bytes'),
      bytesAfter: sum(outputs, 'file-size-in-bytes'),
      records: sum(inputs, 'record-count'),
    })
  }
  const removed = result.partitions.reduce((n, p) => n + p.filesBefore - p.filesAfter, 0)
  result.tableFilesAfter = result.tableFilesBefore - removed
  log(`compacted table ${name} snapshot ${result.snapshotId}: ${result.partitions.length} partitions, ${removed} fewer files (${committed.attempts} attempts)`)
  return result
}

interface ManifestNaming {
  snapshotId: bigint
  sequenceNumber: number
  attempt: number
  written: string[]
}

/** The new snapshot's manifest list on `base` (see the module comment). */
async function replaceManifests(
  context: MaintenanceContext,
  reader: ManifestReader,
  metadata: TableMetadata,
  manifests: ManifestFile[],
  groups: RewrittenGroup[],
  naming: ManifestNaming,
): Promise<ManifestFile[]> {
  const replaced = new Set(groups.flatMap((r) => r.inputs.map((f) => f['file-path'])))
  const location = metadata.location.replace(/\/+$/, '')
  const target = Number.parseInt(metadata.properties['commit.manifest.target-size-bytes'] ?? '', 10) || MANIFEST_TARGET_BYTES_DEFAULT
  const kept: ManifestFile[] = []
  const existing = new Map<number, ManifestEntry[]>()
  const deleted = new Map<number, ManifestEntry[]>()
  const added = new Map<number, ManifestEntry[]>()
  const push = (map: Map<number, ManifestEntry[]>, specId: number, entry: ManifestEntry) => {
    const list = map.get(specId) ?? []
    list.push(entry)
    map.set(specId, list)
  }
  let affectedBytes = 0
  let affectedEntries = 0
  for (const manifest of manifests) {
    // A manifest without live files only records removals for the snapshot that added it.
    if (hasNoLiveFiles(manifest)) continue
    const entries = manifest.content === 0 ? await reader.entries(manifest) : []
    if (!entries.some((e) => isLive(e) && replaced.has(e['data-file']['file-path']))) {
      kept.push(manifest)
      continue
    }
    affectedBytes += manifest['manifest-length']
    affectedEntries += entries.length
    const specId = manifest['partition-spec-id']
    for (const entry of entries) {
      if (!isLive(entry)) continue
      if (replaced.has(entry['data-file']['file-path'])) push(deleted, specId, { ...entry, status: 2, 'snapshot-id': naming.snapshotId })
      else push(existing, specId, { ...entry, status: 0 })
    }
  }
  for (const { group, outputs } of groups) {
    for (const file of outputs) push(added, group.specId, { status: 1, 'snapshot-id': naming.snapshotId, 'data-file': file })
  }
  const bytesPerEntry = affectedEntries ? affectedBytes / affectedEntries : 1024
  const outputs: { specId: number; entries: ManifestEntry[]; kind: string }[] = []
  for (const [specId, entries] of added) outputs.push({ specId, entries, kind: 'added' })
  for (const [specId, entries] of existing) for (const chunk of chunkEntries(entries, target, bytesPerEntry)) outputs.push({ specId, entries: chunk, kind: 'existing' })
  for (const [specId, entries] of deleted) for (const chunk of chunkEntries(entries, target, bytesPerEntry)) outputs.push({ specId, entries: chunk, kind: 'deleted' })
  const created: ManifestFile[] = []
  for (const [i, output] of outputs.entries()) {
    const path = `${location}/metadata/compact-${naming.snapshotId}-${naming.attempt}-m${i}-${output.kind}.avro`
    naming.written.push(path)
    created.push(await writeManifest(context.io, metadata, { path, specId: output.specId, entries: output.entries, snapshotId: naming.snapshotId, sequenceNumber: naming.sequenceNumber }))
  }
  return [...created, ...kept]
}
