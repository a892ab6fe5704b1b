/**
 * Config → REST catalog + S3 FileIO, with web APIs only: what runtimes without bun:sqlite or a warehouse on local
 * disk (workerd, Deno) write through. Throws ConfigError (code CONFIG) for a config they cannot serve.
 */
import type { Catalog } from '../catalog/catalog.ts'
import { restCatalogFor, s3StoresFor } from './remote.ts'
import type { Config } from './schema.ts'
import { ConfigError } from '../errors.ts'
import { createFileIO, type FileIO } from '../storage/file-io.ts'

export interface RemoteResources {
  catalog: Catalog
  io: FileIO
}

/**
 * The REST catalog and an S3 FileIO (one store per bucket, made when a table first names it). `runtime` names the
 * host in the error when the config asks for the embedded catalog (bun:sqlite) or a local-disk warehouse.
 */
export function openRemoteResources(config: Config, runtime: string): RemoteResources {
  const problems: string[] = []
  if (config.catalog.type !== 'rest') problems.push(`catalog.type: ${runtime} needs a REST catalog (the embedded SQLite catalog runs on Bun only)`)
  if (config.storage.type !== 's3') problems.push(`storage.type: ${runtime} writes to S3 (storage type "fs" runs on Bun only)`)
  if (problems.length > 0 || config.catalog.type !== 'rest' || config.storage.type !== 's3') throw new ConfigError(problems)
  return { catalog: restCatalogFor(config.catalog), io: createFileIO([], s3StoresFor(config)) }
}
