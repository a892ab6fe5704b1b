/**
 * The ingest pipeline: one durable record log, one batcher per table (and per dead-letter table),
 * sources in front. HTTP records are logged before they are acknowledged and replayed after a
 * crash, filtered by the WAL marker each table's newest snapshot carries; Kafka records are not
 * logged (the broker keeps them) and are filtered by the offsets in the table.
 */
import type { Catalog, LoadedTable } from '../catalog/catalog.ts'
import { IngestError, NoSuchEntityError } from '../errors.ts'
import { currentSchema } from '../iceberg/table-metadata.ts'
import type { PartitionSpec, Row, Schema, TableIdentifier } from '../iceberg/types.ts'
import type { ParquetCompression, ParquetCompressors } from '../parquet/data-file.ts'
import { createRecordCoercer, type CoerceResult, type RecordCoercer } from '../records/coerce.ts'
import type { FileIO } from '../storage/file-io.ts'
import type { BatchEncoder } from '../table/encode-batch.ts'
import { createTable } from '../table/table.ts'
import type { RollTriggers } from '../batcher/policy.ts'
import { TableBatcher, type CommittedEvent } from '../batcher/table-batcher.ts'
import { DEAD_LETTER_SUFFIX, deadLetterRow, deadLetterSchema } from './dead-letters.ts'
import type { RecordLog } from './record-log.ts'
import type { Intake, IntakeTable } from './intake.ts'
import { decodeWalEntry, encodeWalEntry, type WalDeadLetter, type WalEntry } from './wal-entry.ts'
import { type AnsweredKey, type ClaimResult, decodeKeyLogEntry, encodeKeyLogEntry, IdempotencyKeyReusedError, IdempotencyKeys } from './idempotency-keys.ts'
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
}

export const DEFAULT_IDEMPOTENCY = { windowMs: 24 * 3600 * 1000, maxKeys: 100_000 }
/** The key log is truncated at most this often (finding its floor walks every key). */
const KEY_LOG_TRUNCATE_EVERY_MS = 5_000

export interface PipelineTable {
  config: PipelineTableConfig
  /** What sources see of this table (intake.ts). */
  intake: IntakeTable
  coerce: (input: unknown) => CoerceResult
  batcher: TableBatcher
  deadLetters: TableBatcher
  /**
   * Awaited before each commit of the table, before its dead letters are committed: a source
   * whose dead letters leave by another way (a Kafka dead-letter topic) holds the commit, and
   * with it the table's offsets, until they are safely out.
   */
  commitBarriers: (() => Promise<void>)[]
}

const httpDeadLetterRow = (d: WalDeadLetter): Row =>
  deadLetterRow({ source: 'http', receivedAtMs: d.at, error: d.e, raw: d.raw, ...(d.i === undefined ? {} : { recordIndex: d.i }) })
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
  readonly #keys: IdempotencyKeys
  readonly #committedListeners = new Set<(event: CommittedEvent) => void>()
  #keyLogTruncatedAt = 0
  #deadLettered = new Set<string>()
  #applyOrder: Promise<void> = Promise.resolve()
  #ready = false
  #timer: ReturnType<typeof setInterval> | undefined
  #truncation: Promise<void> | undefined
  readonly counters = { httpAccepted: 0, httpRejected: 0, kafkaAccepted: 0, kafkaRejected: 0, bytesIn: 0, replayed: 0 }

  private constructor(options: PipelineOptions) {
    this.#options = options
    this.#keys = new IdempotencyKeys(options.idempotency ?? DEFAULT_IDEMPOTENCY)
  }

  /** Loads or creates every table and its dead-letter table, then replays the log. */
  static async start(options: PipelineOptions): Promise<Pipeline> {
    const pipeline = new Pipeline(options)
    for (const config of options.tables) {
      const loaded = await pipeline.#ensureTable(config.identifier, config.schema, config.partitionSpec, config.properties)
      const dlqId = { namespace: config.identifier.namespace, name: `${config.identifier.name}${DEAD_LETTER_SUFFIX}` }
      const dlqLoaded = await pipeline.#ensureTable(dlqId, deadLetterSchema, undefined, {})
      const deadLetters = pipeline.#batcher(dlqLoaded, config.triggers)
      const commitBarriers: PipelineTable['commitBarriers'] = []
      const batcher = pipeline.#batcher(loaded, config.triggers, async () => {
        for (const barrier of commitBarriers) await barrier()
        await deadLetters.flush('interval')
      })
      const coerce = createRecordCoercer(currentSchema(loaded.metadata))
      pipeline.tables.set(tableName(config.identifier), {
        config,
        intake: pipeline.#intakeTable(tableName(config.identifier), coerce, batcher, deadLetters, commitBarriers),
        coerce,
        batcher,
        deadLetters,
        commitBarriers,
      })
    }
    await pipeline.#loadKeys()
    await pipeline.#replay()
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

  #intakeTable(name: string, coerce: RecordCoercer, batcher: TableBatcher, deadLetters: TableBatcher, commitBarriers: PipelineTable['commitBarriers']): IntakeTable {
    return {
      name,
      coerce,
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
   * Claims an Idempotency-Key for one request (scoped to the table, bound to the body's fingerprint):
   * a key answered within its window replays that answer; a key in flight waits for the first
   * request's answer. Throws IdempotencyKeyReusedError (IDEMPOTENCY_KEY_REUSED) for another body.
   */
  claimIdempotencyKey(table: PipelineTable, key: string, fingerprint: string): Promise<ClaimResult> {
    return this.#keys.claim(tableName(table.config.identifier), key, fingerprint)
  }

  /**
   * Logs the accepted records of one HTTP request durably (WAL fsync), then buffers them; with a key,
   * the entry also carries the key, the body's fingerprint and `response`, the request's answer. A key
   * already answered returns that answer instead. Throws BackpressureError (BACKPRESSURE) or the log's
   * WAL_FULL error, both "retry later"; IdempotencyKeyReusedError when the key belongs to another body.
   */
  async acceptHttp(input: {
    table: PipelineTable
    records: unknown[]
    /** `records` as one JSON array text from the request body, which saves serialising them again. */
    recordsJson?: string
    rows: Row[]
    idempotencyKey?: string
    /** Hex SHA-256 of the request body (idempotency-keys.ts); without it the key replays for any body. */
    fingerprint?: string
    response: unknown
  }): Promise<{ duplicate: true; response: unknown } | { duplicate: false; walSeq: bigint }> {
    const t = tableName(input.table.config.identifier)
    const key = input.idempotencyKey
    const answered = key === undefined ? undefined : this.#answered(t, key, input.fingerprint)
    if (answered) return { duplicate: true, response: answered.response }
    await this.#waitForRoom()
    const entry: WalEntry = { t, ...this.#keyFields(key, input.fingerprint, input.response), r: input.records, d: [] }
    const walSeq = await this.#logEntry(entry, input.recordsJson, (seq) => input.table.intake.accept(input.rows, { walSeq: seq }))
    this.counters.httpAccepted += input.rows.length
    this.#recordKey(entry, walSeq)
    return { duplicate: false, walSeq }
  }

  /**
   * Logs the rejected records of one HTTP request durably, then buffers them for the dead-letter
   * table. With `response` (the request accepted nothing, so this is its last entry) the entry carries
   * the key as acceptHttp's does.
   */
  async deadLetterHttp(input: {
    table: PipelineTable
    letters: { index: number; raw: string; reason: string }[]
    idempotencyKey?: string
    fingerprint?: string
    response?: unknown
  }): Promise<void> {
    const t = tableName(input.table.config.identifier)
    const key = input.idempotencyKey
    // A resend whose first try logged its dead letters and then failed to log its rows (WAL full) logs them once.
    const retried = key === undefined ? undefined : `${t}\u0000${key}`
    if (key !== undefined && (this.#answered(t, key, input.fingerprint) || this.#deadLettered.has(retried!))) return
    const at = Date.now()
    const entry: WalEntry = {
      t,
      ...(input.response === undefined ? {} : this.#keyFields(key, input.fingerprint, input.response)),
      r: [],
      d: input.letters.map((d) => ({ e: d.reason, raw: d.raw, i: d.index, at })),
    }
    const walSeq = await this.#logEntry(entry, undefined, (seq) => input.table.deadLetters.add(entry.d.map(httpDeadLetterRow), { walSeq: seq }))
    this.counters.httpRejected += input.letters.length
    this.#recordKey(entry, walSeq)
    if (retried !== undefined) {
      this.#deadLettered.add(retried)
      if (this.#deadLettered.size > 100_000) this.#deadLettered.delete(this.#deadLettered.values().next().value as string)
    }
  }

  /** The answer to a key within its window; throws IdempotencyKeyReusedError when it belongs to another body. */
  #answered(table: string, key: string, fingerprint: string | undefined): AnsweredKey | undefined {
    const answered = this.#keys.get(table, key)
    if (answered && answered.fingerprint !== undefined && fingerprint !== undefined && answered.fingerprint !== fingerprint) {
      throw new IdempotencyKeyReusedError(table, key)
    }
    return answered
  }

  #keyFields(key: string | undefined, fingerprint: string | undefined, response: unknown): Partial<WalEntry> {
    if (key === undefined) return {}
    return { k: key, ...(fingerprint === undefined ? {} : { h: fingerprint }), a: response, at: Date.now() }
  }

  /** Remembers the key an entry carries, from the moment the entry is durable. */
  #recordKey(entry: WalEntry, walSeq: bigint): void {
    if (entry.k === undefined || entry.at === undefined) return
    this.#keys.record({
      table: entry.t,
      key: entry.k,
      ...(entry.h === undefined ? {} : { fingerprint: entry.h }),
      response: entry.a,
      answeredAtMs: entry.at,
      walSeq,
    })
  }

  /**
   * Appends one entry and buffers it with `apply` strictly in sequence order. Why: a table's WAL
   * marker says "every record up to seq S is committed", which only holds if a batch can never
   * roll with seq S while a record below S is still on its way into the buffer.
   */
  async #logEntry(entry: WalEntry, recordsJson: string | undefined, apply: (seq: bigint) => void): Promise<bigint> {
    const payload = encodeWalEntry(entry, recordsJson)
    const appended = this.#options.log.append([payload])
    const applied = this.#applyOrder.then(async () => {
      const { lastSeq } = await appended
      apply(lastSeq)
      return lastSeq
    })
    // A failed append (WAL full) must not block later ones.
    this.#applyOrder = applied.then(
      () => {},
      () => {},
    )
    const seq = await applied
    this.counters.bytesIn += payload.length
    return seq
  }

  /**
   * Waits (up to `PRESSURE_WAIT_MS`) for buffered bytes to drop under the cap, then throws
   * BackpressureError. Why wait first: a commit usually frees room within a few hundred ms, and
   * holding the request that long costs the client far less than a 503 with a whole-second Retry-After.
   */
  async #waitForRoom(): Promise<void> {
    const cap = this.#options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES
    const deadline = Date.now() + PRESSURE_WAIT_MS
    let pending = this.pendingBytes()
    while (pending > cap) {
      this.#relieve()
      if (Date.now() >= deadline) throw new BackpressureError(pending, cap)
      await new Promise((resolve) => setTimeout(resolve, 20))
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

  /** Keys whose WAL entries are gone: the key log holds them, oldest first. */
  async #loadKeys(): Promise<void> {
    const keyLog = this.#options.keyLog
    if (!keyLog) return
    for await (const { seq, payload } of keyLog.replay(-1n)) this.#keys.record(decodeKeyLogEntry(payload, seq))
    if (this.#keys.size) this.#logLine(`idempotency: ${this.#keys.size} keys answered within the window remembered from the key log`)
  }

  async #replay(): Promise<void> {
    let floor: bigint | undefined
    for (const table of this.tables.values()) {
      for (const batcher of [table.batcher, table.deadLetters]) {
        const seq = batcher.committedWalSeq() ?? -1n
        if (floor === undefined || seq < floor) floor = seq
      }
    }
    let replayed = 0
    for await (const { seq, payload } of this.#options.log.replay(floor ?? -1n)) {
      const entry = decodeWalEntry(payload)
      const table = this.tables.get(entry.t)
      if (!table) {
        this.#logLine(`WAL record ${seq} is for table ${entry.t}, which is no longer configured; skipped`)
        continue
      }
      let buffered = false
      if (seq > (table.batcher.committedWalSeq() ?? -1n)) {
        const rows: Row[] = []
        for (const record of entry.r) {
          const result = table.coerce(record)
          if (result.ok) rows.push(result.row)
          else entry.d.push({ e: result.reason, raw: JSON.stringify(record), at: Date.now() })
        }
        if (rows.length) table.batcher.add(rows, { walSeq: seq })
        buffered = rows.length > 0
      }
      if (entry.d.length && seq > (table.deadLetters.committedWalSeq() ?? -1n)) {
        table.deadLetters.add(entry.d.map(httpDeadLetterRow), { walSeq: seq })
        buffered = true
      }
      // Entries from before answers were logged replay a marker answer for any body.
      if (entry.k !== undefined && !this.#keys.get(entry.t, entry.k)) {
        this.#recordKey({ ...entry, a: entry.a ?? { replayed: true, walSeq: String(seq) }, at: entry.at ?? Date.now() }, seq)
      }
      if (buffered) replayed++
    }
    this.counters.replayed = replayed
    if (replayed) this.#logLine(`replayed ${replayed} WAL records the tables did not hold yet`)
  }

  /** Rolls due buffers and frees WAL segments every table has committed. */
  tick(): void {
    if (this.overloaded()) this.#relieve()
    for (const table of this.tables.values()) {
      table.deadLetters.maybeRoll()
      table.batcher.maybeRoll()
    }
    void this.#truncateLog()
  }

  /** One truncation at a time; stop() waits for a running one and then truncates once more. */
  #truncateLog(): Promise<void> {
    this.#truncation ??= this.#truncateCommitted().finally(() => {
      this.#truncation = undefined
    })
    return this.#truncation
  }

  async #truncateCommitted(): Promise<void> {
    try {
      // Everything below the lowest sequence number still pending anywhere is committed everywhere.
      let lowest: bigint | undefined
      for (const table of this.tables.values()) {
        for (const batcher of [table.batcher, table.deadLetters]) {
          const seq = batcher.lowestPendingWalSeq()
          if (seq !== undefined && (lowest === undefined || seq < lowest)) lowest = seq
        }
      }
      const through = lowest === undefined ? this.#options.log.lastSeq : lowest - 1n
      if (through < 0n) return
      await this.#storeKeys(through)
      await this.#options.log.truncateThrough(through)
      await this.#truncateKeyLog()
    } catch (error) {
      this.#logLine(`WAL truncation failed: ${(error as Error).message}`)
    }
  }

  /**
   * Copies the keys of WAL entries up to `through` into the key log (fsync) before those entries go.
   * Why first: once the WAL segment is deleted, the key log is the only record that the key was answered.
   */
  async #storeKeys(through: bigint): Promise<void> {
    const keyLog = this.#options.keyLog
    if (!keyLog) return
    const due = this.#keys.unstoredThrough(through)
    if (!due.length) return
    const { firstSeq } = await keyLog.append(due.map(encodeKeyLogEntry))
    due.forEach((answered, i) => (answered.storedSeq = firstSeq + BigInt(i)))
  }

  /** Drops key-log segments that only hold expired or evicted keys. */
  async #truncateKeyLog(): Promise<void> {
    const keyLog = this.#options.keyLog
    if (!keyLog || Date.now() - this.#keyLogTruncatedAt < KEY_LOG_TRUNCATE_EVERY_MS) return
    this.#keyLogTruncatedAt = Date.now()
    this.#keys.expire()
    const lowest = this.#keys.lowestStoredSeq()
    const through = lowest === undefined ? keyLog.lastSeq : lowest - 1n
    if (through >= 0n) await keyLog.truncateThrough(through)
  }

  /** Stops the timer, commits everything buffered, and frees the log. A signal cuts the wait short. */
  async stop(signal?: AbortSignal): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#ready = false
    for (const table of this.tables.values()) {
      await table.deadLetters.flush('shutdown', signal)
      await table.batcher.flush('shutdown', signal)
    }
    // A truncation the timer started may predate the final commits: wait for it, then truncate what they freed,
    // so a clean stop leaves the WAL empty.
    await this.#truncation
    await this.#truncateLog()
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
        for (const listener of this.#committedListeners) listener(event)
      },
      log: (line) => this.#logLine(line),
    })
  }

  async #ensureTable(identifier: TableIdentifier, schema: Schema, spec: PartitionSpec | undefined, properties: Record<string, string> | undefined): Promise<LoadedTable> {
    try {
      return await this.#options.catalog.loadTable(identifier)
    } catch (error) {
      if (!(error instanceof NoSuchEntityError)) throw error
    }
    this.#logLine(`creating table ${tableName(identifier)}`)
    const table = await createTable(
      { catalog: this.#options.catalog, io: this.#options.io },
      identifier,
      { schema, partitionSpec: spec, properties, createNamespace: true },
    )
    return table.current()
  }

  #logLine(line: string): void {
    this.#options.logLine?.(line)
  }
}
