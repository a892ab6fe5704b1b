/** Reads the worker's config as every entry point does: `--config`, else $INGEST_CONFIG, else the embedded default (host-only). */
import { existsSync, readFileSync } from 'node:fs'
import { DEFAULT_CONFIG, parseConfig, type Env } from '../config/config.ts'
import type { Config } from '../config/schema.ts'
import { ConfigError } from '../errors.ts'

/**
 * `source` names where the config came from, for logs. Throws ConfigError (code CONFIG) for a
 * missing file, bad JSON or invalid settings — the message names the file and each bad key.
 */
export function loadWorkerConfig(path: string | undefined, env: Env): { config: Config; source: string } {
  const file = path ?? env.INGEST_CONFIG
  let raw: unknown = DEFAULT_CONFIG
  if (file) {
    if (!existsSync(file)) {
      throw new ConfigError([`config file ${file} does not exist (from ${path ? '--config' : 'INGEST_CONFIG'}); pass the worker's config, or leave it out for the embedded default`])
    }
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new ConfigError([`config file ${file} is not valid JSON: ${(error as Error).message}`])
    }
  }
  try {
    return { config: parseConfig(raw, env), source: file ?? 'embedded default' }
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.issues.map((issue) => `${file ?? 'default config'}: ${issue}`))
    throw error
  }
}
