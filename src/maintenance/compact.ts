/**
 * Compaction (bin-pack): small data files of a partition — and every data file with row-level deletes —
 * are rewritten, their deleted rows left out, into files near the target size and committed as one
 * `replace` snapshot. The new manifest list keeps every manifest of the parent that holds none of the
 * replaced files (so a concurrent append's files stay), rewrites the manifests that do (their other
 * files EXISTING with their original sequence numbers), lists the replaced files as DELETED and the
 * new files as ADDED; DVs and position-delete files that then reference no live data file are DELETED
 * too. Each attempt re-validates on the fresh parent that every file it replaces is still live and has
 * exactly the deletes the rewrite applied; a partition that lost a file or gained a delete (a
 * concurrent upsert) is abandoned, so no deleted row comes back.
 */
import { buildDeleteIndex, noDeletes, type ApplicableDeletes, type DeleteIndex, type LiveFile } from '../deletes/delete-index.ts'
import { createDeleteLoader, type DeleteLoader } from '../deletes/delete-loader.ts'
import { liveFilesOf } from '../deletes/live-files.ts'
import { isDeletionVector } from '../deletes/position-delete-file.ts'
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
  /** Rows left out because deletes removed them, and the DVs / position-delete files dropped with them. */
  deletedRows: number
  deleteFilesRemoved: number
}

interface RewrittenGroup {
  group: CompactionGroup
  inputs: DataFile[]
  outputs: DataFile[]
  /** Per input location: which delete files the rewrite applied (see deletesKey). */
  applied: Map<string, string>
  deletedRows: number
}

interface LiveTableFiles {
  manifests: ManifestFile[]
  files: LiveDataFile[]
  /** Live DVs and position-delete files, and which apply to which data file. */
  deletes: LiveFile[]
  index: DeleteIndex
  /** The data sequence number of each live data file, by location. */
  sequences: Map<string, number>
}

/** @throws MaintenanceError `DELETE_FILES_PRESENT` naming an equality-delete file (not applied by this compaction). */
async function liveTableFiles(reader: ManifestReader, snapshot: Snapshot, name: string): Promise<LiveTableFiles> {
  const manifests = await reader.manifests(snapshot)
  const data: { specId: number; entry: ManifestEntry; live: LiveFile }[] = []
  const deletes: LiveFile[] = []
  for (const manifest of manifests) {
    if (hasNoLiveFiles(manifest)) continue
    const entries = (await reader.entries(manifest)).filter(isLive)
    const live = liveFilesOf(manifest, entries)
    if (manifest.content === 1) {
      deletes.push(...live)
      continue
    }
    entries.forEach((entry, i) => data.push({ specId: manifest['partition-spec-id'], entry, live: live[i]! }))
  }
  const equality = deletes.find((d) => d.file.content === 2)
  // Why: rewriting data files under equality deletes would need them applied; a plain rewrite would resurrect rows.
  if (equality) throw new MaintenanceError('DELETE_FILES_PRESENT', `table ${name} has equality-delete file ${equality.file['file-path']}; compaction applies deletion vectors and position deletes, not equality deletes`)
  const index = buildDeleteIndex(deletes)
  const files = data.map(({ specId, entry, live }) => ({ specId, entry, ...(deletes.length && !noDeletes(index.forDataFile(live)) ? { hasDeletes: true } : {}) }))
  return { manifests, files, deletes, index, sequences: new Map(data.map((d) => [d.entry['data-file']['file-path'], d.live.sequenceNumber])) }
}

/** Identity of the delete files that apply to a data file: a concurrent upsert adding or merging one changes it. */
function deletesKey(applicable: ApplicableDeletes): string {
  const ids = [...(applicable.deletionVector ? [applicable.deletionVector] : []), ...applicable.positionDeletes].map((d) => `${d.file['file-path']}@${d.file['content-offset'] ?? ''}`)
  return ids.sort().join('|')
}

const deleteFileKey = (file: DataFile) => `${file.content}:${file['file-path']}@${file['content-offset'] ?? ''}`

function applicableTo(live: LiveTableFiles, specId: number, file: DataFile): ApplicableDeletes {
  return live.index.forDataFile({ file, specId, sequenceNumber: live.sequences.get(file['file-path']) ?? 0 })
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
 * @throws MaintenanceError `DELETE_FILES_PRESENT` (equality deletes), `CONTENT_MISMATCH`, `UNREADABLE_DATA_FILE`,
 *   `FILES_GONE` (every partition lost a file, or gained deletes, to concurrent commits); DeleteError /
 *   PuffinError for a delete file that cannot be read; CommitConflictError / CommitStateUnknownError
 *   (COMMIT_CONFLICT / COMMIT_STATE_UNKNOWN) from the commit loop.
 */
export async function compactTable(context: MaintenanceContext, identifier: TableIdentifier, options: CompactOptions = {}): Promise<CompactionResult> {
  const name = tableName(identifier)
  const log = context.log ?? (() => {})
  const table = await context.catalog.loadTable(identifier)
  const result: CompactionResult = {
    table: name,
    dryRun: options.dryRun ?? false,
    attempts: 0,
    partitions: [],
    abandoned: [],
    tableFilesBefore: 0,
    tableFilesAfter: 0,
    deletedRows: 0,
    deleteFilesRemoved: 0,
  }
  const parent = currentSnapshot(table.metadata)
  if (!parent) return result
  const reader = createManifestReader(context.io)
  const loader = createDeleteLoader(context.io, options.decompressors ? { decompressors: options.decompressors } : {})
  const live = await liveTableFiles(reader, parent, name)
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
      const applied = new Map<string, string>()
      const deleted = new Map<string, number[]>()
      for (const input of group.bins.flat()) {
        const applicable = applicableTo(live, group.specId, input)
        applied.set(input['file-path'], deletesKey(applicable))
        if (!noDeletes(applicable)) deleted.set(input['file-path'], await loader.positions(input['file-path'], applicable))
      }
      for (const [b, bin] of group.bins.entries()) {
        const location = compactedLocation(metadata, spec, schema, group.partition, `compact-${snapshotId}-${String(g).padStart(5, '0')}-${String(b).padStart(3, '0')}.parquet`)
        written.push(location)
        const output = await rewriteBin({ ...options, io: context.io, metadata, schema, spec, partition: group.partition, inputs: bin, deleted, sequences: live.sequences, location, compression })
        if (output) outputs.push(output)
      }
      const deletedRows = [...deleted.values()].reduce((n, positions) => n + positions.length, 0)
      rewritten.push({ group, inputs: group.bins.flat(), outputs, applied, deletedRows })
    }
  } catch (error) {
    // Nothing was committed yet: these files are referenced by no snapshot.
    await Promise.allSettled(written.map((path) => context.io.delete(path)))
    throw error
  }

  let committedGroups: RewrittenGroup[] = []
  let removedDeletes: DataFile[] = []
  const build = async (base: Snapshot, current: TableMetadata, sequenceNumber: number, attempt: number): Promise<ReplaceAttempt> => {
    const fresh = await liveTableFiles(reader, base, name)
    const livePaths = new Set(fresh.files.map((f) => f.entry['data-file']['file-path']))
    // Why: committing a group whose input another commit already removed would resurrect its rows; one
    // whose input gained or changed deletes since the rewrite (a concurrent upsert) would lose those deletes.
    const intact = rewritten.filter((r) => r.inputs.every((f) => livePaths.has(f['file-path'])))
    committedGroups = intact.filter((r) => r.inputs.every((f) => deletesKey(applicableTo(fresh, r.group.specId, f)) === r.applied.get(f['file-path'])))
    if (committedGroups.length === 0) {
      const why = intact.length ? 'gained row-level deletes in' : 'lost a file to'
      throw new MaintenanceError('FILES_GONE', `table ${name}: every partition to compact ${why} a concurrent commit`)
    }
    const replaced = new Set(committedGroups.flatMap((r) => r.inputs.map((f) => f['file-path'])))
    removedDeletes = await unreferencedDeletes(loader, fresh.deletes, new Set([...livePaths].filter((p) => !replaced.has(p))))
    const manifests = await replaceManifests(context, reader, current, fresh.manifests, committedGroups, removedDeletes, { snapshotId, sequenceNumber, attempt, written })
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
        removedFilesSize: sum(inputs, 'file-size-in-bytes') + uniqueFileBytes(removedDeletes),
        partitions: committedGroups.length,
        removedDeleteFiles: removedDeletes.length,
        removedDeletionVectors: removedDeletes.filter(isDeletionVector).length,
        removedPositionDeletes: sum(removedDeletes, 'record-count'),
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
  result.deletedRows = committedGroups.reduce((n, r) => n + r.deletedRows, 0)
  result.deleteFilesRemoved = removedDeletes.length
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
  const deletes = result.deleteFilesRemoved ? `, ${result.deletedRows} deleted rows applied, ${result.deleteFilesRemoved} delete files dropped` : ''
  log(`compacted table ${name} snapshot ${result.snapshotId}: ${result.partitions.length} partitions, ${removed} fewer files${deletes} (${committed.attempts} attempts)`)
  return result
}

interface ManifestNaming {
  snapshotId: bigint
  sequenceNumber: number
  attempt: number
  written: string[]
}

/** Live DVs and position-delete files none of whose data files stays live: the rows they delete are gone. */
async function unreferencedDeletes(loader: DeleteLoader, deletes: readonly LiveFile[], liveAfter: ReadonlySet<string>): Promise<DataFile[]> {
  const out: DataFile[] = []
  for (const { file } of deletes) {
    if (file.content !== 1) continue
    const referenced = await loader.referencedDataFiles(file)
    if (!referenced.some((path) => liveAfter.has(path))) out.push(file)
  }
  return out
}

/** Bytes of the distinct files among `files` (the DVs of one Puffin file share it). */
function uniqueFileBytes(files: readonly DataFile[]): number {
  return [...new Map(files.map((f) => [f['file-path'], f['file-size-in-bytes']])).values()].reduce((a, b) => a + b, 0)
}

/** The new snapshot's manifest list on `base` (see the module comment). */
async function replaceManifests(
  context: MaintenanceContext,
  reader: ManifestReader,
  metadata: TableMetadata,
  manifests: ManifestFile[],
  groups: RewrittenGroup[],
  removedDeletes: readonly DataFile[],
  naming: ManifestNaming,
): Promise<ManifestFile[]> {
  const replaced = new Set(groups.flatMap((r) => r.inputs.map((f) => f['file-path'])))
  const droppedDeletes = new Set(removedDeletes.map(deleteFileKey))
  const removes = (manifest: ManifestFile, file: DataFile) => (manifest.content === 0 ? replaced.has(file['file-path']) : droppedDeletes.has(deleteFileKey(file)))
  const location = metadata.location.replace(/\/+$/, '')
  const target = Number.parseInt(metadata.properties['commit.manifest.target-size-bytes'] ?? '', 10) || MANIFEST_TARGET_BYTES_DEFAULT
  const kept: ManifestFile[] = []
  // Keyed by `${content}/${specId}`: a manifest holds one spec and data or delete files, never both.
  const existing = new Map<string, ManifestEntry[]>()
  const deleted = new Map<string, ManifestEntry[]>()
  const added = new Map<string, ManifestEntry[]>()
  const push = (map: Map<string, ManifestEntry[]>, key: string, entry: ManifestEntry) => {
    const list = map.get(key) ?? []
    list.push(entry)
    map.set(key, list)
  }
  let affectedBytes = 0
  let affectedEntries = 0
  for (const manifest of manifests) {
    // A manifest without live files only records removals for the snapshot that added it.
    if (hasNoLiveFiles(manifest)) continue
    const entries = await reader.entries(manifest)
    if (!entries.some((e) => isLive(e) && removes(manifest, e['data-file']))) {
      kept.push(manifest)
      continue
    }
    affectedBytes += manifest['manifest-length']
    affectedEntries += entries.length
    const key = `${manifest.content}/${manifest['partition-spec-id']}`
    for (const entry of entries) {
      if (!isLive(entry)) continue
      if (removes(manifest, entry['data-file'])) push(deleted, key, { ...entry, status: 2, 'snapshot-id': naming.snapshotId })
      else push(existing, key, { ...entry, status: 0 })
    }
  }
  for (const { group, outputs } of groups) {
    for (const file of outputs) push(added, `0/${group.specId}`, { status: 1, 'snapshot-id': naming.snapshotId, 'data-file': file })
  }
  const bytesPerEntry = affectedEntries ? affectedBytes / affectedEntries : 1024
  const outputs: { key: string; entries: ManifestEntry[]; kind: string }[] = []
  for (const [key, entries] of added) outputs.push({ key, entries, kind: 'added' })
  for (const [key, entries] of existing) for (const chunk of chunkEntries(entries, target, bytesPerEntry)) outputs.push({ key, entries: chunk, kind: 'existing' })
  for (const [key, entries] of deleted) for (const chunk of chunkEntries(entries, target, bytesPerEntry)) outputs.push({ key, entries: chunk, kind: 'deleted' })
  const created: ManifestFile[] = []
  for (const [i, output] of outputs.entries()) {
    const [content, specId] = output.key.split('/').map(Number) as [0 | 1, number]
    const path = `${location}/metadata/compact-${naming.snapshotId}-${naming.attempt}-m${i}-${output.kind}.avro`
    naming.written.push(path)
    created.push(await writeManifest(context.io, metadata, { path, specId, entries: output.entries, snapshotId: naming.snapshotId, sequenceNumber: naming.sequenceNumber, content }))
  }
  return [...created, ...kept]
}
