/** In-memory object store for unit tests; also the reference for the key, range and ordering rules every store follows. */
import { NotFoundError, StorageError } from '../errors.ts'
import type { ByteRange, ObjectInfo, ObjectStore } from './object-store.ts'

/**
 * Keys are `/`-separated segments, none empty, `.` or `..`, without NUL. Every store enforces the
 * same rule so a key that works in tests works on disk and in S3 (where URL normalization would
 * silently rewrite `..` segments).
 * @throws StorageError code INVALID_KEY
 */
export function checkKey(key: string): void {
  const bad = key === '' || key.includes('\0') || key.split('/').some((s) => s === '' || s === '.' || s === '..')
  if (bad) throw new StorageError(`invalid object key ${JSON.stringify(key)}: want non-empty '/'-separated segments, none empty, '.' or '..', no NUL`, { code: 'INVALID_KEY', context: { key } })
}

/** List prefixes are key beginnings: no leading `/`, no NUL, no `.`/`..` segment before the last `/`. */
export function checkPrefix(prefix: string): void {
  const complete = prefix.split('/').slice(0, -1)
  const bad = prefix.startsWith('/') || prefix.includes('\0') || complete.some((s) => s === '' || s === '.' || s === '..')
  if (bad) throw new StorageError(`invalid list prefix ${JSON.stringify(prefix)}`, { code: 'INVALID_KEY', context: { prefix } })
}

/** The INVALID_RANGE error; `size` undefined when the store could not learn it. */
export function rangeError(range: ByteRange, size: number | undefined, location: string): StorageError {
  return new StorageError(`range offset ${range.offset} length ${range.length} is outside ${location} (${size ?? 'unknown'} bytes)`, {
    code: 'INVALID_RANGE',
    context: { location, offset: range.offset, length: range.length, size },
  })
}

/**
 * @throws StorageError code INVALID_RANGE unless offset and length are non-negative integers and
 * (when `size` is given) the range lies inside an object of `size` bytes. S3 would silently
 * shorten an overlong range; a reader asking past the end has a wrong size, so every store says so.
 */
export function checkRange(range: ByteRange, size: number | undefined, location: string): void {
  const { offset, length } = range
  const valid = Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0
  if (!valid || (size !== undefined && offset + length > size)) throw rangeError(range, size, location)
}

/** Code-point order, which is the UTF-8 byte order S3 lists in (UTF-16 `<` differs above U+FFFF). */
export function compareKeys(a: string, b: string): number {
  const x = a[Symbol.iterator]()
  const y = b[Symbol.iterator]()
  for (;;) {
    const p = x.next()
    const q = y.next()
    if (p.done || q.done) return p.done && q.done ? 0 : p.done ? -1 : 1
    const d = p.value.codePointAt(0)! - q.value.codePointAt(0)!
    if (d !== 0) return d
  }
}

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
