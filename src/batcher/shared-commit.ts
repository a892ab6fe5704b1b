/**
 * One commit per table per interval across the workers of a consumer group (docs/design.md,
 * "Several workers, one commit per table"). Each worker writes its batch's data files as before;
 * the table's committer (the worker the group gave partition 0 of the table's first topic) commits
 * them, everyone else hands them over on a channel (a Kafka control topic). The committer folds its
 * own batch and the pending handoffs into one snapshot whose markers are the table's, advanced by
 * each (handoff-fold.ts).
 *
 * A sender does not wait for each commit: its Kafka batch is done for the batcher once handed off,
 * and it keeps the batch (rows and all) as outstanding until the table's markers cover it. One not
 * covered in time (committer dead, message lost), or covered only in part (its partitions moved
 * and their new owner committed some of it), it commits itself — trimmed to what the table lacks,
 * and after every older outstanding batch of its own, so no marker ever passes rows not in the table.
 * Before that, a rebalance (the committer may have changed) sends every outstanding handoff again,
 * and one partly covered is trimmed, written again and handed off again: a committer's death costs
 * no snapshot per sender.
 *
 * Exactly once holds without trusting the channel or the election: a snapshot folds handoffs only
 * as contiguous continuations of each partition's marker, never one the table already covers, and
 * each catalog attempt re-merges the markers on its base (OffsetFence). A worker that dies with
 * batches outstanding committed nothing of them: their partitions are read again from the table's
 * markers by whoever takes them; their files stay unreferenced, for orphan removal.
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
import { attemptCommit, trimBatch, type AttemptOutcome, type CommitterOptions } from './batch-committer.ts'
import { writeBatchFiles } from './batch-files.ts'
import { decodeHandoff, encodeHandoff, type Handoff } from './handoff.ts'
import { copyMarkers, coverage, foldedMarkers, hasMarkers, openingPartitions, selectHandoffs, type Contribution, type PendingHandoff } from './handoff-fold.ts'
import { OffsetFenceError, type BatchMarkers } from './markers.ts'
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
  /** How long a sender waits for a handoff to be committed before committing it itself. */
  handoffTimeoutMs: number
  /** How often outstanding handoffs are checked against the table, and the committer looks for handoffs to commit alone (default 250 ms). */
  pollMs?: number
  /** Handed-off batches a sender keeps outstanding at most before its batcher waits (default 4)... */
  maxOutstanding?: number
  /** ...and their estimated bytes (Batch.bytes; default 32 MiB): they hold their rows, which the pipeline's memory cap does not see. */
  maxOutstandingBytes?: number
  /** Others' handoffs kept at most; the oldest beyond go (their senders fall back). Default 256. */
  maxPending?: number
  /** A handed-off batch is in the table (by whoever): e.g. commit the group's offsets for lag tools. */
  onCovered?: (markers: BatchMarkers) => void
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

/** A batch this worker handed off and keeps until the table holds it (it may have to commit it itself). */
interface Outstanding {
  handoff: Handoff
  batch: Batch
  committer: CommitterOptions
  deadlineMs: number
  entry: PendingHandoff
  /** On the channel; a committer's own batch kept for its next commit is not (it is sent if the role moves). */
  sent: boolean
  /** Times it was handed off again (a rebalance, or trimmed after a partial commit elsewhere; at most MAX_READDRESS). */
  readdressed: number
}

/** How often one handoff is sent again after rebalances (each gives its sender one more handoff timeout): a committer that keeps not committing it is not waited for forever. */
export const MAX_READDRESS = 4

const layoutOf = (metadata: TableMetadata) => ({ schemaId: currentSchema(metadata)['schema-id'], specId: defaultSpec(metadata)['spec-id'] })

/** The later of two loads of one table: by sequence number, then by update time (a properties-only change). */
function newer(a: LoadedTable, b: LoadedTable | undefined): LoadedTable {
  if (!b) return a
  const [sa, sb] = [a.metadata['last-sequence-number'], b.metadata['last-sequence-number']]
  if (sa !== sb) return sb > sa ? b : a
  return b.metadata['last-updated-ms'] > a.metadata['last-updated-ms'] ? b : a
}

export class SharedCommit {
  readonly stats = { handoffsSent: 0, handoffsFolded: 0, handoffsReceived: 0, fallbacks: 0 }
  readonly #options: SharedCommitOptions
  readonly #identifier
  readonly #now: () => number
  readonly #sleep: (ms: number) => Promise<void>
  #pending: PendingHandoff[] = []
  #outstanding: Outstanding[] = []
  #outstandingChanged: (() => void)[] = []
  #latest: LoadedTable | undefined
  #exclusive: Promise<unknown> = Promise.resolve()
  #busy = false
  #checking = false
  #closing = false
  #timer: ReturnType<typeof setInterval> | undefined
  #batcher: SharedBatcher | undefined
  #lastCommitAtMs: number
  #wasCommitter = false
  /** A rebalance happened: send every outstanding handoff again (the committer may have changed). */
  #readdress = false
  /** The batcher's attempt waits for room among the outstanding batches (the committer's fold makes it). */
  #waitingForRoom = false
  /** When the committer's tick last rolled the open batch into this interval's snapshot. */
  #rolledAtMs: number | undefined

  constructor(options: SharedCommitOptions) {
    this.#options = options
    this.#identifier = tableIdentifier(options.table)
    this.#now = options.now ?? Date.now
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
    this.#lastCommitAtMs = this.#now()
  }

  /** The batcher's attempt (TableBatcherOptions.attempt): commit as the committer, or hand off. */
  readonly attempt = async (committer: CommitterOptions, table: LoadedTable, batch: Batch): Promise<AttemptOutcome> => {
    table = newer(table, this.#latest)
    // A retry after an unknown outcome: the snapshot may have landed already.
    if (table.metadata.snapshots.some((s) => s['snapshot-id'] === batch.snapshotId)) return { kind: 'committed', table, files: 0, catalogAttempts: 1 }
    trimBatch(committer, table, batch)
    if (batchIsEmpty(batch)) return { kind: 'nothing-left' }
    if (this.#closing || !hasMarkers(batch.markers)) {
      // Committing by itself: only after every older handed-off batch is in the table, or it could pass them.
      await this.#settled()
      return this.#serialized(async () => this.#fold(await this.#fresh(table), await this.#write(committer, table, batch), false))
    }
    if (this.#isCommitter()) {
      const own = await this.#write(committer, table, batch)
      // More batches queued behind this one (the commits fell behind the rolls): keep it for the last of them, so a
      // backlog becomes one snapshot, not one per batch. Not over the cap: only a commit would make room again.
      if (batch.markers.walSeqMax === undefined && (this.#batcher?.pending().batches ?? 0) > 1 && this.#outstanding.length < this.#maxOutstanding()) {
        this.#keep(own, batch, committer, false)
        return { kind: 'nothing-left' }
      }
      return this.#serialized(() => this.#fold(table, own, true))
    }
    // A batch with HTTP rows keeps its WAL entries until it is committed: it is handed off and waited for, one at a time.
    if (batch.markers.walSeqMax !== undefined) {
      await this.#settled()
      return this.#handOffAndWait(table, await this.#write(committer, table, batch))
    }
    const own = await this.#write(committer, table, batch)
    if (!(await this.#send(own))) {
      await this.#settled()
      return this.#serialized(async () => this.#fold(await this.#fresh(table), own, false))
    }
    this.#keep(own, batch, committer, true)
    // Bounded: outstanding batches hold their rows, which the pipeline's memory cap does not see.
    this.#waitingForRoom = true
    try {
      while (this.#overCap()) await this.#changed()
    } finally {
      this.#waitingForRoom = false
    }
    return { kind: 'nothing-left' }
  }

  #maxOutstanding(): number {
    return this.#options.maxOutstanding ?? 4
  }

  #overCap(): boolean {
    return (
      this.#outstanding.length > this.#maxOutstanding() ||
      (this.#outstanding.length > 1 && this.#outstanding.reduce((sum, o) => sum + o.batch.bytes, 0) > (this.#options.maxOutstandingBytes ?? 32 * 1024 * 1024))
    )
  }

  /** Keeps a written batch outstanding until the table holds it: handed off (`sent`), or the committer's own, for its next commit. */
  #keep(own: OwnFiles, batch: Batch, committer: CommitterOptions, sent: boolean): void {
    const handoff = this.#handoffOf(own)
    this.#outstanding.push({ handoff, batch, committer, deadlineMs: this.#now() + this.#options.handoffTimeoutMs, entry: { handoff, receivedAtMs: this.#now() }, sent, readdressed: 0 })
  }

  /** Takes a message from the channel: a handoff for this table from another worker is kept for the next commit. */
  receive(handoff: Handoff): void {
    if (handoff.worker === this.#options.worker || handoff.table !== this.#options.table) return
    this.stats.handoffsReceived++
    // Sent again after a rebalance: the newer copy replaces the one held (same files and offsets, a later send).
    this.#pending = this.#pending.filter((entry) => entry.handoff.worker !== handoff.worker || entry.handoff.id !== handoff.id)
    // Its age from the send when the sender's clock is behind ours: a restarted committer reads handoffs sent before it started.
    this.#pending.push({ handoff, receivedAtMs: Math.min(this.#now(), handoff.sentAtMs) })
    const max = this.#options.maxPending ?? 256
    if (this.#pending.length > max) {
      const dropped = this.#pending.splice(0, this.#pending.length - max)
      this.#options.log(`table ${this.#options.table}: ${dropped.length} handoffs over the cap of ${max} dropped (their senders commit them)`)
    }
  }

  /** Others' handoffs kept for the next commit. */
  get pendingHandoffs(): number {
    return this.#pending.length
  }

  /** This worker's handed-off batches not yet seen in the table. */
  get outstandingHandoffs(): number {
    return this.#outstanding.length
  }

  /** Starts the checks: outstanding handoffs against the table, and the committer's commits of handoffs alone on its interval. */
  start(batcher: SharedBatcher): void {
    this.#batcher = batcher
    this.#timer ??= setInterval(() => void this.#check(), this.#options.pollMs ?? 250)
  }

  /**
   * The group rebalanced (this worker rejoined): the committer may be another worker now, perhaps one
   * that just started. The next check sends every outstanding handoff again with a fresh deadline, so
   * the new committer folds them instead of each sender committing its own (at most MAX_READDRESS
   * times per handoff: a committer that never commits is not waited for forever).
   */
  rebalanced(): void {
    this.#readdress = true
  }

  /** A stop begins: from now on every batch commits by itself, and outstanding ones are committed here unless the table holds them. */
  close(): void {
    this.#closing = true
  }

  /** Resolves once no handed-off batch is outstanding (after close: each committed here or found in the table). */
  async settle(): Promise<void> {
    await this.#settled()
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #isCommitter(): boolean {
    const committer = this.#options.isCommitter()
    if (committer !== this.#wasCommitter) {
      this.#wasCommitter = committer
      // The interval counts from this worker's own last commit: a successor of a dead committer folds what waits at once.
      this.#options.log(`table ${this.#options.table}: ${committer ? 'this worker commits the table now (it owns the election partition)' : 'another worker commits the table now; batches are handed off'}`)
    }
    return committer
  }

  /** Runs commits of this worker one at a time (the batcher's attempt, the committer's tick and fallbacks must not race each other). */
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

  #changed(): Promise<void> {
    return new Promise((resolve) => this.#outstandingChanged.push(resolve))
  }

  async #settled(): Promise<void> {
    while (this.#outstanding.length) {
      // Nothing else checks once the timer is gone (start was never called): check here.
      if (!this.#timer) await this.#check()
      else await this.#changed()
    }
  }

  async #fresh(table: LoadedTable): Promise<LoadedTable> {
    return newer(table, this.#latest)
  }

  /** The batch's files, with its markers as they are now (a copy: a later trim must not change what the files hold). */
  async #write(committer: CommitterOptions, table: LoadedTable, batch: Batch, older = this.#outstanding): Promise<OwnFiles> {
    const files = await writeBatchFiles(committer, table.metadata, batch)
    const markers = copyMarkers(batch.markers)
    const opening = openingPartitions(tableMarkers(table.metadata).markers, markers, older.map((o) => o.handoff.markers))
    return { snapshotId: batch.snapshotId, files, walId: committer.walId, markers, opening, ...layoutOf(table.metadata), sent: false }
  }

  #handoffOf(own: OwnFiles): Handoff {
    return {
      table: this.#options.table,
      worker: this.#options.worker,
      id: String(own.snapshotId),
      sentAtMs: this.#now(),
      schemaId: own.schemaId,
      specId: own.specId,
      walId: own.walId,
      markers: own.markers,
      opening: own.opening ?? [],
      files: own.files,
    }
  }

  async #send(own: OwnFiles): Promise<boolean> {
    try {
      await this.#options.channel.send(this.#options.table, encodeHandoff(this.#handoffOf(own)))
      own.sent = true
      this.stats.handoffsSent++
      return true
    } catch (error) {
      this.#options.log(`table ${this.#options.table}: handing off snapshot ${own.snapshotId} failed (${(error as Error).message}); committing it here`)
      this.stats.fallbacks++
      return false
    }
  }

  /** The one-at-a-time path (batches with WAL rows): send, then wait until the table holds them; commit them here after the timeout. */
  async #handOffAndWait(table: LoadedTable, own: OwnFiles): Promise<AttemptOutcome> {
    if (!(await this.#send(own))) return this.#serialized(() => this.#fold(table, own, false))
    const deadline = this.#now() + this.#options.handoffTimeoutMs
    for (;;) {
      await this.#sleep(this.#options.pollMs ?? 250)
      try {
        table = this.#adopt(await this.#options.catalog.loadTable(this.#identifier))
      } catch (error) {
        this.#options.log(`table ${this.#options.table}: reloading while waiting for handoff ${own.snapshotId} failed: ${(error as Error).message}`)
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
        this.#options.log(`table ${this.#options.table}: handoff ${own.snapshotId} not committed within ${this.#options.handoffTimeoutMs} ms${this.#closing ? ' (stopping)' : ''}; committing it here`)
        return this.#serialized(() => this.#fold(table, own, false))
      }
    }
  }

  /** Keeps `table` as the latest seen, and forgets others' handoffs it holds already (or that waited past their sender's timeout). */
  #adopt(table: LoadedTable): LoadedTable {
    this.#latest = newer(table, this.#latest)
    const markers = tableMarkers(this.#latest.metadata).markers
    // A little before the sender gives up (its clock starts at the send, ours at the receipt), so the two rarely race.
    const oldest = this.#now() - this.#options.handoffTimeoutMs * 0.8
    this.#pending = this.#pending.filter((entry) => entry.receivedAtMs > oldest && coverage(markers, entry.handoff) === 'untouched')
    return this.#latest
  }

  /**
   * One snapshot with `own`'s files (if any) and, with `handoffs` 'all', every handoff the selection
   * allows — this worker's outstanding ones first, then others'. A fence or layout change found by the
   * catalog attempt re-selects on the reloaded table; own files the table (or a handoff before them)
   * partly holds go back to the batcher ('again': trim, write again). Throws what a retry with backoff may cure.
   */
  async #fold(table: LoadedTable, own: OwnFiles | undefined, handoffs: boolean | Outstanding[]): Promise<AttemptOutcome> {
    const name = this.#options.table
    let reloaded = false
    for (let round = 0; round < 5; round++) {
      table = this.#adopt(table)
      const base = tableMarkers(table.metadata).markers
      const layout = layoutOf(table.metadata)
      if (own) {
        const covered = coverage(base, own)
        // Our handoff was committed by someone else meanwhile (a committer that took over, or before we became one).
        if (covered === 'covered' && own.sent) return { kind: 'committed', table, files: own.files.length, catalogAttempts: 1 }
        if (covered !== 'untouched' || layout.schemaId !== own.schemaId || layout.specId !== own.specId) return this.#refuseOwn(own, 'the table holds part of the batch or changed layout')
      }
      // `handoffs` as a list: some of this worker's own outstanding batches only (a fallback of several in one snapshot).
      const candidates = handoffs === true ? [...this.#outstanding.map((o) => o.entry), ...this.#pending] : handoffs ? handoffs.filter((o) => this.#outstanding.includes(o)).map((o) => o.entry) : []
      const selection = selectHandoffs(base, layout, own, candidates)
      // A handoff that does not fit yet may continue a commit this worker has not seen (a sender's own fallback): look once more on fresh metadata.
      if (selection.deferred.length && !reloaded) {
        reloaded = true
        table = await this.#options.catalog.loadTable(this.#identifier)
        round--
        continue
      }
      for (const { pending, reason } of selection.dropped) {
        if (pending.handoff.worker !== this.#options.worker) this.#options.log(`table ${name}: handoff ${pending.handoff.id} from ${pending.handoff.worker} dropped (${reason}); its sender commits what the table lacks`)
      }
      const gone = new Set(selection.dropped.map((d) => d.pending))
      this.#pending = this.#pending.filter((entry) => !gone.has(entry))
      const ownIn = own !== undefined && selection.ownRefused === undefined
      if (!ownIn && !selection.chosen.length) return own ? this.#refuseOwn(own, selection.ownRefused!) : { kind: 'nothing-left' }
      const snapshotId = ownIn ? own.snapshotId : newSnapshotId()
      // In the order they chain: `own` may continue what handoffs before it hold (its own earlier batches, kept or handed off).
      const handoffContributions: Contribution[] = selection.chosen.map((entry) => entry.handoff)
      const contributions: Contribution[] = ownIn ? handoffContributions.toSpliced(selection.ownAt, 0, own) : handoffContributions
      const dataFiles = [...(ownIn ? own.files : []), ...selection.chosen.flatMap((entry) => entry.handoff.files)]
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
        if (ids.length) {
          const rows = selection.chosen.reduce((sum, entry) => sum + entry.handoff.files.reduce((n, f) => n + f['record-count'], 0), 0)
          this.#options.log(`table ${name}: snapshot ${snapshotId} folds ${ids.length} handoffs (${rows} rows from ${[...new Set(selection.chosen.map((e) => e.handoff.worker))].join(', ')})`)
        }
        this.#resolveCovered(result.table)
        if (!ownIn) return own ? this.#refuseOwn(own, selection.ownRefused!) : { kind: 'nothing-left' }
        return { kind: 'committed', table: result.table, files: own.files.length, catalogAttempts: result.attempts, commitMs: this.#now() - startedAt }
      } catch (error) {
        const fenced = error instanceof OffsetFenceError
        const relayout = error instanceof IngestError && error.code === 'SCHEMA_CHANGED'
        if (!fenced && !relayout) throw error
        // Raised before the commit request was sent: nothing references this attempt's manifest; select again on what the table holds now.
        table = await this.#options.catalog.loadTable(this.#identifier)
      }
    }
    return { kind: 'again', reason: `table ${name}: the table kept moving under the shared commit; attempting again` }
  }

  /** The batch goes back to the batcher (trim, write again); files never handed off are deleted first. A short pause: what it waits for lands meanwhile. */
  async #refuseOwn(own: OwnFiles, why: string): Promise<AttemptOutcome> {
    if (!own.sent) await Promise.allSettled(own.files.map((f) => this.#options.io.delete(f['file-path'])))
    await this.#sleep(this.#options.pollMs ?? 250)
    return { kind: 'again', reason: `snapshot ${own.snapshotId}: ${why}; trimming and writing it again` }
  }

  /** Outstanding batches `table` holds are done (whoever committed them). */
  #resolveCovered(table: LoadedTable): void {
    const markers = tableMarkers(table.metadata).markers
    const covered = this.#outstanding.filter((o) => coverage(markers, o.handoff) === 'covered')
    if (!covered.length) return
    this.#outstanding = this.#outstanding.filter((o) => !covered.includes(o))
    for (const o of covered) this.#options.onCovered?.(o.handoff.markers)
    this.#notify()
  }

  #notify(): void {
    const waiting = this.#outstandingChanged
    this.#outstandingChanged = []
    for (const resolve of waiting) resolve()
  }

  /**
   * Every poll: outstanding handoffs against the reloaded table (covered: done; partly covered, of an
   * older layout, past the timeout, or stopping: committed here, with every older one first), then
   * the committer's interval for handoffs alone.
   */
  async #check(): Promise<void> {
    if (this.#checking) return
    this.#checking = true
    try {
      if (this.#outstanding.length) await this.#sendAgain()
      if (this.#outstanding.length) await this.#checkOutstanding()
      await this.#tick()
    } catch (error) {
      this.#options.log(`table ${this.#options.table}: shared commit check failed (tried again in ${this.#options.pollMs ?? 250} ms): ${(error as Error).message}`)
    } finally {
      this.#checking = false
    }
  }

  /**
   * A sender's outstanding batches go (again) to whoever commits now: those never sent (this worker
   * kept them as the committer and lost the role), and after a rebalance every one, each with a new
   * deadline. A send that fails leaves the batch due: it is committed here.
   */
  async #sendAgain(): Promise<void> {
    const all = this.#readdress
    this.#readdress = false
    if (this.#closing || this.#isCommitter()) return
    const sent: string[] = []
    for (const o of [...this.#outstanding]) {
      const again = all && o.sent && o.readdressed < MAX_READDRESS
      if (o.sent && !again) continue
      const handoff = { ...o.handoff, sentAtMs: this.#now() }
      try {
        await this.#options.channel.send(this.#options.table, encodeHandoff(handoff))
      } catch (error) {
        this.#options.log(`table ${this.#options.table}: handing off snapshot ${handoff.id} again failed (${(error as Error).message}); committing it here`)
        o.deadlineMs = this.#now()
        continue
      }
      if (again) o.readdressed++
      this.stats.handoffsSent++
      Object.assign(o, { handoff, entry: { handoff, receivedAtMs: this.#now() }, sent: true, deadlineMs: this.#now() + this.#options.handoffTimeoutMs })
      sent.push(handoff.id)
    }
    if (sent.length) this.#options.log(`table ${this.#options.table}: ${sent.length} outstanding batches (${sent.join(', ')}) handed off${all ? ' again after a rebalance' : ''}, to whoever commits the table now`)
  }

  async #checkOutstanding(): Promise<void> {
    const table = this.#adopt(await this.#options.catalog.loadTable(this.#identifier))
    this.#resolveCovered(table)
    const markers = tableMarkers(table.metadata).markers
    const layout = layoutOf(table.metadata)
    const stale = (o: Outstanding) => coverage(markers, o.handoff) === 'partial' || o.handoff.schemaId !== layout.schemaId || o.handoff.specId !== layout.specId
    // A rebalance moved partitions and their new owner committed part of a batch (or the layout changed): a sender
    // trims it, writes it again and hands that off, rather than committing it alone (one snapshot more each).
    for (const o of [...this.#outstanding]) {
      if (!this.#closing && o.sent && stale(o) && this.#now() < o.deadlineMs && o.readdressed < MAX_READDRESS && !this.#isCommitter()) await this.#handOffTrimmed(o, table)
    }
    const due = this.#outstanding.findLastIndex((o) => this.#closing || this.#now() >= o.deadlineMs || stale(o))
    if (due < 0) return
    // With those due, the ones about to be (sent moments later, most likely to the same dead committer): one snapshot for all.
    const soon = this.#now() + 4 * (this.#options.pollMs ?? 250)
    const batches = this.#outstanding.filter((o, i) => i <= due || o.deadlineMs <= soon)
    this.stats.fallbacks += batches.length
    this.#options.log(
      `table ${this.#options.table}: ${batches.length} handed-off batches (${batches.map((o) => o.handoff.id).join(', ')}) not committed by the committer${this.#closing ? ' (stopping)' : batches.some(stale) ? ', their offsets partly committed by another owner' : ` within ${this.#options.handoffTimeoutMs} ms`}; committing them here`,
    )
    // One snapshot for those the table holds nothing of yet (their files as written, in the order their offsets chain;
    // the committer's with every handoff it holds: that is its commit of the interval)...
    await this.#serialized(() => this.#fold(table, undefined, this.#isCommitter() ? true : batches))
    // ...then, oldest first, each one still outstanding, trimmed and written again: a younger batch of a partition must not land before an older one.
    for (const o of batches) await this.#serialized(() => this.#fallBack(o))
  }

  /** `o` trimmed to what `table` lacks, written again in its layout, and handed off in place of the first handoff (same id: the committer keeps the newer). */
  async #handOffTrimmed(o: Outstanding, table: LoadedTable): Promise<void> {
    trimBatch(o.committer, table, o.batch)
    if (batchIsEmpty(o.batch) || !hasMarkers(o.batch.markers)) return
    const own = await this.#write(o.committer, table, o.batch, this.#outstanding.slice(0, this.#outstanding.indexOf(o)))
    const handoff = this.#handoffOf(own)
    try {
      await this.#options.channel.send(this.#options.table, encodeHandoff(handoff))
    } catch (error) {
      this.#options.log(`table ${this.#options.table}: handing off trimmed snapshot ${handoff.id} failed (${(error as Error).message}); committing it here`)
      return
    }
    this.stats.handoffsSent++
    o.readdressed++
    Object.assign(o, { handoff, entry: { handoff, receivedAtMs: this.#now() }, deadlineMs: this.#now() + this.#options.handoffTimeoutMs })
    this.#options.log(`table ${this.#options.table}: handed-off batch ${handoff.id} partly committed by another owner (a rebalance) or of an older layout: trimmed to ${o.batch.columns.length} rows and handed off again`)
  }

  /** Commits an outstanding batch here (trimmed to what the table lacks, its files written again) unless the table holds it by now. */
  async #fallBack(o: Outstanding): Promise<void> {
    for (let round = 0; ; round++) {
      const table = this.#adopt(await this.#options.catalog.loadTable(this.#identifier))
      this.#resolveCovered(table)
      if (!this.#outstanding.includes(o)) return
      const outcome = await attemptCommit(o.committer, table, o.batch)
      if (outcome.kind === 'again' && round < 5) continue
      if (outcome.kind === 'again') throw new IngestError('SHARED_COMMIT', `table ${this.#options.table}: handoff ${o.handoff.id} could not be committed here: ${outcome.reason}`)
      if (outcome.kind === 'committed') this.#adopt(outcome.table)
      this.#outstanding = this.#outstanding.filter((other) => other !== o)
      this.#options.onCovered?.(o.batch.markers)
      this.#notify()
      return
    }
  }

  /**
   * The committer's interval for handoffs alone: when handoffs wait and nothing of its own is queued,
   * roll its open batch (the attempt folds them) or, with nothing open, commit them by themselves.
   */
  async #tick(): Promise<void> {
    const batcher = this.#batcher
    if (!batcher || this.#closing || this.#busy || (!this.#pending.length && !this.#outstanding.length) || !this.#isCommitter()) return
    const interval = batcher.stats.effectiveIntervalMs
    const now = this.#now()
    if (now - this.#lastCommitAtMs < interval) return
    // A batch of its own in the attempt folds what waits; unless that attempt waits for room among the
    // outstanding batches (this worker handed them off before it became the committer): only this fold makes it.
    if (batcher.pending().batches > 0 && !this.#waitingForRoom) return
    if (!this.#waitingForRoom) {
      // The open batch goes in too: rolled, its attempt folds the handoffs.
      if (this.#rolledAtMs === undefined || now - this.#rolledAtMs >= interval) {
        this.#rolledAtMs = now
        batcher.roll('interval')
      }
      if (batcher.pending().batches > 0) return
    }
    try {
      // Fresh: the handoffs may continue commits of others (senders' fallbacks) this worker has not seen.
      const table = await this.#options.catalog.loadTable(this.#identifier)
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
