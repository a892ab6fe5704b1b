/**
 * The worker's configuration: one valibot schema, the single source of truth for its type and
 * defaults. Parsed once at start-up (config.ts); docs/configuration.md describes every key.
 */
import * as v from 'valibot'
import type { PartitionSpec, Schema, TableIdentifier } from '../iceberg/types.ts'
import { MaintenanceConfigSchema } from '../maintenance/config.ts'

const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1))
const port = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535))

const RestAuthSchema = v.variant('type', [
  v.object({ type: v.literal('none') }),
  v.object({ type: v.literal('bearer'), token: v.pipe(v.string(), v.minLength(1)) }),
  v.object({
    type: v.literal('oauth2'),
    credential: v.pipe(v.string(), v.minLength(1)),
    serverUri: v.optional(v.pipe(v.string(), v.url())),
    scope: v.optional(v.string()),
  }),
  v.object({
    type: v.literal('sigv4'),
    region: v.string(),
    signingName: v.optional(v.string(), 'execute-api'),
    accessKeyId: v.string(),
    secretAccessKey: v.string(),
    sessionToken: v.optional(v.string()),
  }),
])

const CatalogSchema = v.variant('type', [
  v.object({
    type: v.literal('embedded'),
    /** SQLite file; default `<dataDir>/catalog.db`. */
    path: v.optional(v.string()),
    /** Warehouse root: a directory, `file://` or `s3://` URI; default `<dataDir>/warehouse`. */
    warehouse: v.optional(v.string()),
    name: v.optional(v.string(), 'default'),
  }),
  v.object({
    type: v.literal('rest'),
    uri: v.pipe(v.string(), v.url()),
    warehouse: v.optional(v.string()),
    auth: v.optional(RestAuthSchema, { type: 'none' }),
    headers: v.optional(v.record(v.string(), v.string()), {}),
    /** Per attempt; a commit without an answer by then has an unknown outcome (reload and look). */
    requestTimeoutMs: v.optional(positiveInt, 30_000),
  }),
])

const StorageSchema = v.variant('type', [
  v.object({ type: v.literal('fs') }),
  v.object({
    type: v.literal('s3'),
    region: v.optional(v.string(), 'us-east-1'),
    endpoint: v.optional(v.pipe(v.string(), v.url())),
    pathStyle: v.optional(v.boolean()),
    accessKeyId: v.optional(v.string()),
    secretAccessKey: v.optional(v.string()),
    sessionToken: v.optional(v.string()),
    /** Per attempt, response body included. */
    requestTimeoutMs: v.optional(positiveInt, 30_000),
    /** Tries per request, the first included, on 5xx, throttling, timeouts and lost connections. */
    maxAttempts: v.optional(positiveInt, 5),
  }),
])

const RollSchema = v.pipe(
  v.object({
    intervalMs: v.optional(positiveInt, 60_000),
    /** Cap of the interval while slow catalog commits stretch it (docs/configuration.md, commit pacing); default 10 × intervalMs. */
    maxIntervalMs: v.optional(positiveInt),
    maxRows: v.optional(positiveInt, 1_000_000),
    maxBytes: v.optional(positiveInt, 128 * 1024 * 1024),
  }),
  // A cap that is no positive integer has its own issue already: reported once, by its own key.
  v.forward(
    v.check((roll) => !(Number.isInteger(roll.maxIntervalMs) && roll.maxIntervalMs! >= 1 && roll.maxIntervalMs! < roll.intervalMs), 'must be at least roll.intervalMs'),
    ['maxIntervalMs'],
  ),
)

const KafkaTableSchema = v.object({
  topics: v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1)),
  groupId: v.optional(v.string(), 'iceberg-ingest'),
  startFrom: v.optional(v.picklist(['earliest', 'latest']), 'earliest'),
  /** Bad messages go to this existing topic (original key, value, headers + dlq.* headers) instead of the dead-letter table. */
  deadLetterTopic: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** Message values: JSON text, or a schema registry's wire format (needs the top-level kafka.schemaRegistry; docs/schemas.md). */
  format: v.optional(v.picklist(['json', 'avro', 'protobuf', 'json-schema']), 'json'),
  /** `debezium`: values are Debezium change events (docs/upserts.md); needs `upsert`. Tombstones delete by message key on any upsert table. */
  envelope: v.optional(v.picklist(['none', 'debezium']), 'none'),
  columns: v.optional(
    v.object({
      key: v.optional(v.string()),
      topic: v.optional(v.string()),
      partition: v.optional(v.string()),
      offset: v.optional(v.string()),
      timestamp: v.optional(v.string()),
      headers: v.optional(v.string()),
    }),
  ),
})

/** What a table entry and a route entry share: how tables are created, evolved, rolled and fed. */
const tableShape = {
  /** Column list, e.g. `sensor_id string, timestamp timestamp, reading double`. */
  schema: v.pipe(v.string(), v.minLength(1)),
  /** Partition fields, e.g. `sensor_id, day(timestamp)`. */
  partitionBy: v.optional(v.string()),
  /**
   * What a record with a field the table lacks (or a wider value) does (docs/schemas.md): `add-columns` adds
   * an optional column, `add-and-widen` also promotes int→long, float→double, decimal precision; `off` keeps
   * the schema, and such a record is a dead letter unless `extraFields` is `ignore`.
   */
  schemaEvolution: v.optional(v.picklist(['off', 'add-columns', 'add-and-widen']), 'add-columns'),
  /** With schemaEvolution `off`: `dead-letter` (default) refuses a record with unknown fields, `ignore` drops those fields. */
  extraFields: v.optional(v.picklist(['dead-letter', 'ignore']), 'dead-letter'),
  properties: v.optional(v.record(v.string(), v.string()), {}),
  /**
   * Iceberg format version of tables the worker creates (docs/format-v3.md): 2 (default) or 3 (row lineage,
   * timestamp_ns / timestamptz_ns, variant, column defaults). An existing table keeps its own version.
   */
  formatVersion: v.optional(v.picklist([2, 3]), 2),
  roll: v.optional(RollSchema, {}),
  http: v.optional(
    v.union([
      v.literal(false),
      v.object({
        tokens: v.optional(v.array(v.string()), []),
        /** `op`: each record is `{"op": "c"|"u"|"r"|"d", "data": {...}}` (docs/upserts.md); needs `upsert`. */
        envelope: v.optional(v.picklist(['none', 'op']), 'none'),
      }),
    ]),
    {},
  ),
}

const TableSchema = v.object({
  /** `namespace.table`; multi-level namespaces as `a.b.table`. */
  name: v.pipe(v.string(), v.regex(/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+$/, 'must be namespace.table')),
  ...tableShape,
  kafka: v.optional(
    v.object({
      ...KafkaTableSchema.entries,
      /**
       * Shared commits (docs/design.md, "Several workers, one commit per table"): the workers of the group
       * hand their files to one committer over this existing topic; absent at start, each worker commits on its own.
       */
      controlTopic: v.optional(v.pipe(v.string(), v.minLength(1))),
      /**
       * false: this worker does not read the topics; with controlTopic it takes part in the group's shared
       * commits of the table for its HTTP rows only (a worker behind a load balancer), handing them to the committer.
       */
      consume: v.optional(v.boolean(), true),
    }),
  ),
  /** Upsert mode (docs/upserts.md): the last change per key wins; rows replaced or deleted by key become deletes. */
  upsert: v.optional(v.object({ key: v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1)) })),
  /** Background compaction, manifest merge, expiry, orphans (docs/maintenance.md); `{ enabled: false }` turns it off. */
  maintenance: v.optional(MaintenanceConfigSchema, {}),
})

/**
 * A route: tables named by each record (a field) or by its topic, created on first sight from this entry's
 * schema and partitioning (docs/schemas.md, "Routing"). table-route.ts decides the names.
 */
const RouteSchema = v.object({
  route: v.object({
    /** Route by this top-level field's value: `$1` in `table`. */
    field: v.optional(v.pipe(v.string(), v.minLength(1))),
    /** Route by Kafka topic: the topics the worker reads are those matching it at start; `$1`… are its groups. */
    topicPattern: v.optional(v.pipe(v.string(), v.minLength(1))),
    /** The table name template, e.g. `events.$1`. */
    table: v.pipe(v.string(), v.minLength(1)),
    /** Full-match pattern every routed name must satisfy, e.g. `events\\.(clicks|views|orders)`. */
    allow: v.optional(v.pipe(v.string(), v.minLength(1))),
    /** Tables this route may create or open per worker; records for more are dead letters. */
    maxTables: v.optional(positiveInt, 1000),
    /** Where records without a (valid) route go; default `<template namespace>.unrouted_dead_letters`. */
    deadLetters: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+$/, 'must be namespace.table'))),
  }),
  ...tableShape,
  /** Background maintenance of each routed table, as `tables[].maintenance`. */
  maintenance: v.optional(MaintenanceConfigSchema, {}),
  /** Field routes: `topics` to read; topic routes: no `topics` (the pattern chooses them). */
  kafka: v.optional(v.object({ ...KafkaTableSchema.entries, topics: v.optional(KafkaTableSchema.entries.topics) })),
})

export const ConfigSchema = v.object({
  dataDir: v.optional(v.string(), './data'),
  http: v.optional(
    v.object({
      enabled: v.optional(v.boolean(), true),
      host: v.optional(v.string(), '127.0.0.1'),
      port: v.optional(port, 8181),
      tokens: v.optional(v.array(v.string()), []),
      maxBodyBytes: v.optional(positiveInt, 16 * 1024 * 1024),
      /** Idempotency-Keys are remembered this long from their first answer, at most maxKeys of them (docs/records.md). */
      idempotency: v.optional(
        v.object({
          windowS: v.optional(positiveInt, 24 * 3600),
          maxKeys: v.optional(positiveInt, 100_000),
        }),
        {},
      ),
    }),
    {},
  ),
  catalog: v.optional(CatalogSchema, { type: 'embedded' }),
  storage: v.optional(StorageSchema, { type: 'fs' }),
  wal: v.optional(
    v.object({
      dir: v.optional(v.string()),
      maxBytes: v.optional(positiveInt, 1024 * 1024 * 1024),
      segmentBytes: v.optional(positiveInt, 64 * 1024 * 1024),
      fsync: v.optional(v.boolean(), true),
    }),
    {},
  ),
  kafka: v.optional(
    v.object({
      brokers: v.pipe(v.array(v.string()), v.minLength(1)),
      clientId: v.optional(v.string()),
      /** How long the group waits for a silent (crashed) worker before moving its partitions. */
      sessionTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1000)), 10_000),
      heartbeatIntervalMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100)), 1_000),
      /**
       * Bytes a fetch response may carry (Kafka's fetch.max.bytes): the client holds a whole response as
       * message objects at once, so this trades peak memory for rate (docs/configuration.md, Memory).
       */
      fetchMaxBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(64 * 1024)), 1024 * 1024),
      /** Topic routes look for new matching topics this often. */
      topicRefreshMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1000)), 30_000),
      /** The Confluent-compatible registry that tables with a non-json kafka.format read their schemas from. */
      schemaRegistry: v.optional(
        v.object({
          url: v.pipe(v.string(), v.minLength(1)),
          auth: v.optional(
            v.variant('type', [
              v.object({ type: v.literal('basic'), username: v.string(), password: v.string() }),
              v.object({ type: v.literal('bearer'), token: v.pipe(v.string(), v.minLength(1)) }),
            ]),
          ),
        }),
      ),
    }),
  ),
  compression: v.optional(v.picklist(['zstd', 'snappy', 'uncompressed']), 'zstd'),
  /** Estimated heap bytes of uncommitted rows across tables; above it HTTP gets 503 and Kafka pauses. */
  maxPendingBytes: v.optional(positiveInt, 64 * 1024 * 1024),
  /**
   * How long a graceful stop (one SIGINT/SIGTERM) may spend on its final commits before the worker
   * exits anyway; what is not committed by then stays in the WAL (HTTP) or the topic (Kafka).
   */
  shutdownTimeoutMs: v.optional(positiveInt, 30_000),
  /** Fixed tables; at least one table or route is needed. */
  tables: v.optional(v.array(TableSchema), []),
  /** Tables named by the data (docs/schemas.md, "Routing"). */
  routes: v.optional(v.array(RouteSchema), []),
})

/** The file as valibot checked it (defaults filled in). */
export type ConfigShape = v.InferOutput<typeof ConfigSchema>

/** What parseConfig resolves once for each table, so no later step parses the DSL strings again. */
export interface ResolvedTable {
  identifier: TableIdentifier
  schema: Schema
  partitionSpec?: PartitionSpec
}

export type TableConfig = ConfigShape['tables'][number] & { resolved: ResolvedTable }

/** A route as parseConfig resolves it: its template schema and spec parsed, its unrouted dead-letter table named. */
export type RouteConfig = ConfigShape['routes'][number] & { resolved: Omit<ResolvedTable, 'identifier'> & { deadLetters: TableIdentifier } }

/** The validated config (config.ts parseConfig): the shape, each table resolved, credential fallbacks applied. */
export type Config = Omit<ConfigShape, 'tables' | 'routes'> & { tables: TableConfig[]; routes: RouteConfig[] }
