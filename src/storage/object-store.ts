/**
 * The object-store port: what the table writer, the catalogs and maintenance need from
 * S3, the local disk or memory. Keys are paths below the store's root, without a leading slash;
 * the key, range and list-order rules below are part of the port, and every store applies them.
 */
import { StorageError } from '../errors.ts'

export interface ByteRange {
  offset: number
  length: number
}

export interface ObjectInfo {
  key: string
  size: number
  lastModified: Date
  etag?: string
}

export interface PutOptions {
  contentType?: string
}

export interface ObjectStore {
  /** The URI prefix that this store's keys extend, e.g. `s3://bucket` or `file:///srv/warehouse`. */
  readonly root: string
  /** Throws NotFoundError (code NOT_FOUND) when the key is absent. */
  get(key: string, range?: ByteRange): Promise<Uint8Array>
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<void>
  /** Undefined when absent. */
  head(key: string): Promise<ObjectInfo | undefined>
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>
  /** Deleting an absent key is not an error. */
  delete(key: string): Promise<void>
}

// ---- Rules every store applies, so a key or range that works in tests works on disk and in S3 ----

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
