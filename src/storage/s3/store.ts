/** The ObjectStore over the S3 REST API: SigV4-signed fetch, retries, ranges, multipart puts, ListObjectsV2 paging. */
import { NotFoundError, StorageError } from '../../errors.ts'
import { createSigV4Fetch } from '../../auth/sigv4.ts'
import { checkKey, checkPrefix, checkRange, rangeError } from '../object-store.ts'
import type { ObjectInfo, ObjectStore } from '../object-store.ts'
import type { RetryHooks } from '../retry.ts'
import { parseS3Error, sendS3, type S3Response, type S3Transport } from './http.ts'
import { listAllPages, unquoteEtag } from './list.ts'
import { putMultipart } from './multipart.ts'
import { resolveS3Options, type S3StoreOptions } from './options.ts'

const decoder = new TextDecoder()
/** Parallel UploadPart requests per multipart put. */
const PART_CONCURRENCY = 4

function objectInfo(key: string, response: S3Response): ObjectInfo {
  const lastModified = response.headers.get('last-modified')
  return {
    key,
    size: Number(response.headers.get('content-length') ?? 0),
    lastModified: lastModified === null ? new Date(0) : new Date(lastModified),
    etag: unquoteEtag(response.headers.get('etag')),
  }
}

/**
 * An ObjectStore on an S3 bucket (AWS or any SigV4-checking S3-compatible server), rooted at
 * `s3://bucket` or `s3://bucket/prefix`. `retryHooks` replaces sleep and jitter in tests.
 *
 * Errors: get → NotFoundError (NOT_FOUND) for a missing key, StorageError INVALID_RANGE for a
 * range outside the object; every call → StorageError INVALID_KEY for a malformed key, and
 * StorageError (STORAGE, TIMEOUT, BAD_RESPONSE) carrying status, S3 Code and Message otherwise.
 * @throws ConfigError when an option is invalid.
 */
export function createS3Store(options: S3StoreOptions, retryHooks?: RetryHooks): ObjectStore {
  const config = resolveS3Options(options)
  const transport: S3Transport = {
    fetch: createSigV4Fetch({ region: config.region, service: 's3', credentials: options.credentials, fetch: options.fetch }),
    requestTimeoutMs: config.requestTimeoutMs,
    retry: { maxAttempts: config.maxAttempts, baseDelayMs: config.retryBaseDelayMs, maxDelayMs: config.retryMaxDelayMs },
    hooks: retryHooks,
  }
  const location = (key: string): string => `${config.root}/${key}`
  const s3Key = (key: string): string => config.keyBase + key

  const head = async (key: string): Promise<ObjectInfo | undefined> => {
    checkKey(key)
    const response = await sendS3(transport, { method: 'HEAD', url: config.objectUrl(s3Key(key)), location: location(key), accept: [404] })
    return response.status === 404 ? undefined : objectInfo(key, response)
  }

  /**
   * Reads a 404: NoSuchKey (or no body, as for HEAD) means the object is absent (undefined);
   * NoSuchBucket and the like mean the configuration is wrong, an error to surface.
   */
  const notFoundProblem = (response: S3Response, method: string, key: string): StorageError | undefined => {
    const error = parseS3Error(response.body)
    if (error.code === undefined || error.code === 'NoSuchKey') return undefined
    return new StorageError(`S3 ${method} ${location(key)} failed with 404 ${error.code}: ${error.message ?? ''}`, {
      status: 404,
      context: { method, location: location(key), s3Code: error.code, s3Message: error.message },
    })
  }

  return {
    root: config.root,

    async get(key, range) {
      checkKey(key)
      if (range?.length === 0) {
        // HTTP cannot ask for zero bytes; the object must still exist and contain the offset.
        const info = await head(key)
        if (!info) throw new NotFoundError(location(key))
        checkRange(range, info.size, location(key))
        return new Uint8Array(0)
      }
      if (range) checkRange(range, undefined, location(key))
      const headers = range ? { range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : undefined
      const response = await sendS3(transport, { method: 'GET', url: config.objectUrl(s3Key(key)), location: location(key), headers, accept: [404, 416] })
      if (response.status === 404) throw notFoundProblem(response, 'GET', key) ?? new NotFoundError(location(key))
      if (!range) return response.body
      // `bytes a-b/total` on 206, `bytes */total` on 416; NaN when the server did not say.
      const total = Number(response.headers.get('content-range')?.split('/')[1])
      const size = Number.isSafeInteger(total) ? total : undefined
      if (response.status === 416) throw rangeError(range, size, location(key))
      // A 200 means the server ignored Range and sent the whole object.
      const bytes = response.status === 206 ? response.body : response.body.subarray(range.offset, range.offset + range.length)
      // S3 shortens a range that runs past the end; the contract is all bytes or an error.
      if (bytes.byteLength !== range.length) throw rangeError(range, size ?? (response.status === 206 ? undefined : response.body.byteLength), location(key))
      return bytes
    },

    async put(key, body, putOptions) {
      checkKey(key)
      const contentType = putOptions?.contentType ?? 'application/octet-stream'
      if (body.byteLength >= config.multipartThresholdBytes) {
        const target = {
          transport,
          url: (query: Record<string, string>) => config.objectUrl(s3Key(key), query),
          location: location(key),
          contentType,
          head: async () => (await head(key))?.size,
        }
        return putMultipart(target, body, config.partSizeBytes, PART_CONCURRENCY)
      }
      await sendS3(transport, { method: 'PUT', url: config.objectUrl(s3Key(key)), location: location(key), headers: { 'content-type': contentType }, body })
    },

    head,

    async *list(prefix) {
      checkPrefix(prefix)
      const where = location(prefix)
      const fetchPage = async (token: string | undefined): Promise<string> => {
        const query: Record<string, string> = { 'list-type': '2', 'max-keys': String(config.listPageSize), prefix: s3Key(prefix) }
        if (token !== undefined) query['continuation-token'] = token
        const response = await sendS3(transport, { method: 'GET', url: config.bucketUrl(query), location: where })
        return decoder.decode(response.body)
      }
      for await (const object of listAllPages(fetchPage, where)) {
        // S3 returns only keys under the prefix; the guard keeps a misbehaving server from leaking others.
        if (object.key.startsWith(config.keyBase)) yield { ...object, key: object.key.slice(config.keyBase.length) }
      }
    },

    async delete(key) {
      checkKey(key)
      const response = await sendS3(transport, { method: 'DELETE', url: config.objectUrl(s3Key(key)), location: location(key), accept: [404] })
      // An absent key is done; an absent bucket is not.
      const problem = response.status === 404 ? notFoundProblem(response, 'DELETE', key) : undefined
      if (problem) throw problem
    },
  }
}
