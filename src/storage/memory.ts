/** In-memory object store for unit tests: the port's key, range and ordering rules (object-store.ts) and nothing else. */
import { NotFoundError } from '../errors.ts'
import { checkKey, checkPrefix, checkRange, compareKeys, type ObjectInfo, type ObjectStore } from './object-store.ts'

interface StoredObject {
  bytes: Uint8Array
  lastModified: Date
  etag: string
}

/**
 * A store that keeps copies of what it is given, so callers cannot change stored bytes afterwards.
 * Throws StorageError INVALID_KEY / INVALID_RANGE and NotFoundError (NOT_FOUND) like the others.
 */
export function createMemoryStore(root = 'memory://'): ObjectStore {
  const objects = new Map<string, StoredObject>()
  let version = 0
  const location = (key: string): string => (root.endsWith('/') ? root + key : `${root}/${key}`)
  const info = (key: string, object: StoredObject): ObjectInfo => ({
    key,
    size: object.bytes.byteLength,
    lastModified: object.lastModified,
    etag: object.etag,
  })
  return {
    root,
    async get(key, range) {
      checkKey(key)
      const object = objects.get(key)
      if (!object) throw new NotFoundError(location(key))
      if (!range) return object.bytes.slice()
      checkRange(range, object.bytes.byteLength, location(key))
      return object.bytes.slice(range.offset, range.offset + range.length)
    },
    async put(key, body) {
      checkKey(key)
      objects.set(key, { bytes: body.slice(), lastModified: new Date(), etag: `m${++version}` })
    },
    async head(key) {
      checkKey(key)
      const object = objects.get(key)
      return object ? info(key, object) : undefined
    },
    async *list(prefix) {
      checkPrefix(prefix)
      const keys = [...objects.keys()].filter((key) => key.startsWith(prefix)).sort(compareKeys)
      for (const key of keys) {
        const object = objects.get(key)
        // Deleted while the caller was consuming earlier entries.
        if (object) yield info(key, object)
      }
    },
    async delete(key) {
      checkKey(key)
      objects.delete(key)
    },
  }
}
