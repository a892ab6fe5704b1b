/**
 * One table's batches from intake to commit: the buffer (batch-buffer.ts, pure) takes rows, a roll
 * (policy.ts) queues the open batch, so intake never waits for Parquet or the catalog, and batches
 * commit in order, one snapshot at a time (batch-committer.ts): the batch at the head, with the
 * batches queued behind it when the commit starts (a backlog that built up while the previous
 * commit ran goes in one snapshot, not one each — each commit's fixed cost is paid once). One retry
 * loop: a failed attempt keeps its batches and retries with backoff — nothing is dropped, and the
 * snapshot id and the batches it takes are fixed at the first attempt, so a retry after an unknown
 * outcome cannot duplicate them.
 */
import type { Catalog, LoadedTable } from '../catalog/catalog.ts'
import { tableName } from '../iceberg/table-identifier.ts'
import { currentSchema } from '../iceberg/table-metadata.ts'
import type { Row, Schema, TableIdentifier, TableMetadata } from '../iceberg/types.ts'
import type { ParquetCompression, ParquetCompressors } from '../parquet/data-file.ts'
import type { FileIO } from '../storage/file-io.ts'
import type { BatchEncoder } from '../table/encode-batch.ts'
import { type Batch, BatchBuffer, type RowSource } from './batch-buffer.ts'
import { attemptCommit, type AttemptOutcome, type CommitterOptions } from './batch-committer.ts'
import { type BatchMarkers, committedKafkaOffsets, committedWalSeq, type Markers, unionBatchMarkers } from './markers.ts'
import { tableMarkers } from './table-markers.ts'
import { commitLatencyMs, effectiveIntervalMs, maxIntervalMs, observeCommit, rollReason, type BufferState, type CommitPace, type RollReason, type RollTriggers } from './policy.ts'

export interface TableBatcherOptions {
  catalog: Catalog
  io: FileIO
  table: LoadedTable
  triggers: RollTriggers
  walId: string
  compression?: ParquetCompression
  compressors?: ParquetCompressors
  /** Where Parquet encoding runs (default: this thread). */
  encoder?: BatchEncoder
  /**
   * The schema rows passed to `add` are shaped by (keyed by its names); default: the schema `table`
   * has now, which is what the pipeline's coercer was built from. When another engine changes the
   * schema, buffered rows are carried to the new one by field id (iceberg/row-evolution.ts).
   */
  rowSchema?: Schema
  /** Runs before each commit of this table, e.g. committing its dead-letter table first. */
  beforeCommit?: () => Promise<void>
  onCommitted?: (event: CommittedEvent) => void
  /** One commit attempt of a batch (default attemptCommit, an append); upsert tables resolve keys first (upsert/upsert-commit.ts). */
  attempt?: (committer: CommitterOptions, table: LoadedTable, batch: Batch) => Promise<AttemptOutcome>
  log?: (line: string) => void
  now?: () => number
}

export interface CommittedEvent {
  table: TableIdentifier
  snapshotId: bigint
  rows: number
  files: number
  reason: RollReason
  markers: BatchMarkers
  durationMs: number
}

export interface BatcherStats {
  commits: number
  commitFailures: number
  commitRetries: number
  lastCommitAtMs: number | undefined
  consecutiveFailures: number
  lastError: string | undefined
  /** Median catalog commit latency of the recent commits (policy.ts commit pacing); undefined before the first. */
  commitLatencyMs: number | undefined
  /** The interval trigger in force: `intervalMs`, stretched while commits are slow. */
  effectiveIntervalMs: number
}


/**
 * Heap cost of a row beyond its values and its columns (RowColumns counts those): its origin, three
 * plain-array slots. Row objects were ~250 bytes each on Bun 1.4 with the sensor schema; held as
 * columns, the same row is ~24 bytes plus this.
 */
const rowOverheadBytes = (_schema: Schema) => 32

/** Queued batches one snapshot takes along behind its head at most: a long backlog (a catalog outage) still commits in steps. */
const MAX_FOLLOWERS = 15

export class TableBatcher {
  readonly identifier: TableIdentifier
  readonly stats: BatcherStats = {
    commits: 0,
    commitFailures: 0,
    commitRetries: 0,
    lastCommitAtMs: undefined,
    consecutiveFailures: 0,
    lastError: undefined,
    commitLatencyMs: undefined,
    effectiveIntervalMs: 0,
  }
  readonly #options: TableBatcherOptions
  #pace: CommitPace = []
  /** The triggers maybeRoll applies: the configured ones with the paced interval. */
  #triggers: RollTriggers
  readonly #buffer: BatchBuffer
  readonly #committer: CommitterOptions
  #table: LoadedTable
  #committing: Promise<void> | undefined
  readonly #now: () => number
  readonly #log: (line: string) => void

  constructor(options: TableBatcherOptions) {
    this.#options = options
    this.#table = options.table
    this.identifier = options.table.identifier
    this.#now = options.now ?? Date.now
    this.#log = options.log ?? (() => {})
    this.#triggers = options.triggers
    this.stats.effectiveIntervalMs = options.triggers.intervalMs
    const rowSchema = options.rowSchema ?? currentSchema(options.table.metadata)
    this.#buffer = new BatchBuffer(rowSchema, rowOverheadBytes(rowSchema))
    this.#committer = {
      catalog: options.catalog,
      io: options.io,
      walId: options.walId,
      ...(options.compression ? { compression: options.compression } : {}),
      ...(options.compressors ? { compressors: options.compressors } : {}),
      ...(options.encoder ? { encoder: options.encoder } : {}),
      log: this.#log,
      now: this.#now,
    }
  }

  /** Highest WAL sequence number this table holds, per its markers (table-markers.ts). */
  committedWalSeq(): bigint | undefined {
    return committedWalSeq(this.#markers, this.#options.walId)
  }

  /** Next offset per partition this table holds for `topic`, per its markers (table-markers.ts). */
  committedKafkaOffsets(topic: string): Map<number, bigint> {
    return committedKafkaOffsets(this.#markers, topic)
  }

  /** The table's markers, looked up once per metadata version (replay asks once per WAL entry). */
  get #markers(): Markers {
    const metadata = this.#table.metadata
    if (this.#markersOf?.metadata !== metadata) this.#markersOf = { metadata, markers: tableMarkers(metadata).markers }
    return this.#markersOf.markers
  }
  #markersOf: { metadata: TableMetadata; markers: Markers } | undefined

  get table(): LoadedTable {
    return this.#table
  }

  /** Rows open plus queued: `bytes` is the Parquet estimate (what roll triggers use), `memoryBytes` their heap cost (what backpressure uses). */
  pending(): { rows: number; bytes: number; memoryBytes: number; batches: number } {
    return this.#buffer.pending()
  }

  /** Lowest WAL sequence number not yet committed here, or undefined when none is pending. */
  lowestPendingWalSeq(): bigint | undefined {
    return this.#buffer.lowestPendingWalSeq()
  }

  /** Lowest offset of `topic`/`partition` buffered or queued and not committed yet. */
  lowestPendingOffset(topic: string, partition: number): bigint | undefined {
    return this.#buffer.lowestPendingOffset(topic, partition)
  }

  /** Adds coerced rows. `walSeq` or `kafka` says where they came from, for the markers. */
  add(rows: Row[], source: RowSource): void {
    this.#buffer.add(rows, source, this.#now())
  }

  /** Records that an offset was consumed for this table even when it produced no row here. */
  trackOffset(topic: string, partition: number, offset: bigint): void {
    this.#buffer.trackOffset(topic, partition, offset, this.#now())
  }

  bufferState(): BufferState {
    return this.#buffer.state()
  }

  /** Rolls when a trigger fired; returns the reason or undefined. Never waits for the commit. */
  maybeRoll(triggersOverride?: RollTriggers): RollReason | undefined {
    const state = this.#buffer.state()
    // Offsets-only progress (all records went to dead letters) still needs a commit eventually.
    if (state.rows === 0 && this.#buffer.openHasOffsets) state.rows = 1
    const reason = rollReason(state, triggersOverride ?? this.#triggers, this.#now())
    if (reason) this.roll(reason)
    return reason
  }

  /** Queues the open batch and starts committing if idle. */
  roll(reason: RollReason): void {
    if (this.#buffer.roll(reason)) this.#startDrain()
  }

  #startDrain(): void {
    this.#committing ??= this.#drain().finally(() => {
      this.#committing = undefined
    })
  }

  /** Rolls whatever is buffered and waits until every queued batch is committed (or `signal` aborts). */
  async flush(reason: RollReason = 'shutdown', signal?: AbortSignal): Promise<void> {
    this.roll(reason)
    // Why race the signal: a drain whose commits keep failing never settles, and a stop with a
    // deadline must still return (the batches stay queued, their WAL records untruncated).
    const aborted = new Promise<void>((resolve) => {
      if (signal?.aborted) resolve()
      else signal?.addEventListener('abort', () => resolve(), { once: true })
    })
    while (this.#committing && !signal?.aborted) await Promise.race([this.#committing, aborted])
  }

  /**
   * The table's schema evolved (`table` is what the schema commit returned): rows added from now on are
   * shaped by `rowSchema`. The open batch goes to the queue first, so it keeps its own shape.
   */
  adoptSchema(table: LoadedTable, rowSchema: Schema): void {
    this.#table = table
    if (this.#buffer.reshape(rowSchema, rowOverheadBytes(rowSchema), 'schema')) this.#startDrain()
  }

  /**
   * Stops retrying: after a stop whose deadline passed, the queued batches are left to the WAL (or the topic) and
   * the next start, not to a loop that would go on writing files into a table this process is done with.
   */
  abandon(): void {
    this.#abandoned = true
  }
  #abandoned = false

  /** Reloads the table, e.g. after a rebalance, to see what other writers committed. */
  async reload(): Promise<void> {
    this.#table = await this.#options.catalog.loadTable(this.identifier)
  }

  /**
   * The one retry loop: commits the queue's head until the queue is empty. An attempt refused before
   * it was sent (offsets fenced, layout changed) goes again at once on reloaded metadata; a failure
   * backs off (250 ms doubling to 30 s), reloads, and tries the same batch again.
   */
  async #drain(): Promise<void> {
    let delayMs = 250
    let startedAt: number | undefined
    // The batches the head's snapshot takes along: chosen at its first attempt and kept through its
    // retries (an attempt whose outcome is unknown may have committed exactly these). Custom attempts
    // (upserts, shared commits) commit one batch each.
    let followers: Batch[] | undefined
    for (let batch = this.#buffer.head(); batch && !this.#abandoned; batch = this.#buffer.head()) {
      try {
        if (startedAt === undefined) {
          startedAt = this.#now()
          await this.#options.beforeCommit?.()
        }
        const attempt = this.#options.attempt
        followers ??= attempt ? [] : this.#buffer.followers(MAX_FOLLOWERS)
        const outcome = attempt ? await attempt(this.#committer, this.#table, batch) : await attemptCommit(this.#committer, this.#table, batch, followers)
        if (outcome.kind === 'again') {
          // Refused before it was sent: nothing landed, so the next attempt may take a longer backlog.
          followers = undefined
          this.#log(`table ${tableName(this.identifier)}: ${outcome.reason}`)
          await this.reload()
          continue
        }
        if (outcome.kind === 'committed') {
          this.#table = outcome.table
          this.stats.commitRetries += outcome.catalogAttempts - 1
          if (outcome.commitMs !== undefined) this.#paceAfter(outcome.commitMs)
          this.#committed([batch, ...followers], outcome.files, startedAt)
        }
        this.#buffer.shift(1 + followers.length)
        followers = undefined
        delayMs = 250
        startedAt = undefined
      } catch (error) {
        this.stats.commitFailures++
        this.stats.consecutiveFailures++
        this.stats.lastError = (error as Error).message
        this.#log(
          `commit failed for table ${tableName(this.identifier)} (${batch.columns.length} rows, snapshot ${batch.snapshotId}); retrying in ${delayMs} ms: ${(error as Error).message}`,
        )
        await new Promise((resolve) => setTimeout(resolve, delayMs))
        delayMs = Math.min(delayMs * 2, 30_000)
        this.stats.commitRetries++
        // The barrier runs again before the retry: what it waited for may have changed meanwhile.
        startedAt = undefined
        await this.reload().catch((reloadError: Error) =>
          this.#log(`table ${tableName(this.identifier)}: reload before the retry failed (the retry commits on the metadata it has): ${reloadError.message}`),
        )
      }
    }
  }

  /** Commit pacing (policy.ts): the interval follows the catalog's recent commit latency, within its cap. */
  #paceAfter(commitMs: number): void {
    this.#pace = observeCommit(this.#pace, commitMs)
    this.stats.commitLatencyMs = commitLatencyMs(this.#pace)
    const interval = effectiveIntervalMs(this.#options.triggers, this.#pace)
    if (interval === this.stats.effectiveIntervalMs) return
    const configured = this.#options.triggers.intervalMs
    this.#log(
      interval > configured
        ? `table ${tableName(this.identifier)}: commits take ${this.stats.commitLatencyMs} ms (median of the last ${this.#pace.length}); roll interval stretched to ${interval} ms (configured ${configured} ms, cap ${maxIntervalMs(this.#options.triggers)} ms)`
        : `table ${tableName(this.identifier)}: commits take ${this.stats.commitLatencyMs} ms; roll interval back to ${interval} ms`,
    )
    this.stats.effectiveIntervalMs = interval
    this.#triggers = { ...this.#options.triggers, intervalMs: interval }
  }

  /** `batches`: the head and the followers its snapshot took, oldest first. */
  #committed(batches: Batch[], files: number, startedAt: number): void {
    const head = batches[0]!
    this.stats.commits++
    this.stats.consecutiveFailures = 0
    this.stats.lastError = undefined
    this.stats.lastCommitAtMs = this.#now()
    const event: CommittedEvent = {
      table: this.identifier,
      snapshotId: head.snapshotId,
      rows: batches.reduce((rows, batch) => rows + batch.columns.length, 0),
      files,
      reason: head.reason,
      markers: batches.length === 1 ? head.markers : unionBatchMarkers(batches.map((batch) => batch.markers)),
      durationMs: this.#now() - startedAt,
    }
    const backlog = batches.length === 1 ? '' : batches.length === 2 ? ', with the batch queued behind it' : `, with the ${batches.length - 1} batches queued behind it`
    this.#log(`committed table ${tableName(this.identifier)} snapshot ${head.snapshotId}: ${event.rows} rows in ${files} files (${event.reason}${backlog}, ${event.durationMs} ms)`)
    this.#options.onCommitted?.(event)
  }
}
