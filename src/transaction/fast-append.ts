/**
 * Fast append: one new manifest for the new data files, the parent's manifests kept as they are,
 * one `append` snapshot on `main`, through the shared commit loop (commit-snapshot.ts). The
 * manifest does not depend on the parent — ADDED entries inherit their sequence number from the
 * manifest list — so it is written once and serves every attempt.
 */
import type { Catalog, LoadedTable } from '../catalog/catalog.ts'
import { CommitConflictError, IngestError, NotFoundError } from '../errors.ts'
import { encodeManifest } from '../iceberg/manifest.ts'
import { decodeManifestList, summarizePartitions } from '../iceberg/manifest-list.ts'
import { partitionType } from '../iceberg/partition-type.ts'
import { encodeSingleValue } from '../iceberg/single-value.ts'
import { appendSummary, newSnapshotId } from '../iceberg/snapshot.ts'
import { currentSchema, defaultSpec } from '../iceberg/table-metadata.ts'
import type { DataFile, ManifestFile, Snapshot, TableMetadata } from '../iceberg/types.ts'
import type { FileIO } from '../storage/file-io.ts'
import { commitSnapshot } from './commit-snapshot.ts'
import { tableName } from '../iceberg/table-identifier.ts'

export interface AppendRequest {
  dataFiles: DataFile[]
  /**
   * Extra snapshot-summary properties, computed from the metadata (and its current snapshot, the
   * parent) each attempt builds on, so progress markers (offsets, WAL positions) can carry the
   * table's complete state forward.
   */
  summary?: (parent: Snapshot | undefined, metadata: TableMetadata) => Record<string, string>
  /** Table properties to set in the same commit, computed like `summary`. */
  properties?: (parent: Snapshot | undefined, metadata: TableMetadata) => Record<string, string>
  /**
   * Commit only while the table's current schema and default spec are the ones the files were
   * written in (`assert-current-schema-id`, `assert-default-spec-id`): after another writer changed
   * either, the attempt conflicts and the append throws SCHEMA_CHANGED, so the caller can write the
   * rows again in the new layout. Without it the files keep their layout, which Iceberg allows.
   */
  requireCurrentLayout?: boolean
  /** Fix the snapshot id yourself (e.g. to record it before committing); random otherwise. */
  snapshotId?: bigint
}

export interface AppendContext {
  catalog: Catalog
  io: FileIO
  table: LoadedTable
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  /** One line per retry or recovery event. */
  log?: (line: string) => void
}

export interface AppendResult {
  snapshot: Snapshot
  table: LoadedTable
  attempts: number
}

const partitionKey = (partition: unknown[]) => JSON.stringify(partition, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))

/**
 * Appends data files as one snapshot. Throws CommitConflictError after the retry budget,
 * CommitStateUnknownError when the outcome could not be established (files are then kept),
 * IngestError SCHEMA_CHANGED when the table's schema or spec changed under the files.
 */
export async function fastAppend(context: AppendContext, request: AppendRequest): Promise<AppendResult> {
  const base = context.table.metadata
  const name = tableName(context.table.identifier)
  const schema = currentSchema(base)
  const spec = defaultSpec(base)
  const partitionFields = partitionType(spec, schema)
  const snapshotId = request.snapshotId ?? newSnapshotId()
  const manifestPath = `${base.location.replace(/\/+$/, '')}/metadata/${crypto.randomUUID()}-m0.avro`
  const manifestBytes = await encodeManifest({
    schema,
    spec,
    // A v3 table's new files carry no first_row_id: they inherit row ids from the manifest list (row-lineage.ts).
    formatVersion: base['format-version'] >= 3 ? 3 : 2,
    partitionType: partitionFields,
    entries: request.dataFiles.map((dataFile) => ({ status: 1, 'snapshot-id': snapshotId, 'data-file': dataFile })),
  })
  await context.io.write(manifestPath, manifestBytes)
  const added = {
    dataFiles: request.dataFiles.length,
    records: request.dataFiles.reduce((sum, f) => sum + f['record-count'], 0),
    fileSizeBytes: request.dataFiles.reduce((sum, f) => sum + f['file-size-in-bytes'], 0),
    partitions: new Set(request.dataFiles.map((f) => partitionKey(f.partition))).size,
  }
  const partitionSummaries = summarizePartitions(
    partitionFields,
    request.dataFiles.map((f) => f.partition),
    encodeSingleValue,
  )
  const parentManifests = new Map<bigint, ManifestFile[]>()
  const manifestsOf = async (parent: Snapshot | undefined): Promise<ManifestFile[]> => {
    if (!parent) return []
    const cached = parentManifests.get(parent['snapshot-id'])
    if (cached) return cached
    try {
      const manifests = await decodeManifestList(await context.io.read(parent['manifest-list']))
      parentManifests.set(parent['snapshot-id'], manifests)
      return manifests
    } catch (error) {
      // Our metadata is stale and its current snapshot was expired meanwhile (maintenance):
      // the table moved on, which is a conflict — reload and build on the new parent.
      if (error instanceof NotFoundError) throw new CommitConflictError(`parent manifest list is gone: ${parent['manifest-list']}`, { cause: error })
      throw error
    }
  }

  const result = await commitSnapshot(context, context.table, {
    snapshotId,
    written: [manifestPath],
    async build(metadata, parent, sequenceNumber) {
      if (metadata['default-spec-id'] !== spec['spec-id'] || metadata['current-schema-id'] !== schema['schema-id']) {
        throw new IngestError('SCHEMA_CHANGED', `table ${name} changed schema or partition spec during the append; rewrite the files for the new layout`, {
          context: { table: name },
        })
      }
      const ours: ManifestFile = {
        'manifest-path': manifestPath,
        'manifest-length': manifestBytes.length,
        'partition-spec-id': spec['spec-id'],
        content: 0,
        'sequence-number': sequenceNumber,
        'min-sequence-number': sequenceNumber,
        'added-snapshot-id': snapshotId,
        'added-files-count': added.dataFiles,
        'existing-files-count': 0,
        'deleted-files-count': 0,
        'added-rows-count': added.records,
        'existing-rows-count': 0,
        'deleted-rows-count': 0,
        partitions: partitionSummaries,
      }
      return {
        manifests: [ours, ...(await manifestsOf(parent))],
        summary: appendSummary(parent?.summary, added, request.summary?.(parent, metadata) ?? {}),
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
  return { snapshot: result.snapshot, table: result.table, attempts: result.attempts }
}
