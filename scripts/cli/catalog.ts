// "The configured catalog" for commands: the worker's config file (or its embedded default) with the same env overrides.
import type { Env } from '../../src/config/config.ts'
import { loadWorkerConfig } from '../../src/worker/config-file.ts'
import type { Config } from '../../src/config/schema.ts'
import { ConfigError } from '../../src/errors.ts'
import { UsageError } from './usage.ts'

/** Help text shared by the commands that read the worker's config. */
export const CONFIG_HELP = `  -c, --config FILE   the ingest worker's JSON config (default: $INGEST_CONFIG, else the worker's
                      embedded default: SQLite catalog and warehouse under ./data)

The catalog and storage come from that config plus the worker's environment overrides:
ICEBERG_CATALOG_URI (a REST catalog), ICEBERG_CATALOG_WAREHOUSE, ICEBERG_CATALOG_TOKEN,
ICEBERG_CATALOG_CREDENTIAL, S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY,
INGEST_DATA_DIR — so commands see exactly the tables the worker writes.`

/**
 * The worker's configuration as the worker loads it (src/worker/config-file.ts). Throws UsageError
 * (code USAGE) for a missing file, bad JSON or invalid settings, naming the file and each key.
 */
export function loadConfig(command: string, path: string | undefined, env: Env): { config: Config; source: string } {
  try {
    return loadWorkerConfig(path, env)
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`${command}: ${error.issues.join('\n  ')}`)
    throw error
  }
}

export { openCatalog, type CatalogAccess } from '../../src/worker/resources.ts'
