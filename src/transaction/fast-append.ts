/**
 * Fast append: one new manifest for the new data files, the parent's manifests kept as they are,
 * one snapshot on `main`. The commit loop has three outcomes (CONVENTIONS 5):
 * committed; conflict → reload, rebuild the manifest list on the fresh parent, retry with jitter;
 * unknown → reload and look for our snapshot id before anything else. The snapshot id and the
 * manifest are fixed before the first attempt, so a retry can never add the same files twice.
 */
import type { Catalog, LoadedTable } from '../catalog/catalog.ts'
import { CommitConflictError, CommitStateUnknownError, IngestError, NotFoundError } from '../errors.ts'
import { encodeManifest } from '../iceberg/manifest.ts'
import { decodeManifestList, encodeManifestList, summarizePartitions } from '../iceberg/manifest-list.ts'
import { partitionType } from '../iceberg/partition-type.ts'
import type { TableRequirement } from '../iceberg/requirements.ts'
import { encodeSingleValue } from '../iceberg/single-value.ts'
import { appendSummary, newSnapshotId } from '../iceberg/snapshot.ts'
import { currentSchema, currentSnapshot, defaultSpec } from '../iceberg/table-metadata.ts'
import type { DataFile, ManifestFile, Snapshot, TableIdentifier } from '../iceberg/types.ts'
import type { TableUpdate } from '../iceberg/updates.ts'
import type { FileIO } from '../storage/file-io.ts'
import { backoffMs, commitRetryPolicy } from './commit-retry.ts'

export interface AppendRequest {
  dataFiles: DataFile[]
  /**
   * Extra snapshot-summary properties, computed from the parent the attempt builds on, so
   * progress markers (offsets, WAL positions) can carry the parent's complete state forward.
   */
  summary?: (parent: Snapshot | undefined) => Record<string, string>
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

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const fullName = (id: TableIdentifier) => [...id.namespace, id.name].join('.')

/**
 * Appends data files as one snapshot. Throws CommitConflictError after the retry budget,
 * CommitStateUnknownError when the outcome could not be established (files are then kept).
 */
export async function fastAppend(context: AppendContext, request: AppendRequest): Promise<AppendResult> {
  const now = context.now ?? Date.now
  const sleep = context.sleep ?? defaultSleep
  const log = context.log ?? (() => {})
  const identifier = context.table.identifier
  const name = fullName(identifier)
  const base = context.table.metadata
  const schema = currentSchema(base)
  const spec = defaultSpec(base)
  const partitionFields = partitionType(spec, schema)
  const snapshotId = request.snapshotId ?? newSnapshotId()
  const commitUuid = crypto.randomUUID()
  const location = base.location.replace(/\/+$/, '')
  const policy = commitRetryPolicy(base.properties)

  // The manifest does not depend on the parent: ADDED entries inherit their sequence number
  // from the manifest list, so one manifest serves every attempt.
  const manifestPath = `${location}/metadata/${commitUuid}-m0.avro`
  const manifestBytes = await encodeManifest({
    schema,
    spec,
    partitionType: partitionFields,
    entries: request.dataFiles.map((dataFile) => ({ status: 1, 'snapshot-id': snapshotId, 'data-file': dataFile })),
  })
  await context.io.write(manifestPath, manifestBytes)
  const addedRows = request.dataFiles.reduce((sum, f) => sum + f['record-count'], 0)
  const addedBytes = request.dataFiles.reduce((sum, f) => sum + f['file-size-in-bytes'], 0)
  const partitionKeys = new Set(request.dataFiles.map((f) => JSON.stringify(f.partition, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))))
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
    const manifests = await decodeManifestList(await context.io.read(parent['manifest-list']))
    parentManifests.set(parent['snapshot-id'], manifests)
    return manifests
  }

  let table = context.table
  let sawUnknown = false
  const started = now()
  for (let attempt = 1; ; attempt++) {
    const metadata = table.metadata
    if (metadata['default-spec-id'] !== spec['spec-id'] || metadata['current-schema-id'] !== schema['schema-id']) {
      throw new IngestError('SCHEMA_CHANGED', `table ${name} changed schema or partition spec during the append; rewrite the files for the new layout`, {
        context: { table: name },
      })
    }
    const parent = currentSnapshot(metadata)
    const sequenceNumber = metadata['last-sequence-number'] + 1
    const ours: ManifestFile = {
      'manifest-path': manifestPath,
      'manifest-length': manifestBytes.length,
      'partition-spec-id': spec['spec-id'],
      content: 0,
      'sequence-number': sequenceNumber,
      'min-sequence-number': sequenceNumber,
      'added-snapshot-id': snapshotId,
      'added-files-count': request.dataFiles.length,
      'existing-files-count': 0,
      'deleted-files-count': 0,
      'added-rows-count': addedRows,
      'existing-rows-count': 0,
      'deleted-rows-count': 0,
      partitions: partitionSummaries,
    }
    let parentManifestFiles: ManifestFile[]
    try {
      parentManifestFiles = await manifestsOf(parent)
    } catch (error) {
      // Our metadata is stale and its current snapshot was expired meanwhile (maintenance): the
      // table has moved on, which is a conflict — reload and build on the new parent.
      if (!(error instanceof NotFoundError) || attempt > policy.numRetries) throw error
      log(`commit ${name} snapshot ${snapshotId} attempt ${attempt}: parent manifest list is gone (${error.message}); reloading`)
      table = await context.catalog.loadTable(identifier)
      continue
    }
    // A new manifest-list name per attempt: an attempt with an unknown outcome may still be referenced.
    const manifestListPath = `${location}/metadata/snap-${snapshotId}-${attempt}-${commitUuid}.avro`
    await context.io.write(
      manifestListPath,
      await encodeManifestList({
        snapshotId,
        parentSnapshotId: parent?.['snapshot-id'],
        sequenceNumber,
        manifests: [ours, ...parentManifestFiles],
      }),
    )
    const snapshot: Snapshot = {
      'snapshot-id': snapshotId,
      ...(parent ? { 'parent-snapshot-id': parent['snapshot-id'] } : {}),
      'sequence-number': sequenceNumber,
      'timestamp-ms': Math.max(now(), metadata['last-updated-ms']),
      'manifest-list': manifestListPath,
      summary: appendSummary(
        parent?.summary,
        { dataFiles: request.dataFiles.length, records: addedRows, fileSizeBytes: addedBytes, partitions: partitionKeys.size },
        request.summary?.(parent) ?? {},
      ),
      'schema-id': schema['schema-id'],
    }
    const requirements: TableRequirement[] = [
      { type: 'assert-table-uuid', uuid: metadata['table-uuid'] },
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent?.['snapshot-id'] ?? null },
    ]
    const updates: TableUpdate[] = [
      { action: 'add-snapshot', snapshot },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId },
    ]
    try {
      table = await context.catalog.commitTable(identifier, { requirements, updates })
      return { snapshot, table, attempts: attempt }
    } catch (error) {
      const conflict = error instanceof CommitConflictError
      const unknown = error instanceof CommitStateUnknownError
      if (!conflict && !unknown) throw error
      sawUnknown ||= unknown
      const outOfBudget = attempt > policy.numRetries || now() - started > policy.totalTimeoutMs
      log(`commit ${name} snapshot ${snapshotId} attempt ${attempt}: ${conflict ? 'conflict' : 'outcome unknown'} (${(error as Error).message})`)
      // Whatever happened, the truth is in the catalog: reload before deciding.
      try {
        table = await context.catalog.loadTable(identifier)
      } catch (reloadError) {
        if (outOfBudget) throw new CommitStateUnknownError(`commit ${name} snapshot ${snapshotId}: could not reload to check the outcome`, { cause: reloadError })
        await sleep(backoffMs(policy, attempt))
        continue
      }
      const landed = table.metadata.snapshots.find((s) => s['snapshot-id'] === snapshotId)
      if (landed) {
        log(`commit ${name} snapshot ${snapshotId}: found committed after ${conflict ? 'conflict' : 'unknown outcome'}`)
        return { snapshot: landed, table, attempts: attempt }
      }
      if (outOfBudget) {
        if (!sawUnknown) {
          // Every attempt was definitely rejected, so none of these files is referenced.
          await Promise.allSettled([
            context.io.delete(manifestPath),
            ...Array.from({ length: attempt }, (_, i) => context.io.delete(`${location}/metadata/snap-${snapshotId}-${i + 1}-${commitUuid}.avro`)),
          ])
        }
        throw error
      }
      await sleep(backoffMs(policy, attempt))
    }
  }
}
