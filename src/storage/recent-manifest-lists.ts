/**
 * A FileIO that keeps the last few manifest lists written through it, in memory. Why: every commit
 * builds on its parent's manifest list, and the parent is almost always the snapshot this worker
 * committed a moment before — reading it back cost a GET (or a local read) and an event-loop turn per
 * commit. Manifest lists are never rewritten in place (each attempt writes a new name), so the bytes
 * kept are the bytes stored; a list deleted elsewhere (expiry) only ever belonged to a snapshot that
 * is no longer the table's current one, and a commit built on such a parent is refused by its
 * `assert-ref-snapshot-id` requirement like any stale one.
 */
import { normalizeLocation, type FileIO } from './file-io.ts'

const MANIFEST_LIST = /\/metadata\/snap-[^/]*\.avro$/

export function withRecentManifestLists(io: FileIO, maxFiles = 8): FileIO {
  const kept = new Map<string, Uint8Array>()
  return {
    head: (location) => io.head(location),
    list: (prefix) => io.list(prefix),
    async read(location, range) {
      const bytes = range ? undefined : kept.get(normalizeLocation(location))
      return bytes ? bytes.slice() : io.read(location, range)
    },
    async write(location, body, options) {
      await io.write(location, body, options)
      if (!MANIFEST_LIST.test(location)) return
      const key = normalizeLocation(location)
      kept.delete(key)
      kept.set(key, body.slice())
      // Oldest first in a Map's order.
      while (kept.size > maxFiles) kept.delete(kept.keys().next().value!)
    },
    async delete(location) {
      kept.delete(normalizeLocation(location))
      await io.delete(location)
    },
  }
}
