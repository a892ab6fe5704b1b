/**
 * Locations → stores. Iceberg metadata names files by URI (`s3://bucket/a/b.parquet`,
 * `file:///srv/wh/a/b.parquet`); FileIO routes each URI to the object store whose root is
 * its prefix, so writers and readers deal in locations only.
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

/** `s3a://` and `s3n://` are Hadoop spellings of `s3://`; Java writers emit them. */
export function normalizeLocation(location: string): string {
  return location.replace(/^s3[an]:\/\//, 's3://')
}

/**
 * Routes locations to `stores` by root. `storeFor` may create a store for a location no store
 * serves yet (e.g. one S3 store per bucket, made on first use); it is kept for later calls.
 */
export function createFileIO(initialStores: ObjectStore[], storeFor?: (location: string) => ObjectStore | undefined): FileIO {
  const stores = [...initialStores]
  const resolve = (location: string): { store: ObjectStore; key: string } => {
    const normalized = normalizeLocation(location)
    for (const store of stores) {
      const root = store.root.endsWith('/') ? store.root : `${store.root}/`
      if (normalized.startsWith(root)) return { store, key: normalized.slice(root.length) }
    }
    const created = storeFor?.(normalized)
    if (created) {
      stores.push(created)
      return resolve(normalized)
    }
    throw new StorageError(`no object store serves location ${location} (roots: ${stores.map((s) => s.root).join(', ')})`, {
      code: 'NO_STORE_FOR_LOCATION',
      context: { location },
    })
  }
  return {
    read: (location, range) => {
      const { store, key } = resolve(location)
      return store.get(key, range)
    },
    write: (location, body, options) => {
      const { store, key } = resolve(location)
      return store.put(key, body, options)
    },
    head: (location) => {
      const { store, key } = resolve(location)
      return store.head(key)
    },
    async *list(prefix) {
      const { store, key } = resolve(prefix)
      const root = store.root.endsWith('/') ? store.root : `${store.root}/`
      for await (const info of store.list(key)) yield { location: root + info.key, size: info.size, lastModified: info.lastModified }
    },
    delete: (location) => {
      const { store, key } = resolve(location)
      return store.delete(key)
    },
  }
}
