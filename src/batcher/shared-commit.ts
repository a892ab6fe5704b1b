/**
 * One commit per table per interval across the workers of a consumer group (docs/design.md,
 * "Several workers, one commit per table"). Each worker writes its batch's data files as before;
 * the table's committer (the worker the group gave partition 0 of the table's first topic) commits
 * them, everyone else hands them over on a channel (a Kafka control topic) and waits until the
 * table's markers show the batch committed. The committer folds its own batch and every pending
 * handoff into one snapshot whose markers are the table's, advanced by each (handoff-fold.ts).
 *
 * Exactly once holds without trusting the channel or the election: a snapshot folds no two
 * contributions that share a partition, nor one the table's markers already cover, and each
 * catalog attempt re-merges the markers on its base (OffsetFence). Lost pieces fall back: a sender
 * whose handoff is not committed in time (committer dead, message lost) commits its files itself;
 * a worker that dies before handing over committed nothing, so its partitions are read again by
 * whoever takes them; its files stay unreferenced, for orphan removal.
 */
import type { Catalog, LoadedTable } from '../catalog/catalog.ts'
import { IngestError } from '../errors.ts'
import { newSnapshotId } from '../iceberg/snapshot.ts'
import { tableIdentifier } from '../iceberg/table-identifier.ts'
import { currentSchema, defaultSpec } from '../iceberg/table-metadata.ts'
import type { DataFile, TableMetadata } from '../iceberg/types.ts'
import type { FileIO } from '../storage/file-io.ts'
import { fastAppend } from '../transaction/fast-append.ts'
import { batchIsEmpty, type Batch } from './batch-buffer.ts'
import { trimBatch, type AttemptOutcome, type CommitterOptions } from './batch-committer.ts'
import { writeBatchFiles } from './batch-files.ts'
import { decodeHandoff, encodeHandoff, type Handoff } from './handoff.ts'
import { coverage, foldedMarkers, hasMarkers, selectHandoffs, type Contribution, type PendingHandoff } from './handoff-fold.ts'
import { OffsetFenceError } from './markers.ts'
import { markerProperties, tableMarkers } from './table-markers.ts'

/** Summary key of a shared snapshot: the ids of the handoffs it folded (their senders' batch snapshot ids). */
export const HANDOFFS_SUMMARY_KEY = 'ingest.handoffs'

/** Where handoffs travel (control-topic.ts over Kafka; an in-memory fan-out in tests). */
export interface CommitChannel {
  /** Resolves once the message is durably on the channel. */
  send(table: string, message: string): Promise<void>
  /** Every message sent from now on, this worker's own included. */
  subscribe(listener: (table: string, message: string) => void): void
}

/** What the coordinator reads of its table's batcher (table-batcher.ts), for the commits it starts itself. */
export interface SharedBatcher {
  roll(reason: 'interval'): void
  pending(): { batches: number }
  readonly stats: { effectiveIntervalMs: number }
}

export interface SharedCommitOptions {
  /** Dotted table name. */
  table: string
  /** This worker, unique per process. */
  worker: string
  channel: CommitChannel
  catalog: Catalog
  io: FileIO
  /** Whether this worker commits the table now (it owns partition 0 of the table's first topic). */
  isCommitter: () => boolean
  /** How long a sender waits for its handoff to be committed before committing it itself. */
  handoffTimeoutMs: number
  /** How often a waiting sender reloads the table, and the committer looks for handoffs to commit alone (default 250 ms). */
  pollMs?: number
  /** Handoffs kept at most; the oldest beyond go (their senders fall back). Default 256. */
  maxPending?: number
  log: (line: string) => void
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

/** A batch's files as this worker wrote them, and whether they went out as a handoff (then they are never deleted here). */
interface OwnFiles extends Contribution {
  snapshotId: bigint
  files: DataFile[]
  schemaId: number
  specId: number
  sent: boolean
}

const layoutOf = (metadata: TableMetadata) => ({ schemaId: currentSchema(metadata)['schema-id'], specId: defaultSpec(metadata)['spec-id'] })
/** The later of two loads of one table: by sequence number, then by update time (a properties-only change). */
function newer(a: LoadedTable, b: LoadedTable | undefined): LoadedTable {
  if (!b) return a
  const [sa, sb] = [a.metadata['last-sequence-number'], b.metadata['last-sequence-number']]
  if (sa !== sb) return sb > sa ? b : a
  return b.metadata['last-updated-ms'] > a.metadata['last-updated-ms'] ? b : a
}

export class SharedCommit {
  readonly stats = { handoffsSent: 0, handoffsFolded: 0, handoffsReceived: 0, fallbacks: 0, sharedCommits: 0 }
  readonly #options: SharedCommitOptions
  readonly #identifier
  readonly #now: () => number
  readonly #sleep: (ms: number) => Promise<void>
  #pending: PendingHandoff[] = []
  #latest: LoadedTable | undefined
  #exclusive: Promise<unknown> = Promise.resolve()
  #busy = false
  #closing = false
  #timer: ReturnType<typeof setInterval> | undefined
  #batcher: SharedBatcher | undefined
  #lastCommitAtMs: number
  #wasCommitter = false

  constructor(options: SharedCommitOptions) {
    this.#options = options
    this.#identifier = tableIdentifier(options.table)
    this.#now = options.now ?? Date.now
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
    this.#lastCommitAtMs = this.#now()
  }

  /** The batcher's attempt (TableBatcherOptions.attempt): commit as the committer, or hand off and wait. */
  readonly attempt = async (committer: CommitterOptions, table: LoadedTable, batch: Batch): Promise<AttemptOutcome> => {
    table = newer(table, this.#latest)
    // A retry after an unknown outcome: the snapshot may have landed already.
    if (table.metadata.snapshots.some((s) => s['snapshot-id'] === batch.snapshotId)) return { kind: 'committed', table, files: 0, catalogAttempts: 1 }
    trimBatch(committer, table, batch)
    if (batchIsEmpty(batch)) return { kind: 'nothing-left' }
    const own = await this.#write(committer, table, batch)
    if (this.#closing || !hasMarkers(batch.markers)) return this.#serialized(() => this.#fold(table, own, false))
    if (this.#isCommitter()) return this.#serialized(() => this.#fold(table, own, true))
    return this.#handOff(table, own)
  }

  /** Takes a message from the channel: a handoff for this table from another worker is kept for the next commit. */
  receive(handoff: Handoff): void {
    if (handoff.worker === this.#options.worker || handoff.table !== this.#options.table) return
    this.stats.handoffsReceived++
    this.#pending.push({ handoff, receivedAtMs: this.#now() })
    const max = this.#options.maxPending ?? 256
    if (this.#pending.length > max) {
      const dropped = this.#pending.splice(0, this.#pending.length - max)
      this.#options.log(`table ${this.#options.table}: ${dropped.length} handoffs over the cap of ${max} dropped (their senders commit them)`)
    }
  }

  /** Handoffs kept for the next commit. */
  get pendingHandoffs(): number {
    return this.#pending.length
  }

  /** Starts the committer's own ticks: pending handoffs are committed on the interval even when this worker has no rows of its own. */
  start(batcher: SharedBatcher): void {
    this.#batcher = batcher
    this.#timer ??= setInterval(() => void this.#tick(), this.#options.pollMs ?? 250)
  }

  /** From now on each batch commits by itself, without waiting for anyone (a stopping worker). */
  close(): void {
    this.#closing = true
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #isCommitter(): boolean {
    const committer = this.#options.isCommitter()
    if (committer !== this.#wasCommitter) {
      this.#wasCommitter = committer
      // The interval starts when the role does, not at the last commit of someone else.
      if (committer) this.#lastCommitAtMs = this.#now()
      this.#options.log(`table ${this.#options.table}: ${committer ? 'this worker commits the table now (it owns the election partition)' : 'another worker commits the table now; batches are handed off'}`)
    }
    return committer
  }

  /** Runs commits of this worker one at a time (the batcher's attempt and the tick must not race each other). */
  #serialized<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#exclusive.then(async () => {
      this.#busy = true
      try {
        return await run()
      } finally {
        this.#busy = false
      }
    })
    this.#exclusive = result.catch(() => {})
    return result
  }

  async #write(committer: CommitterOptions, table: LoadedTable, batch: Batch): Promise<OwnFiles> {
    const files = await writeBatchFiles(committer, table.metadata, batch)
    return { snapshotId: batch.snapshotId, files, walId: committer.walId, markers: batch.markers, ...layoutOf(table.metadata), sent: false }
  }

  /** Sends the files and waits until the table holds them; falls back to committing them here after the timeout. */
  async #handOff(table: LoadedTable, own: OwnFiles): Promise<AttemptOutcome> {
    const name = this.#options.table
    const handoff: Handoff = {
      table: name,
      worker: this.#options.worker,
      id: String(own.snapshotId),
      sentAtMs: this.#now(),
      schemaId: own.schemaId,
      specId: own.specId,
      walId: own.walId,
      markers: own.markers,
      files: own.files,
    }
    try {
      await this.#options.channel.send(name, encodeHandoff(handoff))
      own.sent = true
      this.stats.handoffsSent++
    } catch (error) {
      this.#options.log(`table ${name}: handing off snapshot ${own.snapshotId} failed (${(error as Error).message}); committing it here`)
      this.stats.fallbacks++
      return this.#serialized(() => this.#fold(table, own, false))
    }
    const deadline = this.#now() + this.#options.handoffTimeoutMs
    for (;;) {
      await this.#sleep(this.#options.pollMs ?? 250)
      try {
        table = this.#adopt(await this.#options.catalog.loadTable(this.#identifier))
      } catch (error) {
        this.#options.log(`table ${name}: reloading while waiting for handoff ${own.snapshotId} failed: ${(error as Error).message}`)
      }
      const covered = coverage(tableMarkers(table.metadata).markers, own)
      if (covered === 'covered') return { kind: 'committed', table, files: own.files.length, catalogAttempts: 1 }
      // Another worker committed some of these offsets (a rebalance): the committer will not fold the handoff; trim and commit here.
      if (covered === 'partial') return { kind: 'again', reason: `handoff ${own.snapshotId}: the table holds part of its offsets now; trimming the batch` }
      const layout = layoutOf(table.metadata)
      if (layout.schemaId !== own.schemaId || layout.specId !== own.specId) return { kind: 'again', reason: `handoff ${own.snapshotId}: the table's schema or spec changed; writing the batch again` }
      if (this.#isCommitter()) return this.#serialized(() => this.#fold(table, own, true))
      if (this.#closing || this.#now() >= deadline) {
        this.stats.fallbacks++
        this.#options.log(`table ${name}: handoff ${own.snapshotId} not committed within ${this.#options.handoffTimeoutMs} ms${this.#closing ? ' (stopping)' : ''}; committing it here`)
        return this.#serialized(() => this.#fold(table, own, false))
      }
    }
  }

  /** Keeps `table` as the latest seen, and forgets handoffs it holds already (or that waited past their sender's timeout). */
  #adopt(table: LoadedTable): LoadedTable {
    this.#latest = newer(table, this.#latest)
    const markers = tableMarkers(this.#latest.metadata).markers
    // A little before the sender gives up (its clock starts at the send, ours at the receipt), so the two rarely race.
    const oldest = this.#now() - this.#options.handoffTimeoutMs * 0.8
    this.#pending = this.#pending.filter((entry) => entry.receivedAtMs > oldest && coverage(markers, entry.handoff) === 'untouched')
    return this.#latest
  }

  /**
   * One snapshot with `own`'s files (if any) and, when `withHandoffs`, every pending handoff the
   * selection allows. A fence or layout change found by the catalog attempt re-selects on the
   * reloaded table; own files the table partly holds now go back to the batcher ('again': trim, rewrite).
   * Throws what a retry with backoff may cure (storage, catalog).
   */
  async #fold(table: LoadedTable, own: OwnFiles | undefined, withHandoffs: boolean): Promise<AttemptOutcome> {
    const name = this.#options.table
    const snapshotId = own?.snapshotId ?? newSnapshotId()
    for (let round = 0; round < 5; round++) {
      table = this.#adopt(table)
      const base = tableMarkers(table.metadata).markers
      const layout = layoutOf(table.metadata)
      if (own) {
        const covered = coverage(base, own)
        // Our handoff was committed by someone else meanwhile (a committer that took over, or before we became one).
        if (covered === 'covered' && own.sent) return { kind: 'committed', table, files: own.files.length, catalogAttempts: 1 }
        if (covered !== 'untouched' || layout.schemaId !== own.schemaId || layout.specId !== own.specId) {
          if (!own.sent) await Promise.allSettled(own.files.map((f) => this.#options.io.delete(f['file-path'])))
          return { kind: 'again', reason: `snapshot ${own.snapshotId}: the table holds part of the batch or changed layout; trimming and writing it again` }
        }
      }
      const selection = withHandoffs ? selectHandoffs(base, layout, own, this.#pending) : { chosen: [], dropped: [], deferred: [] }
      for (const { pending, reason } of selection.dropped) this.#options.log(`table ${name}: handoff ${pending.handoff.id} from ${pending.handoff.worker} dropped (${reason}); its sender commits what the table lacks`)
      const gone = new Set(selection.dropped.map((d) => d.pending))
      this.#pending = this.#pending.filter((entry) => !gone.has(entry))
      if (!own && !selection.chosen.length) return { kind: 'nothing-left' }
      const contributions: Contribution[] = [...(own ? [own] : []), ...selection.chosen.map((entry) => entry.handoff)]
      const dataFiles = [...(own?.files ?? []), ...selection.chosen.flatMap((entry) => entry.handoff.files)]
      const ids = selection.chosen.map((entry) => entry.handoff.id)
      const markers = (metadata: TableMetadata) => foldedMarkers(tableMarkers(metadata).markers, contributions)
      const startedAt = this.#now()
      try {
        const result = await fastAppend(
          { catalog: this.#options.catalog, io: this.#options.io, table, log: this.#options.log },
          {
            dataFiles,
            snapshotId,
            requireCurrentLayout: true,
            summary: (_parent, metadata) => ({ ...markers(metadata), ...(ids.length ? { [HANDOFFS_SUMMARY_KEY]: ids.join(',') } : {}) }),
            properties: (_parent, metadata) => markerProperties(markers(metadata), snapshotId),
          },
        )
        const folded = new Set(selection.chosen)
        this.#pending = this.#pending.filter((entry) => !folded.has(entry))
        this.#adopt(result.table)
        this.#lastCommitAtMs = this.#now()
        this.stats.handoffsFolded += ids.length
        if (ids.length) this.stats.sharedCommits++
        if (ids.length) {
          const rows = selection.chosen.reduce((sum, entry) => sum + entry.handoff.files.reduce((n, f) => n + f['record-count'], 0), 0)
          this.#options.log(`table ${name}: snapshot ${snapshotId} folds ${ids.length} handoffs (${rows} rows from ${[...new Set(selection.chosen.map((e) => e.handoff.worker))].join(', ')})`)
        }
        return { kind: 'committed', table: result.table, files: own?.files.length ?? 0, catalogAttempts: result.attempts, commitMs: this.#now() - startedAt }
      } catch (error) {
        const fenced = error instanceof OffsetFenceError
        const relayout = error instanceof IngestError && error.code === 'SCHEMA_CHANGED'
        if (!fenced && !relayout) throw error
        // Raised before the commit request was sent: nothing references this attempt's manifest; select again on what the table holds now.
        table = await this.#options.catalog.loadTable(this.#identifier)
      }
    }
    return { kind: 'again', reason: `snapshot ${snapshotId}: the table kept moving under the shared commit; attempting again` }
  }

  /**
   * The committer's interval for handoffs alone: when handoffs wait and nothing of its own is queued,
   * roll its open batch (the attempt folds them) or, with nothing open, commit them by themselves.
   */
  async #tick(): Promise<void> {
    const batcher = this.#batcher
    if (!batcher || this.#closing || this.#busy || !this.#pending.length || !this.#isCommitter()) return
    if (this.#now() - this.#lastCommitAtMs < batcher.stats.effectiveIntervalMs || batcher.pending().batches > 0) return
    batcher.roll('interval')
    if (batcher.pending().batches > 0) return
    try {
      const table = this.#latest ?? (await this.#options.catalog.loadTable(this.#identifier))
      await this.#serialized(() => this.#fold(table, undefined, true))
    } catch (error) {
      this.#options.log(`table ${this.#options.table}: committing ${this.#pending.length} handoffs failed (retried next interval): ${(error as Error).message}`)
      this.#lastCommitAtMs = this.#now()
      this.#latest = undefined
    }
  }
}

/**
 * Subscribes `coordinators` (by dotted table name) to `channel`: each message goes to its table's
 * coordinator; one that does not decode is logged and skipped (INVALID_HANDOFF), its sender falls back.
 */
export function dispatchHandoffs(channel: CommitChannel, coordinators: Map<string, SharedCommit>, log: (line: string) => void): void {
  channel.subscribe((table, message) => {
    const coordinator = coordinators.get(table)
    if (!coordinator) return
    try {
      coordinator.receive(decodeHandoff(message))
    } catch (error) {
      log(`control topic: a message for table ${table} is not a handoff, skipped: ${(error as Error).message}`)
    }
  })
}
