/**
 * Row delta: one snapshot that adds data files and deletes rows of live data files by position — deletion vectors on
 * format v3 tables (one per data file: an existing DV is merged into the new one and removed), position-delete files
 * on v2 — through the shared commit loop (commit-snapshot.ts), with the caller's summary markers carried like a fast
 * append. Every attempt re-validates on the fresh parent that each data file it deletes from is still live: after a
 * concurrent commit removed one (compaction rewrote its rows into another file) the deletes would miss those rows, so
 * the commit fails with DATA_FILE_GONE and the caller computes them again.
 */
import type { LoadedTable } from '../catalog/catalog.ts'
import { buildDeleteIndex, type LiveFile } from '../deletes/delete-index.ts'
import { createDeleteLoader } from '../deletes/delete-loader.ts'
import { DeleteError } from '../deletes/errors.ts'
import { liveFilesOf } from '../deletes/live-files.ts'
import { encodePositionDeleteFile, isDeletionVector } from '../deletes/position-delete-file.ts'
import { CommitConflictError, IngestError, NotFoundError } from '../errors.ts'
import { partitionKey } from '../maintenance/compaction-plan.ts'
import { createManifestReader, type ManifestReader } from '../maintenance/manifest-reader.ts'
import { writeManifest } from '../maintenance/manifest-writer.ts'
import { newSnapshotId, rowDeltaSummary } from '../iceberg/snapshot.ts'
import { currentSchema, defaultSpec } from '../iceberg/table-metadata.ts'
import { tableName } from '../iceberg/table-identifier.ts'
import type { DataFile, ManifestEntry, ManifestFile, Snapshot, TableMetadata } from '../iceberg/types.ts'
import type { ParquetCompressors } from '../parquet/data-file.ts'
import type { Decompressors } from '../parquet/read.ts'
import { mergePositions, sortedPositions } from '../puffin/deletion-vector.ts'
import { encodeDeletionVectorFile } from '../puffin/deletion-vector-file.ts'
import { compressionFor, dataLocation } from '../table/write-data-files.ts'
import { commitSnapshot } from './commit-snapshot.ts'
import type { AppendContext, AppendRequest } from './fast-append.ts'

export interface RowDeltaContext extends AppendContext {
  /**
   * Manifests read while validating and merging; pass one per table to keep its (immutable) manifests cached across
   * commits. A fresh one per call by default.
   */
  manifestReader?: ManifestReader
  compressors?: ParquetCompressors
  decompressors?: Decompressors
}

/** As an append's request (summary, properties, requireCurrentLayout, snapshotId: see fastAppend), plus the deletes. */
export interface RowDeltaRequest extends Omit<AppendRequest, 'dataFiles'> {
  /** New data files, already written (e.g. a batch's upserted rows); may be empty. */
  dataFiles?: DataFile[]
  /**
   * Deleted row positions (0-based, any order) per data file location, spelled as its manifest entry spells it. The
   * file must be live in the table or one of `dataFiles`. Empty sets are ignored.
   */
  deletes: ReadonlyMap<string, Iterable<number>>
}

export interface RowDeltaResult {
  snapshot: Snapshot
  table: LoadedTable
  attempts: number
  /** The delete files the committed snapshot added (DVs or position-delete files). */
  deleteFiles: DataFile[]
  /** DVs the committed snapshot replaced by merged ones. */
  removedDeleteFiles: DataFile[]
}

interface TargetFile extends LiveFile {
  positions: number[]
}

interface BuiltDeletes {
  files: { file: DataFile; specId: number }[]
  manifests: ManifestFile[]
}

const sum = (files: readonly DataFile[], key: 'record-count' | 'file-size-in-bytes') => files.reduce((total, f) => total + f[key], 0)

/**
 * Commits `request` as one snapshot on main. Throws DeleteError `DATA_FILE_GONE` (a data file deleted from was removed
 * by a concurrent commit: recompute the deletes), `DATA_FILE_NOT_LIVE` (it was never live), `POSITIONS_INVALID` (a
 * position past the file's rows), `FORMAT_VERSION` (a v1 table); IngestError `SCHEMA_CHANGED` like fastAppend;
 * CommitConflictError after the retry budget; CommitStateUnknownError when the outcome could not be established
 * (files are then kept).
 */
export async function commitRowDelta(context: RowDeltaContext, request: RowDeltaRequest): Promise<RowDeltaResult> {
  const base = context.table.metadata
  const name = tableName(context.table.identifier)
  const formatVersion = base['format-version']
  if (formatVersion < 2) throw new DeleteError('FORMAT_VERSION', `table ${name} is format-version ${formatVersion}: row-level deletes need v2 or later`)
  const schema = currentSchema(base)
  const spec = defaultSpec(base)
  const snapshotId = request.snapshotId ?? newSnapshotId()
  const location = base.location.replace(/\/+$/, '')
  const dataDir = dataLocation(base)
  const reader = context.manifestReader ?? createManifestReader(context.io)
  const loader = createDeleteLoader(context.io, context.decompressors ? { decompressors: context.decompressors } : {})
  const dataFiles = request.dataFiles ?? []
  const newData = new Map(dataFiles.map((f) => [f['file-path'], f]))
  const requested = new Map<string, number[]>()
  for (const [path, positions] of request.deletes) {
    const sorted = sortedPositions(positions)
    if (sorted.length) requested.set(path, sorted)
  }
  const written: string[] = []
  const dataManifest = dataFiles.length
    ? await writeManifest(context.io, base, {
        path: `${location}/metadata/${crypto.randomUUID()}-m0.avro`,
        specId: spec['spec-id'],
        entries: dataFiles.map((dataFile) => ({ status: 1, 'snapshot-id': snapshotId, 'data-file': dataFile })),
        snapshotId,
        sequenceNumber: 0, // rewritten per attempt below: ADDED entries inherit the snapshot's
      })
    : undefined
  if (dataManifest) written.push(dataManifest['manifest-path'])
  let liveAtFirstAttempt: Set<string> | undefined
  let positionDeletes: BuiltDeletes | undefined
  let removed: LiveFile[] = []
  let added: BuiltDeletes = { files: [], manifests: [] }

  const parentManifests = async (parent: Snapshot | undefined): Promise<ManifestFile[]> => {
    if (!parent) return []
    try {
      return await reader.manifests(parent)
    } catch (error) {
      // Our metadata is stale and its snapshot was expired meanwhile: the table moved on, a conflict.
      if (error instanceof NotFoundError) throw new CommitConflictError(`parent manifest list is gone: ${parent['manifest-list']}`, { cause: error })
      throw error
    }
  }

  /** The data files deleted from, found live on this parent (or added by this commit), with their positions. */
  const targetsOn = async (manifests: ManifestFile[], sequenceNumber: number, attempt: number): Promise<TargetFile[]> => {
    const live = new Map<string, LiveFile>()
    for (const manifest of manifests) {
      if (manifest.content !== 0 || manifest['added-files-count'] + manifest['existing-files-count'] === 0) continue
      for (const file of liveFilesOf(manifest, await reader.entries(manifest))) if (requested.has(file.file['file-path'])) live.set(file.file['file-path'], file)
    }
    if (attempt === 1) liveAtFirstAttempt = new Set(live.keys())
    const targets: TargetFile[] = []
    for (const [path, positions] of requested) {
      const added = newData.get(path)
      const target = live.get(path) ?? (added ? { file: added, specId: spec['spec-id'], sequenceNumber } : undefined)
      if (!target) {
        if (liveAtFirstAttempt?.has(path)) {
          throw new DeleteError('DATA_FILE_GONE', `table ${name}: data file ${path} was removed by a concurrent commit (e.g. compaction) while deleting ${positions.length} of its rows; compute the deletes again on the current table`, {
            context: { table: name, dataFile: path },
          })
        }
        throw new DeleteError('DATA_FILE_NOT_LIVE', `table ${name}: data file ${path} is not live in the table, so its rows cannot be deleted`, { context: { table: name, dataFile: path } })
      }
      const last = positions.at(-1)!
      if (last >= target.file['record-count']) {
        throw new DeleteError('POSITIONS_INVALID', `table ${name}: position ${last} is past the ${target.file['record-count']} rows of data file ${path}`, { context: { dataFile: path } })
      }
      targets.push({ ...target, positions })
    }
    return targets
  }

  const deleteManifests = async (files: BuiltDeletes['files'], attempt: number, sequenceNumber: number): Promise<ManifestFile[]> => {
    const bySpec = new Map<number, ManifestEntry[]>()
    for (const { file, specId } of files) bySpec.set(specId, [...(bySpec.get(specId) ?? []), { status: 1, 'snapshot-id': snapshotId, 'data-file': file }])
    const out: ManifestFile[] = []
    for (const [specId, entries] of bySpec) {
      const path = `${location}/metadata/${snapshotId}-${attempt}-d${specId}.avro`
      written.push(path)
      out.push(await writeManifest(context.io, base, { path, specId, entries, snapshotId, sequenceNumber, content: 1 }))
    }
    return out
  }

  /** v2: one position-delete file per partition, written once (a live file's partition never changes). */
  const writePositionDeletes = async (targets: TargetFile[]): Promise<BuiltDeletes> => {
    const groups = new Map<string, TargetFile[]>()
    for (const t of targets) {
      const key = partitionKey(t.specId, t.file.partition)
      groups.set(key, [...(groups.get(key) ?? []), t])
    }
    const compression = compressionFor(base.properties, context.compressors)
    const files: BuiltDeletes['files'] = []
    for (const [i, group] of [...groups.values()].entries()) {
      const { bytes, metrics } = encodePositionDeleteFile(
        group.map((t) => ({ dataFile: t.file['file-path'], positions: t.positions })),
        { compression, ...(context.compressors ? { compressors: context.compressors } : {}) },
      )
      const path = `${dataDir}/delete-${snapshotId}-${String(i).padStart(5, '0')}.parquet`
      written.push(path)
      await context.io.write(path, bytes)
      files.push({ specId: group[0]!.specId, file: { content: 1, 'file-path': path, 'file-format': 'PARQUET', partition: group[0]!.file.partition, ...metrics } })
    }
    // Written once, reused by every attempt: ADDED entries inherit the sequence number the manifest list gives.
    return { files, manifests: await deleteManifests(files, 1, 0) }
  }

  /** v3: one Puffin file of merged DVs per attempt (the merge depends on the parent's DVs). */
  const writeDeletionVectors = async (targets: TargetFile[], manifests: ManifestFile[], attempt: number, sequenceNumber: number): Promise<{ built: BuiltDeletes; replaced: LiveFile[] }> => {
    const liveDeletes: LiveFile[] = []
    for (const manifest of manifests) {
      if (manifest.content !== 1 || manifest['added-files-count'] + manifest['existing-files-count'] === 0) continue
      liveDeletes.push(...liveFilesOf(manifest, await reader.entries(manifest)))
    }
    const index = buildDeleteIndex(liveDeletes)
    const replaced: LiveFile[] = []
    const vectors = []
    for (const target of targets) {
      const applicable = index.forDataFile(target)
      // A DV replaces every position delete of its file for readers, so earlier ones are merged in, never lost.
      const previous = await loader.positions(target.file['file-path'], { ...applicable, equalityDeletes: [] })
      if (applicable.deletionVector) replaced.push(applicable.deletionVector)
      vectors.push({ target, positions: previous.length ? mergePositions(previous, target.positions) : target.positions })
    }
    const { bytes, vectors: blobs } = encodeDeletionVectorFile(vectors.map((v) => ({ referencedDataFile: v.target.file['file-path'], positions: v.positions })))
    const path = `${dataDir}/dv-${snapshotId}-${attempt}.puffin`
    written.push(path)
    await context.io.write(path, bytes)
    const files = vectors.map((v, i) => ({
      specId: v.target.specId,
      file: {
        content: 1,
        'file-path': path,
        'file-format': 'PUFFIN',
        partition: v.target.file.partition,
        'record-count': blobs[i]!.cardinality,
        'file-size-in-bytes': bytes.length,
        'referenced-data-file': v.target.file['file-path'],
        'content-offset': blobs[i]!.contentOffset,
        'content-size-in-bytes': blobs[i]!.contentSizeInBytes,
      } satisfies DataFile,
    }))
    return { built: { files, manifests: await deleteManifests(files, attempt, sequenceNumber) }, replaced }
  }

  /** Rewrites each delete manifest holding a replaced DV: that entry DELETED, the others EXISTING. */
  const withoutReplaced = async (manifests: ManifestFile[], replaced: LiveFile[], attempt: number, sequenceNumber: number): Promise<ManifestFile[]> => {
    if (replaced.length === 0) return manifests
    const gone = new Set(replaced.map((r) => r.file))
    const out: ManifestFile[] = []
    for (const [i, manifest] of manifests.entries()) {
      if (manifest.content !== 1) {
        out.push(manifest)
        continue
      }
      const entries = await reader.entries(manifest)
      if (!entries.some((e) => e.status !== 2 && gone.has(e['data-file']))) {
        out.push(manifest)
        continue
      }
      const kept: ManifestEntry[] = []
      for (const entry of entries) {
        if (entry.status === 2) continue
        kept.push(gone.has(entry['data-file']) ? { ...entry, status: 2, 'snapshot-id': snapshotId } : { ...entry, status: 0 })
      }
      const path = `${location}/metadata/${snapshotId}-${attempt}-r${i}.avro`
      written.push(path)
      out.push(await writeManifest(context.io, base, { path, specId: manifest['partition-spec-id'], entries: kept, snapshotId, sequenceNumber, content: 1 }))
    }
    return out
  }

  const result = await commitSnapshot(context, context.table, {
    snapshotId,
    written,
    label: 'row delta',
    async build(metadata, parent, sequenceNumber, attempt) {
      if (dataFiles.length && (metadata['default-spec-id'] !== spec['spec-id'] || metadata['current-schema-id'] !== schema['schema-id'])) {
        throw new IngestError('SCHEMA_CHANGED', `table ${name} changed schema or partition spec during the row delta; rewrite the files for the new layout`, { context: { table: name } })
      }
      const manifests = await parentManifests(parent)
      const targets = await targetsOn(manifests, sequenceNumber, attempt)
      let kept = manifests
      removed = []
      if (targets.length === 0) added = { files: [], manifests: [] }
      else if (formatVersion === 2) added = positionDeletes ??= await writePositionDeletes(targets)
      else {
        const dvs = await writeDeletionVectors(targets, manifests, attempt, sequenceNumber)
        added = dvs.built
        removed = dvs.replaced
        kept = await withoutReplaced(manifests, removed, attempt, sequenceNumber)
      }
      // Manifests of only ADDED entries, written before the sequence number was known, take this attempt's.
      const stamped = [...(dataManifest ? [dataManifest] : []), ...added.manifests].map((m) => ({ ...m, 'sequence-number': sequenceNumber, 'min-sequence-number': sequenceNumber }))
      const addedDeletes = added.files.map((f) => f.file)
      const removedDeletes = removed.map((r) => r.file)
      const partitions = new Set([...dataFiles.map((f) => partitionKey(spec['spec-id'], f.partition)), ...added.files.map((f) => partitionKey(f.specId, f.file.partition))])
      return {
        manifests: [...stamped, ...kept],
        summary: rowDeltaSummary(
          parent?.summary,
          {
            addedDataFiles: dataFiles.length,
            addedRecords: sum(dataFiles, 'record-count'),
            addedFilesSize: sum(dataFiles, 'file-size-in-bytes') + uniqueFileBytes(addedDeletes),
            addedDeleteFiles: addedDeletes.length,
            addedDeletionVectors: addedDeletes.filter(isDeletionVector).length,
            addedPositionDeletes: sum(addedDeletes, 'record-count'),
            removedDeleteFiles: removedDeletes.length,
            removedDeletionVectors: removedDeletes.filter(isDeletionVector).length,
            removedPositionDeletes: sum(removedDeletes, 'record-count'),
            removedFilesSize: 0,
            partitions: partitions.size,
          },
          request.summary?.(parent, metadata) ?? {},
        ),
        ...(request.properties ? { properties: request.properties(parent, metadata) } : {}),
        ...(request.requireCurrentLayout
          ? {
              requirements: [
                { type: 'assert-current-schema-id', 'current-schema-id': schema['schema-id'] },
                { type: 'assert-default-spec-id', 'default-spec-id': spec['spec-id'] },
              ],
            }
          : {}),
      }
    },
  })
  return { snapshot: result.snapshot, table: result.table, attempts: result.attempts, deleteFiles: added.files.map((f) => f.file), removedDeleteFiles: removed.map((r) => r.file) }
}

/** Bytes of the distinct files among `files` (the DVs of one Puffin file share it). */
function uniqueFileBytes(files: readonly DataFile[]): number {
  const sizes = new Map(files.map((f) => [f['file-path'], f['file-size-in-bytes']]))
  return [...sizes.values()].reduce((a, b) => a + b, 0)
}
