/**
 * The files a set of snapshots reaches: their manifest lists, the manifests those list, and the
 * data and delete files the manifests name. Expiry and orphan removal decide what to delete from
 * these sets, so every location is normalized (`s3a://` → `s3://`) before comparing.
 */
import type { Snapshot } from '../iceberg/types.ts'
import { normalizeLocation } from '../storage/file-io.ts'
import { mapConcurrent } from '../async/map-concurrent.ts'
import { isLive, type ManifestReader } from './manifest-reader.ts'

export interface ReachableFiles {
  manifestLists: Set<string>
  manifests: Set<string>
  /** Data and delete files ADDED or EXISTING in some manifest. */
  liveFiles: Set<string>
  /** Every file any entry names, DELETED entries included. */
  namedFiles: Set<string>
  /** Sizes known from manifest lists and entries, by location (for reports). */
  sizes: Map<string, number>
}

/** Reads every manifest list and unique manifest of `snapshots`, `concurrency` reads at a time. Throws like the reader. */
export async function reachableFiles(reader: ManifestReader, snapshots: readonly Snapshot[], concurrency = 16): Promise<ReachableFiles> {
  const out: ReachableFiles = { manifestLists: new Set(), manifests: new Set(), liveFiles: new Set(), namedFiles: new Set(), sizes: new Map() }
  const lists = await mapConcurrent(snapshots, concurrency, async (snapshot) => {
    out.manifestLists.add(normalizeLocation(snapshot['manifest-list']))
    return reader.manifests(snapshot)
  })
  const unique = new Map(lists.flat().map((m) => [normalizeLocation(m['manifest-path']), m]))
  for (const [path, manifest] of unique) {
    out.manifests.add(path)
    out.sizes.set(path, manifest['manifest-length'])
  }
  await mapConcurrent([...unique.values()], concurrency, async (manifest) => {
    for (const entry of await reader.entries(manifest)) {
      const file = entry['data-file']
      const path = normalizeLocation(file['file-path'])
      out.namedFiles.add(path)
      out.sizes.set(path, file['file-size-in-bytes'])
      if (isLive(entry)) out.liveFiles.add(path)
    }
  })
  return out
}
