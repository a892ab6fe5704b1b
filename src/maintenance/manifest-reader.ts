/**
 * Manifest lists and manifests read once per maintenance run, with the spec's inheritance applied
 * ("Snapshot ID Inheritance", "Sequence Number Inheritance", v3 "Row Lineage"): an entry without a snapshot id,
 * sequence numbers or first-row-id takes them from its manifest's manifest-list row. Files are immutable, so the
 * cache is keyed by path and shared by every attempt of a commit.
 */
import { decodeManifest } from '../iceberg/manifest.ts'
import { decodeManifestList } from '../iceberg/manifest-list.ts'
import { inheritRowIds } from '../iceberg/row-lineage.ts'
import type { ManifestEntry, ManifestFile, Snapshot } from '../iceberg/types.ts'
import type { FileIO } from '../storage/file-io.ts'

export interface ManifestReader {
  /** The manifest-list rows of a snapshot. Throws NotFoundError (NOT_FOUND) or a decode error (MANIFEST_LIST_INVALID, AVRO_DECODE). */
  manifests(snapshot: Snapshot): Promise<ManifestFile[]>
  /** Every entry of a manifest (any status) with inherited ids made explicit. Throws like decodeManifest. */
  entries(manifest: ManifestFile): Promise<ManifestEntry[]>
}

/** Live entries are ADDED (1) or EXISTING (0); DELETED (2) entries only record a removal. */
export const isLive = (entry: ManifestEntry): boolean => entry.status !== 2

/** Whether the manifest-list row says the manifest holds no live file (so a new snapshot may drop it). */
export const hasNoLiveFiles = (manifest: ManifestFile): boolean => manifest['added-files-count'] + manifest['existing-files-count'] === 0

export function createManifestReader(io: FileIO): ManifestReader {
  const lists = new Map<string, Promise<ManifestFile[]>>()
  const manifests = new Map<string, Promise<ManifestEntry[]>>()
  return {
    manifests(snapshot) {
      const path = snapshot['manifest-list']
      let cached = lists.get(path)
      if (!cached) {
        cached = io.read(path).then(decodeManifestList)
        lists.set(path, cached)
        cached.catch(() => lists.delete(path))
      }
      return cached
    },
    entries(manifest) {
      const path = manifest['manifest-path']
      let cached = manifests.get(path)
      if (!cached) {
        cached = io.read(path).then(async (bytes) => inheritRowIds((await decodeManifest(bytes)).entries, manifest['first-row-id']).map((entry) => inherit(entry, manifest)))
        manifests.set(path, cached)
        cached.catch(() => manifests.delete(path))
      }
      return cached
    },
  }
}

function inherit(entry: ManifestEntry, manifest: ManifestFile): ManifestEntry {
  const sequence = manifest['sequence-number']
  return {
    ...entry,
    'snapshot-id': entry['snapshot-id'] ?? manifest['added-snapshot-id'],
    'sequence-number': entry['sequence-number'] ?? sequence,
    'file-sequence-number': entry['file-sequence-number'] ?? sequence,
  }
}
