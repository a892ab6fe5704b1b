/**
 * Locations → stores. Iceberg metadata names files by URI (`s3://bucket/a/b.parquet`,
 * `file:///srv/wh/a/b.parquet`); FileIO routes each URI to the object store whose root is
 * its prefix, so writers and readers deal in locations only. Every engine spells the same file
 * its own way (Hadoop's Path prints `file:/srv/wh/...` and `s3a://`), so a location is
 * normalized here, where it meets a store — the metadata keeps whatever spelling it holds.
 */
import { StorageError } from '../errors.ts'
import type { ByteRange, ObjectInfo, ObjectStore, PutOptions } from './object-store.ts'

export interface LocatedObject {
  location: string
  size: number
  lastModified: Date
}

export interface FileIO {
  read(location: string, range?: ByteRange): Promise<Uint8Array>
  write(location: string, body: Uint8Array, options?: PutOptions): Promise<void>
  head(location: string): Promise<ObjectInfo | undefined>
  list(prefix: string): AsyncIterable<LocatedObject>
  delete(location: string): Promise<void>
}

/**
 * The one spelling stores and comparisons use: `s3a://` and `s3n://` (Hadoop's S3 connectors,
 * written by Spark and Trino) become `s3://`; `file:/p` (Hadoop's Path, i.e. Iceberg Java's
 * HadoopFileIO), `file://localhost/p` and a plain absolute path `/p` become `file:///p`.
 * Anything else is returned unchanged. Pure: no percent-decoding, no `..` resolution.
 */
export function normalizeLocation(location: string): string {
  if (/^s3[an]:\/\//.test(location)) return `s3://${location.slice(6)}`
  if (location.startsWith('/')) return `file://${location}`
  if (location.startsWith('file://localhost/')) return `file://${location.slice('file://localhost'.length)}`
  // `file:/p` but not `file://host/p`: one slash after the colon is an absolute local path.
  if (/^file:\/(?!\/)/.test(location)) return `file://${location.slice('file:'.length)}`
  return location
}

/**
 * Routes locations to `stores` by root, after normalizeLocation on both (so `file:/wh/t/a` reaches
 * the store rooted at `file:///wh`). `storeFor` may create a store for a (normalized) location no
 * store serves yet (e.g. one S3 store per bucket, made on first use); it is kept for later calls.
 * `list` yields locations in the store's spelling. Every method throws StorageError
 * NO_STORE_FOR_LOCATION, naming the location and the roots, for a location no store serves.
 */
export function createFileIO(initialStores: ObjectStore[], storeFor?: (location: string) => ObjectStore | undefined): FileIO {
  const stores = [...initialStores]
  const resolve = (location: string): { store: ObjectStore; key: string } => {
    const normalized = normalizeLocation(location)
    for (const store of stores) {
      const root = normalizeLocation(store.root.endsWith('/') ? store.root : `${store.root}/`)
      if (normalized.startsWith(root)) return { store, key: normalized.slice(root.length) }
    }
    const created = storeFor?.(normalized)
    if (created) {
      stores.push(created)
      return resolve(normalized)
    }
    const read = normalized === location ? '' : ` (read as ${normalized})`
    const roots = stores.map((s) => s.root).join(', ') || 'none'
    throw new StorageError(`no object store serves location ${location}${read} (roots: ${roots})`, {
      code: 'NO_STORE_FOR_LOCATION',
      context: { location, normalized, roots: stores.map((s) => s.root) },
    })
  }
  // async methods: a location no store serves rejects like any other storage failure, never throws synchronously.
  return {
    read: async (location, range) => {
      const { store, key } = resolve(location)
      return store.get(key, range)
    },
    write: async (location, body, options) => {
      const { store, key } = resolve(location)
      return store.put(key, body, options)
    },
    head: async (location) => {
      const { store, key } = resolve(location)
      return store.head(key)
    },
    async *list(prefix) {
      const { store, key } = resolve(prefix)
      const root = store.root.endsWith('/') ? store.root : `${store.root}/`
      for await (const info of store.list(key)) yield { location: root + info.key, size: info.size, lastModified: info.lastModified }
    },
    delete: async (location) => {
      const { store, key } = resolve(location)
      return store.delete(key)
    },
  }
}
