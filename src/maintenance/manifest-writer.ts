/** Writes one v2 (v3 on v3 tables) data or delete manifest and returns its manifest-list row (counts, partition summaries, min sequence number). */
import { encodeManifest } from '../iceberg/manifest.ts'
import { summarizePartitions } from '../iceberg/manifest-list.ts'
import { partitionType } from '../iceberg/partition-type.ts'
import { encodeSingleValue } from '../iceberg/single-value.ts'
import { currentSchema } from '../iceberg/table-metadata.ts'
import type { ManifestEntry, ManifestFile, PartitionSpec, TableMetadata } from '../iceberg/types.ts'
import type { FileIO } from '../storage/file-io.ts'
import { MaintenanceError } from './errors.ts'

export interface ManifestOutput {
  path: string
  specId: number
  /** EXISTING and DELETED entries carry explicit ids and sequence numbers; ADDED ones may inherit. */
  entries: ManifestEntry[]
  /** The snapshot that adds this manifest and its sequence number. */
  snapshotId: bigint
  sequenceNumber: number
  /** 0 data files (default), 1 delete files (position deletes, deletion vectors). */
  content?: 0 | 1
}

/** Default `commit.manifest.target-size-bytes` (Iceberg's: 8 MiB). */
export const MANIFEST_TARGET_BYTES_DEFAULT = 8 * 1024 * 1024

/** Throws MaintenanceError `UNKNOWN_SPEC` when the table has no spec with this id. */
export function specById(metadata: TableMetadata, specId: number): PartitionSpec {
  const spec = metadata['partition-specs'].find((s) => s['spec-id'] === specId)
  if (!spec) throw new MaintenanceError('UNKNOWN_SPEC', `partition spec ${specId} is not in the table metadata`, { context: { specId } })
  return spec
}

/**
 * Encodes and stores the manifest. The list row's `min-sequence-number` is the lowest data
 * sequence number among live entries (the spec's definition; DELETED entries do not count), or
 * the manifest's own when it holds none.
 * @throws ValidationError `VALIDATION` from the encoder; StorageError from the write.
 */
export async function writeManifest(io: FileIO, metadata: TableMetadata, output: ManifestOutput): Promise<ManifestFile> {
  const schema = currentSchema(metadata)
  const spec = specById(metadata, output.specId)
  const fields = partitionType(spec, schema)
  // On v3 tables carried entries keep their (made explicit) first-row-id, so rows keep their ids.
  const formatVersion = metadata['format-version'] >= 3 ? 3 : 2
  const content = output.content ?? 0
  const bytes = await encodeManifest({ schema, spec, partitionType: fields, entries: output.entries, formatVersion, content })
  await io.write(output.path, bytes)
  const counts = { added: [0, 0], existing: [0, 0], deleted: [0, 0] }
  let minSequence: number | undefined
  for (const entry of output.entries) {
    const bucket = entry.status === 1 ? counts.added : entry.status === 0 ? counts.existing : counts.deleted
    bucket[0]! += 1
    bucket[1]! += entry['data-file']['record-count']
    if (entry.status !== 2) {
      const sequence = entry['sequence-number'] ?? output.sequenceNumber
      if (minSequence === undefined || sequence < minSequence) minSequence = sequence
    }
  }
  return {
    'manifest-path': output.path,
    'manifest-length': bytes.length,
    'partition-spec-id': output.specId,
    content,
    'sequence-number': output.sequenceNumber,
    'min-sequence-number': minSequence ?? output.sequenceNumber,
    'added-snapshot-id': output.snapshotId,
    'added-files-count': counts.added[0]!,
    'existing-files-count': counts.existing[0]!,
    'deleted-files-count': counts.deleted[0]!,
    'added-rows-count': counts.added[1]!,
    'existing-rows-count': counts.existing[1]!,
    'deleted-rows-count': counts.deleted[1]!,
    partitions: summarizePartitions(fields, output.entries.map((e) => e['data-file'].partition), encodeSingleValue),
  }
}

/**
 * Splits entries into runs whose estimated manifest size stays under `targetBytes`, estimating
 * each entry at `bytesPerEntry` (measured from the manifests they came from).
 */
export function chunkEntries(entries: ManifestEntry[], targetBytes: number, bytesPerEntry: number): ManifestEntry[][] {
  const perChunk = Math.max(1, Math.floor(targetBytes / Math.max(1, bytesPerEntry)))
  const chunks: ManifestEntry[][] = []
  for (let i = 0; i < entries.length; i += perChunk) chunks.push(entries.slice(i, i + perChunk))
  return chunks
}
