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
import { TableBatcher, type CommittedEvent } from '../batcher/table-batcher.ts'
import { deadLetterTableCreate, deadLetterTableIdentifier, loadOrCreateTable } from './table-set.ts'
import type { RecordLog } from './record-log.ts'
import type { Intake, IntakeTable } from './intake.ts'
import { HttpIntake } from './http-intake.ts'
import { tableName } from '../iceberg/table-identifier.ts'

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
}

export interface PipelineOptions {
  catalog: Catalog
  io: FileIO
  log: RecordLog
  tables: PipelineTableConfig[]
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
}

/** Keeps a worker near 256 MB RSS with the default roll triggers (bench/ingest.bench.ts). */
export const DEFAULT_MAX_PENDING_BYTES = 64 * 1024 * 1024
const PRESSURE_WAIT_MS = 2_000

export class BackpressureError extends IngestError {
  constructor(pendingBytes: number, capBytes: number) {
    super('BACKPRESSURE', `ingest buffers hold ${pendingBytes} bytes, over the cap of ${capBytes}; retry shortly`, { retryable: true })
  }
}

export class Pipeline {
  readonly tables = new Map<string, PipelineTable>()
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
      counters: this.counters,
      waitForRoom: () => this.#waitForRoom(),
      logLine: (line) => this.#logLine(line),
    })
  }

  /** Loads or creates every table and its dead-letter table, then replays the log. */
  static async start(options: PipelineOptions): Promise<Pipeline> {
    const pipeline = new Pipeline(options)
    for (const config of options.tables) {
      const loaded = await pipeline.#ensureTable(config.identifier, {
        schema: config.schema,
        ...(config.partitionSpec ? { partitionSpec: config.partitionSpec } : {}),
        ...(config.properties ? { properties: config.properties } : {}),
      })
      const dlqLoaded = await pipeline.#ensureTable(deadLetterTableIdentifier(config.identifier), deadLetterTableCreate())
      const deadLetters = pipeline.#batcher(dlqLoaded, config.triggers)
      const commitBarriers: PipelineTable['commitBarriers'] = []
      const batcher = pipeline.#batcher(loaded, config.triggers, async () => {
        for (const barrier of commitBarriers) await barrier()
        await deadLetters.flush('interval')
      })
      const name = tableName(config.identifier)
      const evolving = new EvolvingTable({
        catalog: options.catalog,
        name,
        mode: config.schemaEvolution ?? 'add-columns',
        extraFields: config.extraFields ?? 'dead-letter',
        batcher,
        log: (line) => pipeline.#logLine(line),
      })
      pipeline.tables.set(name, {
        config,
        intake: pipeline.#intakeTable(name, evolving, batcher, deadLetters, commitBarriers),
        evolving,
        batcher,
        deadLetters,
        commitBarriers,
      })
    }
    await pipeline.http.replay()
    pipeline.#ready = true
    pipeline.#timer = setInterval(() => pipeline.tick(), 200)
    return pipeline
  }

  /** The port every source feeds (intake.ts). */
  readonly intake: Intake = {
    table: (name) => this.tables.get(name)?.intake,
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
    for (const table of this.tables.values()) bytes += table.batcher.pending().memoryBytes + table.deadLetters.pending().memoryBytes
    return bytes
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
    for (const table of this.tables.values()) {
      if (table.deadLetters.bufferState().rows > 0) table.deadLetters.roll('pressure')
      if (table.batcher.bufferState().rows > 0) table.batcher.roll('pressure')
    }
  }

  /** Rolls due buffers and frees WAL segments every table has committed. */
  tick(): void {
    if (this.overloaded()) this.#relieve()
    for (const table of this.tables.values()) {
      table.deadLetters.maybeRoll()
      table.batcher.maybeRoll()
    }
    this.http.truncateSoon()
  }

  /** Stops the timer, commits everything buffered, and frees the log. A signal cuts the wait short. */
  async stop(signal?: AbortSignal): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#ready = false
    for (const table of this.tables.values()) {
      await table.deadLetters.flush('shutdown', signal)
      await table.batcher.flush('shutdown', signal)
    }
    // After the final commits: a clean stop leaves the WAL empty.
    await this.http.truncate()
    if (signal?.aborted) for (const table of this.tables.values()) (table.batcher.abandon(), table.deadLetters.abandon())
  }

  /** Rows buffered or queued for commit and not yet committed, across tables and dead-letter tables. */
  uncommittedRows(): number {
    let rows = 0
    for (const table of this.tables.values()) rows += table.batcher.pending().rows + table.deadLetters.pending().rows
    return rows
  }

  #batcher(table: LoadedTable, triggers: RollTriggers, beforeCommit?: () => Promise<void>): TableBatcher {
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
