/**
 * Config file + environment → a validated Config. Every problem is reported at once, by key (or by
 * the environment variable that set the key).
 * Pure: the caller (workers/) reads the file and passes `process.env`.
 */
import * as v from 'valibot'
import { ConfigError } from '../errors.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../iceberg/schema-dsl.ts'
import { tableIdentifier } from '../iceberg/table-identifier.ts'
import { upsertConfigProblems, upsertCreateSchema } from '../upsert/upsert-config.ts'
import type { PartitionSpec, Schema } from '../iceberg/types.ts'
import { defaultUnroutedTable, routeRuleProblems } from '../pipeline/table-route.ts'
import { ConfigSchema, type Config, type ResolvedTable, type TableConfig } from './schema.ts'
import { createProperties, formatVersionProblems } from './format-version.ts'
import { unknownKeys } from './unknown-keys.ts'

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

const object = (parent: Json, key: string, created: Json = {}): Json => {
  const value = parent[key]
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Json
  parent[key] = created
  return created
}
/** The file's catalog, or the schema's default one: a bare `{}` would fail as "catalog.type: invalid type". */
const catalogOf = (config: Json): Json => object(config, 'catalog', { type: 'embedded' })

/** Credentials: a problem names the variable but never shows its value (error messages end up in logs). */
const SECRET_VARIABLES = new Set(['S3_SECRET_ACCESS_KEY', 'S3_SESSION_TOKEN', 'ICEBERG_CATALOG_TOKEN', 'ICEBERG_CATALOG_CREDENTIAL', 'INGEST_HTTP_TOKENS'])

/** What a variable must hold, said instead of the schema's wording (which speaks of keys and types, not of the variable). */
const EXPECTED: Record<string, string> = {
  INGEST_HTTP_PORT: 'not a port (0-65535)',
  ICEBERG_CATALOG_URI: 'not an http(s) URL, e.g. https://catalog.example.com',
  S3_ENDPOINT: 'not an http(s) URL, e.g. http://127.0.0.1:9000',
  KAFKA_BOOTSTRAP: 'brokers are host:port[,host:port...], e.g. kafka-1:9092,kafka-2:9092',
}

/** `NAME=value` to start a problem with; quoted when the value has blanks, by name alone when secret. */
const variable = (name: string, value: string): string => {
  if (SECRET_VARIABLES.has(name)) return `${name} (value not shown)`
  return `${name}=${/^[\x21-\x7e]+$/.test(value) ? value : JSON.stringify(value)}`
}

export interface EnvOverrides {
  config: Json
  /** Config key (`http.port`) → the variable that set it, so that problems found there name the variable. */
  setBy: Map<string, string>
  /** Variables refused before validation, as finished problems; they are not applied. */
  refused: string[]
}

/**
 * Environment overrides, applied before validation so they are validated too. Documented in
 * docs/configuration.md; secrets are read only from here or the file, never logged. An empty
 * variable counts as unset.
 */
export function applyEnv(raw: Json, env: Env): EnvOverrides {
  const config = structuredClone(raw)
  const setBy = new Map<string, string>()
  const refused: string[] = []
  // Edge whitespace is refused, not trimmed: it is a line break from a secret file or a stray
  // quote, and a credential carrying it would fail much later, as a bad signature or a 401.
  const scalar = (name: string): string | undefined => {
    const value = env[name]
    if (!value) return undefined
    if (!value.trim()) refused.push(`${variable(name, value)}: blank; unset it or give a value`)
    else if (value.trim() !== value) refused.push(`${variable(name, value)}: starts or ends with whitespace (a line break from a secret file?); remove it`)
    else return value
    return undefined
  }
  const list = (name: string): string[] | undefined => {
    const value = env[name]
    return value ? value.split(',').map((item) => item.trim()).filter(Boolean) : undefined
  }
  const set = (parent: Json, path: string, value: unknown, name: string) => {
    parent[path.slice(path.lastIndexOf('.') + 1)] = value
    setBy.set(path, name)
  }

  const dataDir = scalar('INGEST_DATA_DIR')
  if (dataDir) set(config, 'dataDir', dataDir, 'INGEST_DATA_DIR')
  const host = scalar('INGEST_HTTP_HOST')
  if (host) set(object(config, 'http'), 'http.host', host, 'INGEST_HTTP_HOST')
  const port = scalar('INGEST_HTTP_PORT')
  if (port) set(object(config, 'http'), 'http.port', /^\d+$/.test(port) ? Number(port) : port, 'INGEST_HTTP_PORT')
  const tokens = list('INGEST_HTTP_TOKENS')
  // Refused rather than applied: an empty list would silently replace the file's tokens with none.
  if (tokens && !tokens.length) refused.push(`${variable('INGEST_HTTP_TOKENS', '')}: holds no token; give comma-separated tokens, or unset it to keep http.tokens from the file`)
  else if (tokens) set(object(config, 'http'), 'http.tokens', tokens, 'INGEST_HTTP_TOKENS')
  const uri = scalar('ICEBERG_CATALOG_URI')
  if (uri) {
    const catalog = catalogOf(config)
    catalog.type = 'rest'
    set(catalog, 'catalog.uri', uri, 'ICEBERG_CATALOG_URI')
    for (const key of ['path', 'name']) delete catalog[key]
  }
  const warehouse = scalar('ICEBERG_CATALOG_WAREHOUSE')
  if (warehouse) set(catalogOf(config), 'catalog.warehouse', warehouse, 'ICEBERG_CATALOG_WAREHOUSE')
  const token = scalar('ICEBERG_CATALOG_TOKEN')
  if (token) set(catalogOf(config), 'catalog.auth', { type: 'bearer', token }, 'ICEBERG_CATALOG_TOKEN')
  const credential = scalar('ICEBERG_CATALOG_CREDENTIAL')
  if (credential) set(catalogOf(config), 'catalog.auth', { type: 'oauth2', credential }, 'ICEBERG_CATALOG_CREDENTIAL')
  const s3Keys = { S3_ENDPOINT: 'endpoint', S3_REGION: 'region', S3_ACCESS_KEY_ID: 'accessKeyId', S3_SECRET_ACCESS_KEY: 'secretAccessKey', S3_SESSION_TOKEN: 'sessionToken' }
  const s3 = Object.fromEntries(Object.keys(s3Keys).map((name) => [name, scalar(name)]))
  if (s3.S3_ENDPOINT || s3.S3_ACCESS_KEY_ID || s3.S3_REGION) {
    const storage = object(config, 'storage')
    storage.type = 's3'
    for (const [name, key] of Object.entries(s3Keys)) if (s3[name]) set(storage, `storage.${key}`, s3[name], name)
  }
  const brokers = list('KAFKA_BOOTSTRAP')
  if (brokers) set(object(config, 'kafka'), 'kafka.brokers', brokers, 'KAFKA_BOOTSTRAP')
  return { config, setBy, refused }
}

/** A problem at a config key, before it is worded for the reader (located). */
interface Problem {
  path: string
  message: string
  /** The message without the offending value, for a key a secret variable set. */
  withoutValue?: string
}

/**
 * Validates `raw` (the parsed file, or DEFAULT_CONFIG) with env overrides. Throws ConfigError (code
 * CONFIG) listing every problem, unknown keys included (with the key meant, when one is close); one
 * at a key an env variable set names that variable instead.
 */
export function parseConfig(raw: unknown, env: Env = {}): Config {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(['(root): expected a JSON object'])
  const { config: merged, setBy, refused } = applyEnv(raw as Json, env)
  const located = ({ path, message, withoutValue }: Problem): string => {
    // The key itself or a parent: KAFKA_BOOTSTRAP sets kafka.brokers, a bad broker is kafka.brokers.1.
    let name: string | undefined
    for (let at = path; at && !name; at = at.slice(0, Math.max(0, at.lastIndexOf('.')))) name = setBy.get(at)
    if (!name) return `${path}: ${message}`
    return `${variable(name, env[name]!)}: ${EXPECTED[name] ?? (SECRET_VARIABLES.has(name) ? (withoutValue ?? message) : message)}`
  }
  // The schema would drop these without a word: `"upsert": {...}` or `roll.intervalMS` would start
  // fine and do nothing. A key an env variable set is no typo in the file; the one that can land
  // where it does not belong (catalog.auth on the embedded catalog) gets its own problem below.
  const unknown: Problem[] = unknownKeys(ConfigSchema, merged).filter(({ path }) => !setBy.has(path))
  const result = v.safeParse(ConfigSchema, merged)
  if (!result.success) {
    const issues = result.issues.map((issue) => ({
      path: issue.path?.map((item) => String(item.key)).join('.') ?? '(root)',
      message: issue.message,
      withoutValue: `invalid ${issue.type}${issue.expected ? `, expected ${issue.expected}` : ''}`,
    }))
    throw new ConfigError([...refused, ...[...unknown, ...issues].map(located)])
  }
  const problems: Problem[] = [...unknown]
  // Each table's DSL strings parsed here, once: later steps take `resolved`, never the strings.
  const config: Config = {
    ...result.output,
    tables: result.output.tables.map((table, index) => {
      const parsed = <T>(key: string, parse: () => T): T | undefined => {
        try {
          return parse()
        } catch (error) {
          problems.push({ path: `tables.${index}.${key}`, message: (error as Error).message })
          return undefined
        }
      }
      const schema = parsed('schema', () => parseSchemaDsl(table.schema))
      const partitionSpec = schema && table.partitionBy ? parsed('partitionBy', () => parsePartitionDsl(table.partitionBy!, schema)) : undefined
      // With a problem recorded the config is refused below, so the placeholder schema is never used.
      for (const { key, message } of formatVersionProblems(table, schema)) problems.push({ path: `tables.${index}.${key}`, message })
      for (const { key, message } of upsertConfigProblems(table, schema)) problems.push({ path: `tables.${index}.${key}`, message })
      const resolved: ResolvedTable = { identifier: tableIdentifier(table.name), schema: schema ? upsertCreateSchema(table, schema) : { type: 'struct', 'schema-id': 0, fields: [] }, ...(partitionSpec ? { partitionSpec } : {}) }
      return { ...table, properties: createProperties(table), resolved }
    }),
    routes: result.output.routes.map((route, index) => {
      const at = `routes.${index}`
      for (const problem of routeRuleProblems(route.route)) problems.push({ path: `${at}.route`, message: problem })
      let schema: Schema | undefined
      try {
        schema = parseSchemaDsl(route.schema)
      } catch (error) {
        problems.push({ path: `${at}.schema`, message: (error as Error).message })
      }
      let partitionSpec: PartitionSpec | undefined
      try {
        if (schema && route.partitionBy) partitionSpec = parsePartitionDsl(route.partitionBy, schema)
      } catch (error) {
        problems.push({ path: `${at}.partitionBy`, message: (error as Error).message })
      }
      const deadLetters = route.route.deadLetters ?? defaultUnroutedTable(route.route.table)
      if (deadLetters === undefined) {
        problems.push({ path: `${at}.route.deadLetters`, message: `the template ${route.route.table} chooses the namespace too, so name the table for unroutable records (e.g. "ingest.unrouted_dead_letters")` })
      }
      if (route.route.topicPattern !== undefined && route.kafka?.topics) {
        problems.push({ path: `${at}.kafka.topics`, message: 'a topicPattern route reads the topics matching its pattern; drop kafka.topics (or route by field over these topics)' })
      }
      if (route.kafka?.deadLetterTopic !== undefined) problems.push({ path: `${at}.kafka.deadLetterTopic`, message: 'routed tables send refused records to their own dead-letter tables; a dead-letter topic is not supported on routes' })
      if (route.route.topicPattern !== undefined && route.http !== false && route.http !== undefined && route.http.tokens.length) {
        problems.push({ path: `${at}.http`, message: 'a topicPattern route reads Kafka only; drop http.tokens' })
      }
      if (route.route.topicPattern !== undefined && !route.kafka) problems.push({ path: `${at}.kafka`, message: 'a topicPattern route needs kafka (its groupId, format, …; {} for the defaults)' })
      if (route.route.field !== undefined && route.kafka && !route.kafka.topics?.length) problems.push({ path: `${at}.kafka.topics`, message: 'a field route reads the topics listed here; give at least one' })
      for (const { key, message } of formatVersionProblems(route, schema)) problems.push({ path: `${at}.${key}`, message })
      for (const { key, message } of upsertConfigProblems(route, schema, true)) problems.push({ path: `${at}.${key}`, message })
      const resolved = {
        schema: schema ?? { type: 'struct' as const, 'schema-id': 0, fields: [] },
        ...(partitionSpec ? { partitionSpec } : {}),
        deadLetters: tableIdentifier(deadLetters ?? 'invalid.invalid'),
      }
      return { ...route, properties: createProperties(route), resolved }
    }),
  }
  if (!config.tables.length && !config.routes.length) problems.push({ path: 'tables', message: 'declare at least one table (or route)' })
  const httpRoutes = config.routes.flatMap((route, index) => (route.route.field !== undefined && route.http !== false ? [index] : []))
  if (httpRoutes.length > 1) {
    problems.push({ path: `routes.${httpRoutes[1]}.http`, message: `POST /v1/records routes by one field, but routes ${httpRoutes.join(' and ')} both serve it; set http: false on all but one` })
  }
  config.routes.forEach((route, index) => {
    if (route.kafka && !config.kafka) problems.push({ path: `routes.${index}.kafka`, message: 'needs the top-level kafka.brokers (or KAFKA_BOOTSTRAP)' })
    else if (route.kafka && route.kafka.format !== 'json' && !config.kafka?.schemaRegistry) {
      problems.push({ path: `routes.${index}.kafka.format`, message: `"${route.kafka.format}" needs the top-level kafka.schemaRegistry (its url, e.g. http://registry:8081)` })
    }
  })
  config.tables.forEach((table, index) => {
    if (table.kafka?.controlTopic !== undefined && table.upsert) {
      problems.push({ path: `tables.${index}.kafka.controlTopic`, message: 'an upsert table commits row deltas resolved against its own key index, which a shared commit cannot fold; drop controlTopic (each worker commits the table on its own)' })
    }
    if (table.kafka?.consume === false && table.kafka.controlTopic === undefined) {
      problems.push({ path: `tables.${index}.kafka.consume`, message: 'false reads nothing from Kafka: it is for a worker that only shares the table\'s commits, which needs kafka.controlTopic' })
    }
    if (table.kafka && !config.kafka) problems.push({ path: `tables.${index}.kafka`, message: 'needs the top-level kafka.brokers (or KAFKA_BOOTSTRAP)' })
    else if (table.kafka && table.kafka.format !== 'json' && !config.kafka?.schemaRegistry) {
      problems.push({ path: `tables.${index}.kafka.format`, message: `"${table.kafka.format}" needs the top-level kafka.schemaRegistry (its url, e.g. http://registry:8081)` })
    }
  })
  const names = config.tables.map((t) => t.name)
  names.forEach((name, index) => {
    if (names.indexOf(name) !== index) problems.push({ path: `tables.${index}.name`, message: `${name} is declared twice` })
  })
  problems.push(...consumerGroupProblems(config, merged))
  // Checked here, not by the client: it takes "a:9092 b:9092" or "PLAINTEXT://a:9092" for one host name and fails only when connecting.
  config.kafka?.brokers.forEach((broker, index) => {
    if (!/^[^\s,/]+$/.test(broker)) problems.push({ path: `kafka.brokers.${index}`, message: `${JSON.stringify(broker)} is not host:port, e.g. kafka-1:9092` })
  })
  if (config.storage.type === 's3' && !(config.storage.accessKeyId ?? env.AWS_ACCESS_KEY_ID)) {
    problems.push({ path: 'storage.accessKeyId', message: 'S3 storage needs credentials (storage.accessKeyId/secretAccessKey, S3_ACCESS_KEY_ID or AWS_ACCESS_KEY_ID)' })
  }
  // v.url() takes "minio:9000" (a URL of scheme minio:); fetch would refuse it only at the first request.
  for (const [path, url] of [
    ['catalog.uri', config.catalog.type === 'rest' ? config.catalog.uri : undefined],
    ['storage.endpoint', config.storage.type === 's3' ? config.storage.endpoint : undefined],
    ['kafka.schemaRegistry.url', config.kafka?.schemaRegistry?.url],
  ] as const) {
    if (url !== undefined && !/^https?:\/\//i.test(url)) problems.push({ path, message: `${JSON.stringify(url)} is not an http(s) URL` })
  }
  // Without this the embedded catalog's schema drops the key and the token would be silently unused
  // (unless ICEBERG_CATALOG_URI was set but refused: that problem is reported already).
  if (config.catalog.type === 'embedded' && setBy.has('catalog.auth') && !env.ICEBERG_CATALOG_URI) {
    problems.push({ path: 'catalog.auth', message: 'the embedded catalog takes no auth; set ICEBERG_CATALOG_URI (or catalog.type "rest" and catalog.uri) for a REST catalog' })
  }
  if (config.catalog.type === 'embedded' && config.storage.type === 's3' && !config.catalog.warehouse?.startsWith('s3://')) {
    problems.push({ path: 'catalog.warehouse', message: 'with S3 storage the embedded catalog needs an s3:// warehouse' })
  }
  if (refused.length || problems.length) throw new ConfigError([...refused, ...problems.map(located)])
  // The SDKs' fallbacks, resolved here so nothing later reads the environment for them.
  if (config.storage.type === 's3') {
    const storage = config.storage
    const accessKeyId = storage.accessKeyId ?? env.AWS_ACCESS_KEY_ID
    const secretAccessKey = storage.secretAccessKey ?? env.AWS_SECRET_ACCESS_KEY
    const sessionToken = storage.sessionToken ?? env.AWS_SESSION_TOKEN
    config.storage = { ...storage, ...(accessKeyId ? { accessKeyId } : {}), ...(secretAccessKey ? { secretAccessKey } : {}), ...(sessionToken ? { sessionToken } : {}) }
  }
  return config
}

/**
 * The worker runs one consumer per kafka.groupId for all the tables in it (ingest-worker.ts). A
 * group delivers each message once, so a topic can feed only one of its tables (the consumer's
 * route map would keep the last one and the others would silently get nothing); and the consumer
 * has one fallback for partitions with no offset, so its tables must agree on startFrom. `raw` is
 * the input before defaults, to tell a startFrom that was set from one left at its default.
 */
function consumerGroupProblems(config: Config, raw: Json): Problem[] {
  // Tables and field routes alike: each reads listed topics through its group's one consumer.
  const readers = [
    ...config.tables.map((table, index) => ({ name: `table ${table.name}`, path: `tables.${index}`, kafka: table.kafka, raw: (raw.tables as Json[] | undefined)?.[index] })),
    ...config.routes.map((route, index) => ({ name: `route ${route.route.table}`, path: `routes.${index}`, kafka: route.kafka, raw: (raw.routes as Json[] | undefined)?.[index] })),
  ]
  const problems: Problem[] = []
  const groups = new Map<string, { first: number; topics: Map<string, string> }>()
  const startFrom = (index: number) => {
    const set = (readers[index]!.raw?.kafka as Json | undefined)?.startFrom !== undefined
    return `"${readers[index]!.kafka!.startFrom}"${set ? '' : ' (not set: the default)'}`
  }
  readers.forEach((reader, index) => {
    if (!reader.kafka) return
    const group = reader.kafka.groupId
    let seen = groups.get(group)
    if (!seen) groups.set(group, (seen = { first: index, topics: new Map() }))
    for (const topic of reader.kafka.topics ?? []) {
      const owner = seen.topics.get(topic)
      if (owner === undefined) seen.topics.set(topic, reader.name)
      else if (owner !== reader.name) {
        problems.push({
          path: `${reader.path}.kafka.topics`,
          message: `topic "${topic}" of ${reader.name} is already routed to ${owner} in group "${group}"; one group delivers each message once, so a topic feeds one table per group — give this ${reader.path.startsWith('tables') ? 'table' : 'route'} its own kafka.groupId to fan the topic out to both${reader.path.startsWith('tables') ? ' tables' : ''}`,
        })
      }
    }
    const first = readers[seen.first]!
    if (reader.kafka.startFrom !== first.kafka!.startFrom) {
      problems.push({
        path: `${reader.path}.kafka.startFrom`,
        message: `${startFrom(index)} for ${reader.name}, but ${first.name} in the same group "${group}" has ${startFrom(seen.first)}; the group's one consumer starts every partition without an offset the same way — set the same startFrom on both, or give this ${reader.path.startsWith('tables') ? 'table' : 'route'} its own kafka.groupId`,
      })
    }
  })
  return problems
}
