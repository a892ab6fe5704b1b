/** A manifest's live entries (ADDED or EXISTING) as LiveFiles, with data sequence numbers inherited as the spec says. */
import type { ManifestEntry, ManifestFile } from '../iceberg/types.ts'
import type { LiveFile } from './delete-index.ts'

/**
 * Spec "Sequence Number Inheritance": an ADDED entry without a sequence number has its manifest's (the manifest-list
 * row's); v1 metadata has none at all, which reads as 0.
 */
export function liveFilesOf(manifest: ManifestFile, entries: readonly ManifestEntry[]): LiveFile[] {
  const out: LiveFile[] = []
  for (const entry of entries) {
    if (entry.status === 2) continue
    out.push({ file: entry['data-file'], specId: manifest['partition-spec-id'], sequenceNumber: entry['sequence-number'] ?? manifest['sequence-number'] ?? 0 })
  }
  return out
}
