/**
 * The ingest pipeline: one batcher per table (and per dead-letter table), with sources in front of
 * its intake port (intake.ts). HTTP records go through the WAL first (http-intake.ts); Kafka records
 * are not logged (the broker keeps them) and are filtered by the offsets in the table. Backpressure
 * (maxPendingBytes), the roll timer and the final flush live here.
 */
import type { Catalog, LoadedTable } from '../catalog/catalog.ts'
import { IngestError } from '../errors.ts'
import type { PartitionSpec, Schema, TableIdentifier } from '../iceberg/types.ts'
import type { ParquetCompression, ParquetCompressors } from '../parquet/data-file.ts'
import type { EvolutionMode } from '../iceberg/schema-evolution.ts'
import { EvolvingTable } from './evolving-table.ts'
import type { FileIO } from '../storage/file-io.ts'
import type { BatchEncoder } from '../table/encode-batch.ts'
import type { CreateTableOptions } from '../table/table.ts'
import type { RollTriggers } from '../batcher/policy.ts'
import { TableBatcher, type CommittedEvent, type TableBatcherOptions } from '../batcher/table-batcher.ts'
import { deadLetterTableCreate, deadLetterTableIdentifier, loadOrCreateTable } from './table-set.ts'
import type { RecordLog } from './record-log.ts'
import type { Intake, IntakeRouter, IntakeTable, RouteDeadLetters, RoutedAdmission } from './intake.ts'
import { HttpIntake } from './http-intake.ts'
import { tableIdentifier, tableName } from '../iceberg/table-identifier.ts'
import { TableRoute, type RouteDecision, type TableRouteRule } from './table-route.ts'
import { upsertParts, type UpsertServices, type UpsertTableConfig } from '../upsert/upsert-pipeline.ts'
import type { UpsertTable } from '../upsert/upsert-table.ts'

export interface PipelineTableConfig {
  identifier: TableIdentifier
  /** Used to create the table when it does not exist; an existing table keeps its own schema. */
  schema: Schema
  partitionSpec?: PartitionSpec
  properties?: Record<string, string>
  triggers: RollTriggers
  /** Bearer tokens accepted for this table's HTTP endpoint (in addition to global ones). */
  tokens?: string[]
  /** What records the schema lacks do (evolving-table.ts); default `add-columns`. */
  schemaEvolution?: EvolutionMode
  /** With schemaEvolution `off`: refuse records with unknown fields (default) or drop those fields. */
  extraFields?: 'dead-letter' | 'ignore'
  /** Upsert mode (docs/upserts.md): the key and the envelopes changes arrive in. */
  upsert?: UpsertTableConfig
}

/** A route (table-route.ts) and the template its tables are created from. */
export interface PipelineRouteConfig {
  rule: TableRouteRule
  template: Omit<PipelineTableConfig, 'identifier'>
  /** Where records without a valid route go. */
  deadLetters: TableIdentifier
}

export interface PipelineOptions {
  catalog: Catalog
  io: FileIO
  log: RecordLog
  tables: PipelineTableConfig[]
  routes?: PipelineRouteConfig[]
  /** Called once per routed table the pipeline opens, with its route's index in `routes` (the worker schedules its maintenance). */
  onRoutedTableOpened?: (routeIndex: number, identifier: TableIdentifier) => void
  compression?: ParquetCompression
  compressors?: ParquetCompressors
  /** Where Parquet encoding runs (default: this thread; the Bun worker uses a worker thread). */
  encoder?: BatchEncoder
  /** Cap on estimated heap bytes of rows held across tables (buffers + queued batches); intake gets BACKPRESSURE above it. */
  maxPendingBytes?: number
  logLine?: (line: string) => void
  /**
   * Where Idempotency-Keys go when the WAL entry that carries one is truncated, so a resend is still
   * recognised after the commit and a restart (idempotency-keys.ts). Without it keys last while their
   * WAL entry does.
   */
  keyLog?: RecordLog
  /** How long and how many keys are remembered (default 24 h, 100,000). */
  idempotency?: { windowMs: number; maxKeys: number }
  /** The clock and timer of the backpressure wait (default Date.now, setTimeout), so a test need not spend its 2 s. */
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  /** What upsert tables need (the row-delta commit, the table reader, where key indexes are kept). */
  upserts?: UpsertServices
  /** The commit attempt of a non-upsert table, when not the default append: shared commits (batcher/shared-commit.ts) hand the table's batches to its committer. */
  commitAttempt?: (identifier: TableIdentifier) => TableBatcherOptions['attempt'] | undefined
}


export interface PipelineTable {
  config: PipelineTableConfig
  /** What sources see of this table (intake.ts). */
  intake: IntakeTable
  evolving: EvolvingTable
  batcher: TableBatcher
  deadLetters: TableBatcher
  /**
   * Awaited before each commit of the table, before its dead letters are committed: a source
   * whose dead letters leave by another way (a Kafka dead-letter topic) holds the commit, and
   * with it the table's offsets, until they are safely out.
   */
  commitBarriers: (() => Promise<void>)[]
  /** An upsert table's key index (upsert-table.ts), stored at stop. */
  upsert?: UpsertTable
}

/** Keeps a worker near 256 MB RSS with the default roll triggers (bench/ingest.bench.ts). */
export const DEFAULT_MAX_PENDING_BYTES = 64 * 1024 * 1024
const PRESSURE_WAIT_MS = 2_000

export class BackpressureError extends IngestError {
  constructor(pendingBytes: number, capBytes: number) {
    super('BACKPRESSURE', `ingest buffers hold ${pendingBytes} bytes, over the cap of ${capBytes}; retry shortly`, { retryable: true })
  }
}

/** A route's table for records it cannot route (a dead-letter table of its own). */
export interface UnroutedDeadLetters extends RouteDeadLetters {
  batcher: TableBatcher
}

export interface PipelineRoute {
  config: PipelineRouteConfig
  route: TableRoute
  unrouted: UnroutedDeadLetters
}

export class Pipeline {
  readonly tables = new Map<string, PipelineTable>()
  readonly routes: PipelineRoute[] = []
  /** By dotted name. */
  readonly unrouted = new Map<string, UnroutedDeadLetters>()
  readonly #opening = new Map<string, Promise<PipelineTable>>()
  #options: PipelineOptions
  readonly #committedListeners = new Set<(event: CommittedEvent) => void>()
  #ready = false
  #timer: ReturnType<typeof setInterval> | undefined
  readonly counters = { httpAccepted: 0, httpRejected: 0, kafkaAccepted: 0, kafkaRejected: 0, bytesIn: 0, replayed: 0 }
  /** The WAL-backed HTTP intake (what the HTTP app's deps call). */
  readonly http: HttpIntake

  private constructor(options: PipelineOptions) {
    this.#options = options
    this.http = new HttpIntake({
      log: options.log,
      ...(options.keyLog ? { keyLog: options.keyLog } : {}),
      ...(options.idempotency ? { idempotency: options.idempotency } : {}),
      tables: this.tables,
      batchers: () => this.batchers(),
      resolve: async (name) => {
        const unrouted = this.unrouted.get(name)
        if (unrouted) return unrouted
        const route = this.routeProducing(name)
        return route && this.openRouted(route, name)
      },
      routed: (options.routes ?? []).length > 0,
      counters: this.counters,
      waitForRoom: () => this.#waitForRoom(),
      logLine: (line) => this.#logLine(line),
    })
  }

  /** Loads or creates every table and its dead-letter table, and each route's table for unroutable records, then replays the log. */
  static async start(options: PipelineOptions): Promise<Pipeline> {
    const pipeline = new Pipeline(options)
    for (const config of options.tables) await pipeline.#open(config)
    for (const config of options.routes ?? []) {
      const loaded = await pipeline.#ensureTable(config.deadLetters, deadLetterTableCreate())
      const batcher = pipeline.#batcher(loaded, config.template.triggers)
      const unrouted: UnroutedDeadLetters = {
        name: tableName(config.deadLetters),
        batcher,
        deadLetter: (row, origin) => batcher.add([row], origin),
        committedOffsets: async (topic) => {
          await batcher.reload()
          return batcher.committedKafkaOffsets(topic)
        },
        pendingOffset: (topic, partition) => batcher.lowestPendingOffset(topic, partition),
      }
      pipeline.routes.push({ config, route: new TableRoute(config.rule), unrouted })
      pipeline.unrouted.set(unrouted.name, unrouted)
    }
    await pipeline.http.replay()
    pipeline.#ready = true
    pipeline.#timer = setInterval(() => pipeline.tick(), 200)
    return pipeline
  }

  /** Loads or creates one table and its dead-letter table and starts serving it. */
  async #open(config: PipelineTableConfig): Promise<PipelineTable> {
    const loaded = await this.#ensureTable(config.identifier, {
      schema: config.schema,
      ...(config.partitionSpec ? { partitionSpec: config.partitionSpec } : {}),
      ...(config.properties ? { properties: config.properties } : {}),
    })
    const dlqLoaded = await this.#ensureTable(deadLetterTableIdentifier(config.identifier), deadLetterTableCreate())
    const deadLetters = this.#batcher(dlqLoaded, config.triggers)
    const commitBarriers: PipelineTable['commitBarriers'] = []
    const name = tableName(config.identifier)
    const upsert = config.upsert && upsertParts(config.upsert, loaded, name, this.#options.upserts, (line) => this.#logLine(line))
    const batcher = this.#batcher(
      loaded,
      config.triggers,
      async () => {
        for (const barrier of commitBarriers) await barrier()
        await deadLetters.flush('interval')
      },
      upsert ? upsert.attempt : this.#options.commitAttempt?.(config.identifier),
    )
    const evolving = new EvolvingTable({
      catalog: this.#options.catalog,
      name,
      mode: config.schemaEvolution ?? 'add-columns',
      extraFields: config.extraFields ?? 'dead-letter',
      batcher,
      log: (line) => this.#logLine(line),
    })
    const table: PipelineTable = {
      config,
      intake: this.#intakeTable(name, evolving, batcher, deadLetters, commitBarriers),
      ...(upsert ? { upsert: upsert.table } : {}),
      evolving,
      batcher,
      deadLetters,
      commitBarriers,
    }
    if (upsert) {
      const changes = upsert.intake((record) => evolving.admit(record))
      table.intake = { ...table.intake, admit: changes.admitRecord, upsert: changes }
    }
    this.tables.set(name, table)
    return table
  }

  /**
   * The routed table `name`, loaded or created from the route's template on first use (each name opened
   * once, however many records ask at the same time). A failed open is forgotten, so a later record tries again.
   */
  openRouted(route: PipelineRoute, name: string): Promise<PipelineTable> {
    const open = this.tables.get(name)
    if (open) return Promise.resolve(open)
    let opening = this.#opening.get(name)
    if (!opening) {
      opening = this.#open({ ...route.config.template, identifier: tableIdentifier(name) })
        .then((table) => (this.#options.onRoutedTableOpened?.(this.routes.indexOf(route), table.config.identifier), table))
        .finally(() => this.#opening.delete(name))
      this.#opening.set(name, opening)
      this.#logLine(`route ${route.route.label}: serving table ${name}`)
    }
    return opening
  }

  /** The route a routed table name belongs to (the first whose template makes it), for WAL replay. */
  routeProducing(name: string): PipelineRoute | undefined {
    return this.routes.find((route) => route.route.produces(name))
  }

  /** The port every source feeds (intake.ts). */
  readonly intake: Intake = {
    table: (name) => this.tables.get(name)?.intake,
    router: (index) => this.#router(index),
    overloaded: () => this.overloaded(),
    onCommitted: (listener) => {
      this.#committedListeners.add(listener)
      return () => this.#committedListeners.delete(listener)
    },
  }

  #intakeTable(name: string, evolving: EvolvingTable, batcher: TableBatcher, deadLetters: TableBatcher, commitBarriers: PipelineTable['commitBarriers']): IntakeTable {
    return {
      name,
      coerce: evolving.coerce,
      admit: (record) => evolving.admit(record),
      evolveTo: (fields) => evolving.evolveTo(fields),
      accept: (rows, origin) => {
        batcher.add(rows, origin)
        if ('kafka' in origin) this.counters.kafkaAccepted += rows.length
        batcher.maybeRoll()
      },
      reject: (origin) => {
        this.counters.kafkaRejected++
        // The main table's offset range covers the bad message too, so its marker moves past it.
        batcher.trackOffset(origin.topic, origin.partition, origin.offset)
      },
      deadLetter: (row, origin) => deadLetters.add([row], origin),
      committedOffsets: async (topic) => {
        // Another worker may have committed partitions that just moved here.
        await batcher.reload()
        await deadLetters.reload()
        evolving.follow()
        return batcher.committedKafkaOffsets(topic)
      },
      holdCommits: (barrier) => void commitBarriers.push(barrier),
      pendingOffset: (topic, partition) => batcher.lowestPendingOffset(topic, partition),
    }
  }

  /** What a source sees of route `index`: a record's table (opened on first sight), or why it has none. */
  #router(index: number): IntakeRouter | undefined {
    const route = this.routes[index]
    if (!route) return undefined
    const decide = (decision: RouteDecision): RoutedAdmission => {
      if ('reason' in decision) return decision
      const open = this.tables.get(decision.table)
      if (open) return { table: open.intake }
      return { opening: this.openRouted(route, decision.table) }
    }
    return {
      label: route.route.label,
      byTopic: route.config.rule.topicPattern !== undefined,
      forRecord: (record) => decide(route.route.forRecord(record)),
      forTopic: (topic) => decide(route.route.forTopic(topic)),
      unrouted: route.unrouted,
      opened: () => [...this.tables.values()].filter((table) => route.route.produces(tableName(table.config.identifier))).map((table) => table.intake),
    }
  }

  get ready(): boolean {
    return this.#ready
  }

  table(namespace: string[], name: string): PipelineTable | undefined {
    return this.tables.get(tableName({ namespace, name }))
  }

  /**
   * Waits (up to `PRESSURE_WAIT_MS`) for buffered bytes to drop under the cap, then throws
   * BackpressureError. Why wait first: a commit usually frees room within a few hundred ms, and
   * holding the request that long costs the client far less than a 503 with a whole-second Retry-After.
   */
  async #waitForRoom(): Promise<void> {
    const cap = this.#options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES
    const now = this.#options.now ?? Date.now
    const sleep = this.#options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
    const deadline = now() + PRESSURE_WAIT_MS
    let pending = this.pendingBytes()
    while (pending > cap) {
      this.#relieve()
      if (now() >= deadline) throw new BackpressureError(pending, cap)
      await sleep(20)
      pending = this.pendingBytes()
    }
  }

  /** Estimated heap bytes of everything buffered or queued, across tables. */
  pendingBytes(): number {
    let bytes = 0
    for (const batcher of this.batchers()) bytes += batcher.pending().memoryBytes
    return bytes
  }

  /** Every batcher: each table's and its dead-letter table's, and each route's for unroutable records. */
  *batchers(): Iterable<TableBatcher> {
    for (const table of this.tables.values()) yield* [table.deadLetters, table.batcher]
    for (const unrouted of this.unrouted.values()) yield unrouted.batcher
  }

  /** Whether Kafka fetching should pause. */
  overloaded(): boolean {
    return this.pendingBytes() > (this.#options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES)
  }

  /**
   * Over the cap, rows waiting for their roll interval only hold memory: roll every buffer now so
   * commits free it, rather than refusing intake until the interval comes round.
   */
  #relieve(): void {
    for (const batcher of this.batchers()) if (batcher.bufferState().rows > 0) batcher.roll('pressure')
  }

  /** Rolls due buffers and frees WAL segments every table has committed. */
  tick(): void {
    if (this.overloaded()) this.#relieve()
    for (const batcher of this.batchers()) batcher.maybeRoll()
    this.http.truncateSoon()
  }

  /** Stops the timer, commits everything buffered, and frees the log. A signal cuts the wait short. */
  async stop(signal?: AbortSignal): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#ready = false
    // Routed tables still opening are served before the final flush, so their records are flushed too.
    await Promise.allSettled(this.#opening.values())
    for (const batcher of this.batchers()) await batcher.flush('shutdown', signal)
    // Key indexes after the final commits, so the next start has nothing to catch up on.
    for (const table of this.tables.values()) await table.upsert?.persist()
    // After the final commits: a clean stop leaves the WAL empty.
    await this.http.truncate()
    if (signal?.aborted) for (const batcher of this.batchers()) batcher.abandon()
  }

  /** Rows buffered or queued for commit and not yet committed, across tables and dead-letter tables. */
  uncommittedRows(): number {
    let rows = 0
    for (const batcher of this.batchers()) rows += batcher.pending().rows
    return rows
  }

  #batcher(table: LoadedTable, triggers: RollTriggers, beforeCommit?: () => Promise<void>, attempt?: TableBatcherOptions['attempt']): TableBatcher {
    return new TableBatcher({
      catalog: this.#options.catalog,
      io: this.#options.io,
      table,
      triggers,
      walId: this.#options.log.id,
      compression: this.#options.compression,
      compressors: this.#options.compressors,
      ...(this.#options.encoder ? { encoder: this.#options.encoder } : {}),
      beforeCommit,
      ...(attempt ? { attempt } : {}),
      onCommitted: (event) => {
        // A schema another engine set reached this batcher through the commit's retry: records meet it from now on.
        this.tables.get(tableName(event.table))?.evolving.follow()
        for (const listener of this.#committedListeners) listener(event)
      },
      log: (line) => this.#logLine(line),
    })
  }

  async #ensureTable(identifier: TableIdentifier, create: CreateTableOptions): Promise<LoadedTable> {
    const table = await loadOrCreateTable({ catalog: this.#options.catalog, io: this.#options.io }, identifier, create, (line) => this.#logLine(line))
    return table.current()
  }

  #logLine(line: string): void {
    this.#options.logLine?.(line)
  }
}
