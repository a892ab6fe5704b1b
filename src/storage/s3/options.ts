/** S3 store options: validation, defaults, and the request URLs they imply (path-style or virtual-hosted). */
import { ConfigError } from '../../errors.ts'
import { encodeRfc3986, type AwsCredentialSource, type FetchLike } from '../../auth/sigv4.ts'

export interface S3StoreOptions {
  bucket: string
  region: string
  credentials: AwsCredentialSource
  /** Default `https://s3.{region}.amazonaws.com`. A path after the host is kept as a base path. */
  endpoint?: string
  /** `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key`; default true when `endpoint` is given. */
  pathStyle?: boolean
  /** Keys live below `prefix/`; the store's root becomes `s3://bucket/prefix`. */
  prefix?: string
  fetch?: FetchLike
  /** Per attempt, response body included. Default 30000. */
  requestTimeoutMs?: number
  /** Tries per request, the first included. Default 5. */
  maxAttempts?: number
  /** Backoff base; the n-th retry waits up to base·2ⁿ (full jitter). Default 100. */
  retryBaseDelayMs?: number
  /** Backoff cap. Default 20000. */
  retryMaxDelayMs?: number
  /** Bodies of at least this many bytes go up as multipart uploads. Default 16 MiB. */
  multipartThresholdBytes?: number
  /** Multipart part size; S3 wants at least 5 MiB for all but the last part. Default 8 MiB. */
  partSizeBytes?: number
  /** Keys per ListObjectsV2 page, 1 to 1000. Default 1000. */
  listPageSize?: number
}

const MiB = 1024 * 1024
/** S3's floor for every part but the last. */
export const MIN_PART_SIZE = 5 * MiB

export interface S3Config {
  bucket: string
  region: string
  root: string
  /** '' or `prefix/`: what store keys are appended to. */
  keyBase: string
  requestTimeoutMs: number
  maxAttempts: number
  retryBaseDelayMs: number
  retryMaxDelayMs: number
  multipartThresholdBytes: number
  partSizeBytes: number
  listPageSize: number
  /** URL of an object; `key` is the full S3 key (keyBase included). */
  objectUrl(key: string, query?: Record<string, string>): string
  /** URL of the bucket itself (ListObjectsV2). */
  bucketUrl(query: Record<string, string>): string
}

function queryString(query: Record<string, string> | undefined): string {
  if (!query) return ''
  const parts = Object.entries(query).map(([k, v]) => (v === '' ? encodeRfc3986(k) : `${encodeRfc3986(k)}=${encodeRfc3986(v)}`))
  return parts.length === 0 ? '' : `?${parts.join('&')}`
}

/** Each segment encoded, `/` kept: S3 signs the path exactly as sent. */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeRfc3986).join('/')
}

function positiveInt(issues: string[], name: string, value: number | undefined, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min || value > max) issues.push(`${name} must be an integer from ${min} to ${max}, got ${value}`)
  return value
}

/** @throws ConfigError listing every invalid option. */
export function resolveS3Options(options: S3StoreOptions): S3Config {
  const issues: string[] = []
  // Lenient on purpose: legacy buckets and S3-compatible servers allow upper case and '_'.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(options.bucket)) issues.push(`bucket ${JSON.stringify(options.bucket)} is not a valid S3 bucket name`)
  if (options.region === '') issues.push('region is empty')
  const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '')
  if (prefix.split('/').some((s) => s === '.' || s === '..') || (prefix !== '' && prefix.split('/').includes(''))) {
    issues.push(`prefix ${JSON.stringify(options.prefix)} has an empty, '.' or '..' segment`)
  }
  let endpoint: URL | undefined
  const endpointText = options.endpoint ?? `https://s3.${options.region}.amazonaws.com`
  try {
    endpoint = new URL(endpointText)
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') issues.push(`endpoint ${endpointText} is not http(s)`)
  } catch {
    issues.push(`endpoint ${JSON.stringify(endpointText)} is not a URL`)
  }
  const config = {
    requestTimeoutMs: positiveInt(issues, 'requestTimeoutMs', options.requestTimeoutMs, 30_000),
    maxAttempts: positiveInt(issues, 'maxAttempts', options.maxAttempts, 5),
    retryBaseDelayMs: positiveInt(issues, 'retryBaseDelayMs', options.retryBaseDelayMs, 100, 0),
    retryMaxDelayMs: positiveInt(issues, 'retryMaxDelayMs', options.retryMaxDelayMs, 20_000, 0),
    multipartThresholdBytes: positiveInt(issues, 'multipartThresholdBytes', options.multipartThresholdBytes, 16 * MiB),
    partSizeBytes: positiveInt(issues, 'partSizeBytes', options.partSizeBytes, 8 * MiB, MIN_PART_SIZE, 5 * 1024 * MiB),
    listPageSize: positiveInt(issues, 'listPageSize', options.listPageSize, 1000, 1, 1000),
  }
  if (issues.length > 0 || !endpoint) throw new ConfigError(issues)

  const base = endpoint.pathname.replace(/\/+$/, '')
  // Dotted bucket names break TLS wildcard certificates when virtual-hosted, so they go path-style.
  const pathStyle = options.pathStyle ?? (options.endpoint !== undefined || options.bucket.includes('.'))
  const origin = pathStyle ? `${endpoint.origin}${base}/${options.bucket}` : `${endpoint.protocol}//${options.bucket}.${endpoint.host}${base}`
  return {
    ...config,
    bucket: options.bucket,
    region: options.region,
    root: prefix === '' ? `s3://${options.bucket}` : `s3://${options.bucket}/${prefix}`,
    keyBase: prefix === '' ? '' : `${prefix}/`,
    objectUrl: (key, query) => `${origin}/${encodeKey(key)}${queryString(query)}`,
    bucketUrl: (query) => `${origin}${pathStyle ? '' : '/'}${queryString(query)}`,
  }
}
