/**
 * The object-store port: what the table writer, the catalogs and maintenance need from
 * S3, the local disk or memory. Keys are paths below the store's root, without a leading slash.
 */

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
