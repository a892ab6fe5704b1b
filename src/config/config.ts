/**
 * Config file + environment → a validated Config. Every problem is reported at once, by key.
 * Pure: the caller (workers/) reads the file and passes `process.env`.
 */
import * as v from 'valibot'
import { ConfigError } from '../errors.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../iceberg/schema-dsl.ts'
import { ConfigSchema, type Config } from './schema.ts'

export type Env = Record<string, string | undefined>

/** The configuration used when none is given: the walkthrough's table on the embedded catalog. */
export const DEFAULT_CONFIG = {
  tables: [
    {
      name: 'learning.sensor_readings',
      schema: 'sensor_id string, timestamp timestamp, reading double',
      partitionBy: 'sensor_id',
    },
  ],
}

type Json = Record<string, unknown>

const object = (parent: Json, key: string): Json => {
  const value = parent[key]
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Json
  const created: Json = {}
  parent[key] = created
  return created
}

/**
 * Environment overrides, applied before validation so they are validated too. Documented in
 * docs/configuration.md; secrets are read only from here or the file, never logged.
 */
export function applyEnv(raw: Json, env: Env): Json {
  const config = structuredClone(raw)
  const number = (value: string) => (/^\d+$/.test(value) ? Number(value) : value)
  if (env.INGEST_DATA_DIR) config.dataDir = env.INGEST_DATA_DIR
  if (env.INGEST_HTTP_HOST) object(config, 'http').host = env.INGEST_HTTP_HOST
  if (env.INGEST_HTTP_PORT) object(config, 'http').port = number(env.INGEST_HTTP_PORT)
  if (env.INGEST_HTTP_TOKENS) object(config, 'http').tokens = env.INGEST_HTTP_TOKENS.split(',').map((t) => t.trim()).filter(Boolean)
  if (env.ICEBERG_CATALOG_URI) {
    const catalog = object(config, 'catalog')
    catalog.type = 'rest'
    catalog.uri = env.ICEBERG_CATALOG_URI
    for (const key of ['path', 'name']) delete catalog[key]
  }
  if (env.ICEBERG_CATALOG_WAREHOUSE) object(config, 'catalog').warehouse = env.ICEBERG_CATALOG_WAREHOUSE
  if (env.ICEBERG_CATALOG_TOKEN) object(config, 'catalog').auth = { type: 'bearer', token: env.ICEBERG_CATALOG_TOKEN }
  if (env.ICEBERG_CATALOG_CREDENTIAL) object(config, 'catalog').auth = { type: 'oauth2', credential: env.ICEBERG_CATALOG_CREDENTIAL }
  if (env.S3_ENDPOINT || env.S3_ACCESS_KEY_ID || env.S3_REGION) {
    const storage = object(config, 'storage')
    storage.type = 's3'
    if (env.S3_ENDPOINT) storage.endpoint = env.S3_ENDPOINT
    if (env.S3_REGION) storage.region = env.S3_REGION
    if (env.S3_ACCESS_KEY_ID) storage.accessKeyId = env.S3_ACCESS_KEY_ID
    if (env.S3_SECRET_ACCESS_KEY) storage.secretAccessKey = env.S3_SECRET_ACCESS_KEY
    if (env.S3_SESSION_TOKEN) storage.sessionToken = env.S3_SESSION_TOKEN
  }
  if (env.KAFKA_BOOTSTRAP) object(config, 'kafka').brokers = env.KAFKA_BOOTSTRAP.split(',').map((b) => b.trim())
  return config
}

/** Validates `raw` (the parsed file, or DEFAULT_CONFIG) with env overrides. Throws ConfigError (code CONFIG). */
export function parseConfig(raw: unknown, env: Env = {}): Config {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(['(root): expected a JSON object'])
  const result = v.safeParse(ConfigSchema, applyEnv(raw as Json, env))
  if (!result.success) {
    throw new ConfigError(
      result.issues.map((issue) => {
        const path = issue.path?.map((item) => String(item.key)).join('.') ?? '(root)'
        return `${path}: ${issue.message}`
      }),
    )
  }
  const config = result.output
  const problems: string[] = []
  config.tables.forEach((table, index) => {
    let schema
    try {
      schema = parseSchemaDsl(table.schema)
    } catch (error) {
      problems.push(`tables.${index}.schema: ${(error as Error).message}`)
    }
    if (schema && table.partitionBy) {
      try {
        parsePartitionDsl(table.partitionBy, schema)
      } catch (error) {
        problems.push(`tables.${index}.partitionBy: ${(error as Error).message}`)
      }
    }
    if (table.kafka && !config.kafka) problems.push(`tables.${index}.kafka: needs the top-level kafka.brokers (or KAFKA_BOOTSTRAP)`)
  })
  const names = config.tables.map((t) => t.name)
  names.forEach((name, index) => {
    if (names.indexOf(name) !== index) problems.push(`tables.${index}.name: ${name} is declared twice`)
  })
  if (config.storage.type === 's3' && !(config.storage.accessKeyId ?? env.AWS_ACCESS_KEY_ID)) {
    problems.push('storage.accessKeyId: S3 storage needs credentials (storage.accessKeyId/secretAccessKey, S3_ACCESS_KEY_ID or AWS_ACCESS_KEY_ID)')
  }
  if (config.catalog.type === 'embedded' && config.storage.type === 's3' && !config.catalog.warehouse?.startsWith('s3://')) {
    problems.push('catalog.warehouse: with S3 storage the embedded catalog needs an s3:// warehouse')
  }
  if (problems.length) throw new ConfigError(problems)
  return config
}
