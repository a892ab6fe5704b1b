/**
 * Config → REST catalog + S3 FileIO, with web APIs only: what runtimes without bun:sqlite or a warehouse on local
 * disk (workerd, Deno) write through. Throws ConfigError (code CONFIG) for a config they cannot serve.
 */
import type { Catalog } from '../../src/catalog/catalog.ts'
import type { RestAuth } from '../../src/catalog/rest/auth.ts'
import { createRestCatalog } from '../../src/catalog/rest/client.ts'
import type { Env } from '../../src/config/config.ts'
import type { Config } from '../../src/config/schema.ts'
import { ConfigError } from '../../src/errors.ts'
import { createFileIO, type FileIO } from '../../src/storage/file-io.ts'
import { createS3Store } from '../../src/storage/s3/index.ts'

export interface RemoteResources {
  catalog: Catalog
  io: FileIO
}

type RestCatalogConfig = Extract<Config['catalog'], { type: 'rest' }>

function restAuth(auth: RestCatalogConfig['auth']): RestAuth {
  if (auth.type !== 'sigv4') return auth
  const { accessKeyId, secretAccessKey, sessionToken, region, signingName } = auth
  return { type: 'sigv4', region, signingName, credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
}

/**
 * The REST catalog and an S3 FileIO (one store per bucket, made when a table first names it). `runtime` names the
 * host in the error when the config asks for the embedded catalog (bun:sqlite) or a local-disk warehouse.
 */
export function openRemoteResources(config: Config, env: Env, runtime: string): RemoteResources {
  const problems: string[] = []
  if (config.catalog.type !== 'rest') problems.push(`catalog.type: ${runtime} needs a REST catalog (the embedded SQLite catalog runs on Bun only)`)
  if (config.storage.type !== 's3') problems.push(`storage.type: ${runtime} writes to S3 (storage type "fs" runs on Bun only)`)
  if (problems.length > 0 || config.catalog.type !== 'rest' || config.storage.type !== 's3') throw new ConfigError(problems)
  const storage = config.storage
  const credentials = {
    accessKeyId: storage.accessKeyId ?? env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: storage.secretAccessKey ?? env.AWS_SECRET_ACCESS_KEY ?? '',
    ...((storage.sessionToken ?? env.AWS_SESSION_TOKEN) ? { sessionToken: storage.sessionToken ?? env.AWS_SESSION_TOKEN } : {}),
  }
  const io = createFileIO([], (location) => {
    const bucket = /^s3:\/\/([^/]+)/.exec(location)?.[1]
    if (!bucket) return undefined
    return createS3Store({ bucket, region: storage.region, endpoint: storage.endpoint, pathStyle: storage.pathStyle, credentials })
  })
  const catalog = createRestCatalog({
    uri: config.catalog.uri,
    warehouse: config.catalog.warehouse,
    auth: restAuth(config.catalog.auth),
    headers: config.catalog.headers,
  })
  return { catalog, io }
}
