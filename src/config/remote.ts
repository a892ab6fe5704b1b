/**
 * Config → the remote pieces every runtime shares: the REST catalog client and S3 stores (one per
 * bucket, made when a table first names it). Web APIs only, so Bun, Deno and workerd build them alike.
 */
import type { Catalog } from '../catalog/catalog.ts'
import type { RestAuth } from '../catalog/rest/auth.ts'
import { createRestCatalog } from '../catalog/rest/client.ts'
import type { ObjectStore } from '../storage/object-store.ts'
import { createS3Store } from '../storage/s3/index.ts'
import type { Config } from './schema.ts'

export type RestCatalogConfig = Extract<Config['catalog'], { type: 'rest' }>

/**
 * Where the remote clients built here report trouble, for /metrics and /health: an attempt that failed and
 * is tried again, and a call that failed for good. Reasons carry status or error message, never credentials.
 */
export interface RemoteCallObserver {
  retried(target: 's3' | 'catalog', reason: string): void
  failed(target: 's3' | 'catalog', reason: string): void
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

export function restCatalogFor(config: RestCatalogConfig, observer?: RemoteCallObserver): Catalog {
  const auth = config.auth
  const restAuth: RestAuth =
    auth.type === 'sigv4'
      ? {
          type: 'sigv4',
          region: auth.region,
          signingName: auth.signingName,
          credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: auth.secretAccessKey, ...(auth.sessionToken ? { sessionToken: auth.sessionToken } : {}) },
        }
      : auth
  return createRestCatalog({
    uri: config.uri,
    warehouse: config.warehouse,
    auth: restAuth,
    headers: config.headers,
    requestTimeoutMs: config.requestTimeoutMs,
    ...(observer
      ? {
          onUnavailable: (event) => {
            const reason = `${event.method} ${event.path}: ${event.reason}`
            if (event.retrying) observer.retried('catalog', reason)
            else observer.failed('catalog', reason)
          },
        }
      : {}),
  })
}

/** For `createFileIO`'s second argument: an S3 store for an `s3://bucket/...` location, or undefined. */
export function s3StoresFor(config: Config, observer?: RemoteCallObserver): ((location: string) => ObjectStore | undefined) | undefined {
  const storage = config.storage
  if (storage.type !== 's3') return undefined
  // AWS_* fallbacks were applied by parseConfig.
  const credentials = {
    accessKeyId: storage.accessKeyId ?? '',
    secretAccessKey: storage.secretAccessKey ?? '',
    ...(storage.sessionToken ? { sessionToken: storage.sessionToken } : {}),
  }
  return (location) => {
    const bucket = /^s3:\/\/([^/]+)/.exec(location)?.[1]
    if (!bucket) return undefined
    const hooks = observer && {
      onRetry: (error: unknown) => observer.retried('s3', reasonOf(error)),
      onGiveUp: (error: unknown) => observer.failed('s3', reasonOf(error)),
    }
    const options = { bucket, region: storage.region, endpoint: storage.endpoint, pathStyle: storage.pathStyle, credentials }
    return createS3Store({ ...options, requestTimeoutMs: storage.requestTimeoutMs, maxAttempts: storage.maxAttempts }, hooks)
  }
}
