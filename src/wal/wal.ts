/** The write-ahead log: gapless seqs, group commit (one write + fdatasync per batch), replay, truncation; host-only. */

import { join } from 'node:path'
import { isNoSpace, WalDiskFullError, WalError, WalFullError } from './errors.ts'
import { decodeFrames, encodeFrames, FRAME_HEADER_BYTES, MAX_RECORD_BYTES, type WalRecord } from './frame.ts'
import { resolveWalOptions, type ResolvedWalOptions, type WalOptions } from './options.ts'
import { recoverSegments, type SegmentState, type WalRecovery } from './recovery.ts'
import { deleteSegment, ensureDirectory, listRetired, readSegment, releaseFile, retireSegment, SegmentWriter, segmentFileName, syncDirectory } from './segment.ts'

export type { WalOptions } from './options.ts'
export type { WalRecovery } from './recovery.ts'

export interface WalStats {
  /** fsync/fdatasync calls on segments and the directory since open returned. */
  fsyncs: number
  /** Group-commit writes since open (each one write + one fdatasync). */
  writes: number
  /** append() calls that resolved. */
  appends: number
  /** Records written. */
  records: number
}

export interface AppendResult {
  firstSeq: bigint
  lastSeq: bigint
}

interface PendingAppend {
  firstSeq: bigint
  payloads: Uint8Array[]
  bytes: number
  resolve: (result: AppendResult) => void
  reject: (error: unknown) => void
}

/**
 * After the disk was found full, appends are refused without touching the disk for this long: a full disk
 * rarely frees up within milliseconds, and each try costs a write, a truncate and an fdatasync.
 */
const DISK_FULL_PAUSE_MS = 250

const firstOf = (batch: PendingAppend[]): bigint => batch[0]!.firstSeq

export class Wal {
  readonly stats: WalStats = { fsyncs: 0, writes: 0, appends: 0, records: 0 }
  readonly #segmentBytes: number
  readonly #maxBytes: number
  readonly #sync: boolean
  readonly #log: (line: string) => void
  #pending: PendingAppend[] = []
  /** Framed bytes accepted but not yet durable (queued or being written): they count against maxBytes. */
  #queuedBytes = 0
  #flushScheduled = false
  /** Serializes writes, rolls and truncation. */
  #chain: Promise<void> = Promise.resolve()
  /** Retired segments' blocks being released, one file after another, outside the appends' chain (close waits for it). */
  #releasing: Promise<void> = Promise.resolve()
  #failure: WalError | undefined
  #closed = false
  /** After a write found the disk full, appends are refused at once until this time (ms), then tried again. */
  #diskFullUntil = 0
  /** Set while the disk is full: the first refusal and the first write after it are logged, not every one. */
  #diskFull = false

  private constructor(
    readonly dir: string,
    options: ResolvedWalOptions,
    readonly recovery: WalRecovery,
    private readonly segments: SegmentState[],
    private writer: SegmentWriter,
    /** Next seq to hand out. */
    private nextSeq: bigint,
    /** Highest seq durably written (or lost in a recovery cut): the next segment starts after it. */
    private writtenSeq: bigint,
    private totalBytes: number,
  ) {
    this.#segmentBytes = options.segmentBytes
    this.#maxBytes = options.maxBytes
    this.#sync = options.fsync
    this.#log = options.log
  }

  /**
   * Opens (creating when missing) the log in `dir`: validates every segment, cuts torn or corrupt tails
   * (see recovery.ts), and continues seq numbering after the highest seq ever written.
   * @throws ConfigError on invalid options; WalError `WAL_CORRUPT` on overlapping segments, `WAL_IO` on file errors.
   */
  static async open(dir: string, options: WalOptions = {}): Promise<Wal> {
    const resolved = resolveWalOptions(options)
    await ensureDirectory(dir)
    const found = await recoverSegments(dir, resolved.fsync, resolved.log)
    // Segments a crash caught between their retirement and their release: no longer in the log.
    for (const path of await listRetired(dir)) await deleteSegment(path)
    const segments = found.segments
    let active = segments.at(-1)
    let writer: SegmentWriter
    if (active && active.lastSeq + 1n === found.nextSeq) {
      writer = await SegmentWriter.open(active.path, active.bytes, false)
    } else {
      // No segment yet, or seqs were lost in a cut of the last one: start a segment named after the next seq,
      // so the name keeps the seq floor even before a record lands in it.
      const path = join(dir, segmentFileName(found.nextSeq))
      active = { firstSeq: found.nextSeq, lastSeq: found.nextSeq - 1n, bytes: 0, path }
      writer = await SegmentWriter.open(active.path, 0, true)
      segments.push(active)
      // Make the new name durable before any record is acknowledged in it.
      if (resolved.fsync) await syncDirectory(dir)
    }
    const totalBytes = segments.reduce((sum, s) => sum + s.bytes, 0)
    return new Wal(dir, resolved, found.recovery, segments, writer, found.nextSeq, found.nextSeq - 1n, totalBytes)
  }

  /** Bytes held in segment files (durable records only). */
  get bytes(): number {
    return this.totalBytes
  }

  get segmentCount(): number {
    return this.segments.length
  }

  /** Highest seq durably written; 0 when nothing was ever written. */
  get lastSeq(): bigint {
    return this.writtenSeq
  }

  /** Lowest seq still held (what replay(firstSeq - 1n) starts with); lastSeq + 1 when the log holds no record. */
  get firstSeq(): bigint {
    const held = this.segments.find((s) => s.lastSeq >= s.firstSeq)
    return held ? held.firstSeq : this.writtenSeq + 1n
  }

  /**
   * Appends records and resolves once they are durable (written and fdatasync'd). Concurrent calls are
   * group-committed: calls arriving while a write is in flight share the next write + fdatasync.
   * Seqs are assigned at call time, in call order, without gaps.
   * @throws WalFullError `WAL_FULL` (retryable) when held + queued + incoming bytes would exceed maxBytes;
   *   WalDiskFullError `WAL_DISK_FULL` (retryable) when the file system had no room (the records are not in the
   *   log; the log stays usable and the next append that fits succeeds);
   *   WalError `WAL_RECORD_SIZE` (no records, an empty or oversized payload, or more than maxBytes in one call),
   *   `WAL_CLOSED`, `WAL_FAILED` (an earlier write failed: reopen), `WAL_IO` (this write failed — its records
   *   may still have reached disk, so a retry can duplicate them; downstream dedup is by seq, not by content).
   */
  async append(payloads: Uint8Array[]): Promise<AppendResult> {
    if (this.#closed) throw new WalError('WAL_CLOSED', `wal ${this.dir}: append after close`)
    if (this.#failure) throw this.#failedError()
    if (Date.now() < this.#diskFullUntil) throw new WalDiskFullError(this.dir, { retryAfterMs: this.#diskFullUntil - Date.now() })
    if (payloads.length === 0) throw new WalError('WAL_RECORD_SIZE', `wal ${this.dir}: append of no records`)
    let bytes = 0
    for (const p of payloads) {
      if (p.length === 0 || p.length > MAX_RECORD_BYTES) {
        const message = `wal ${this.dir}: payload of ${p.length} bytes outside 1..${MAX_RECORD_BYTES}`
        throw new WalError('WAL_RECORD_SIZE', message)
      }
      bytes += FRAME_HEADER_BYTES + p.length
    }
    if (bytes > this.#maxBytes) {
      const message = `wal ${this.dir}: append of ${bytes} bytes can never fit maxBytes ${this.#maxBytes}`
      throw new WalError('WAL_RECORD_SIZE', message)
    }
    if (this.totalBytes + this.#queuedBytes + bytes > this.#maxBytes) {
      throw new WalFullError(this.totalBytes + this.#queuedBytes, bytes, this.#maxBytes)
    }
    const firstSeq = this.nextSeq
    this.nextSeq += BigInt(payloads.length)
    this.#queuedBytes += bytes
    const done = new Promise<AppendResult>((resolve, reject) => {
      this.#pending.push({ firstSeq, payloads, bytes, resolve, reject })
    })
    if (!this.#flushScheduled) {
      this.#flushScheduled = true
      void this.#exclusive(() => this.#flush())
    }
    return done
  }

  /**
   * Records with seq > afterSeq, in order, from the segments held when each is reached. Reads a whole
   * segment at a time (memory up to segmentBytes). Do not truncate past afterSeq while replaying.
   * @throws WalError `WAL_CORRUPT` when a segment no longer matches what open validated, `WAL_IO` on read errors.
   */
  async *replay(afterSeq: bigint): AsyncIterable<WalRecord> {
    for (const segment of [...this.segments]) {
      if (segment.lastSeq <= afterSeq) continue
      const bytes = await readSegment(segment.path, segment.bytes)
      const decoded = decodeFrames(bytes, 0, { expectSeq: segment.firstSeq })
      if (decoded.tail !== 'clean') {
        const message = `wal ${this.dir}: segment ${segment.path} changed on disk since open: ${decoded.detail}`
        throw new WalError('WAL_CORRUPT', message, { context: { path: segment.path } })
      }
      for (const record of decoded.records) if (record.seq > afterSeq) yield record
    }
  }

  /**
   * Deletes, oldest first, every segment whose records all have seq ≤ `seq` (committed to Iceberg).
   * The active segment is rolled first when fully committed, so it can go too; the newest segment file is
   * always kept, even empty, because its name is what carries the next seq across a restart.
   * Returns the bytes freed.
   * @throws WalError `WAL_CLOSED`, `WAL_IO` when a roll, unlink or directory fsync fails.
   */
  truncateThrough(seq: bigint): Promise<number> {
    if (this.#closed) return Promise.reject(new WalError('WAL_CLOSED', `wal ${this.dir}: truncate after close`))
    return this.#exclusive(async () => {
      const active = this.segments.at(-1)!
      if (!this.#failure && active.bytes > 0 && active.lastSeq <= seq) {
        try {
          await this.#roll(this.writtenSeq + 1n)
        } catch (error) {
          // No room for the new segment: keep appending to this one and still delete the older ones,
          // which is what gives the disk its space back.
          if (!isNoSpace(error) || this.#failure) throw error
        }
      }
      let freed = 0
      const deleted: string[] = []
      const retired: { path: string; bytes: number }[] = []
      // Oldest first, so a crash part-way leaves a suffix of segments, never a hole in the seqs. A
      // segment leaves the log by a rename (instant); its blocks are released after, in steps (releaseFile).
      while (this.segments.length > 1 && this.segments[0]!.lastSeq <= seq) {
        const segment = this.segments[0]!
        retired.push({ path: await retireSegment(segment.path), bytes: segment.bytes })
        this.segments.shift()
        this.totalBytes -= segment.bytes
        freed += segment.bytes
        deleted.push(segmentFileName(segment.firstSeq))
      }
      if (deleted.length === 0) return 0
      // Make the renames durable; until then a crash may bring segments back, which replay would
      // yield again — harmless (the batcher skips seqs it committed) but wasteful.
      await this.#syncDirectory()
      this.#log(`wal ${this.dir}: truncated through seq ${seq}: deleted ${deleted.join(', ')} (${freed} bytes)`)
      this.#release(retired)
      return freed
    })
  }

  /** Releases retired segments' blocks in the background; a failure leaves the file for the next open to remove. */
  #release(retired: { path: string; bytes: number }[]): void {
    this.#releasing = this.#releasing.then(async () => {
      for (const { path, bytes } of retired) {
        await releaseFile(path, bytes).catch((error: Error) => this.#log(`wal ${this.dir}: releasing ${path} failed (removed at the next open): ${error.message}`))
      }
    })
  }

  /**
   * Writes every append already accepted, fsyncs and closes the active segment. Later appends fail with WAL_CLOSED.
   * @throws WalError `WAL_IO` when the final fsync or close fails.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#exclusive(() => this.writer.close(this.#sync && !this.#failure))
    if (this.#sync && !this.#failure) this.stats.fsyncs++
    await this.#releasing
  }

  /** One group commit: everything queued so far goes out in a single write + fdatasync. Never rejects. */
  async #flush(): Promise<void> {
    // Reset first: appends arriving while this write is in flight schedule the next flush behind it.
    this.#flushScheduled = false
    const batch = this.#pending
    this.#pending = []
    if (batch.length === 0) return
    const bytes = batch.reduce((sum, a) => sum + a.bytes, 0)
    const writtenBefore = this.writtenSeq
    try {
      if (this.#failure) throw this.#failedError()
      const records: WalRecord[] = []
      for (const a of batch) {
        a.payloads.forEach((payload, i) => records.push({ seq: a.firstSeq + BigInt(i), payload }))
      }
      // Usually one write. A batch that would take the segment past segmentBytes is split at a record
      // boundary and the rest goes to a new segment, so segments stay small enough to truncate promptly.
      let next = 0
      while (next < records.length) {
        let end = next
        let room = this.#segmentBytes - this.segments.at(-1)!.bytes
        while (end < records.length && FRAME_HEADER_BYTES + records[end]!.payload.length <= room) {
          room -= FRAME_HEADER_BYTES + records[end]!.payload.length
          end++
        }
        if (end === next) {
          if (this.segments.at(-1)!.bytes > 0) {
            await this.#roll(this.writtenSeq + 1n)
            continue
          }
          end = next + 1 // a single record larger than segmentBytes gets a segment of its own
        }
        await this.#write(records.slice(next, end))
        next = end
      }
      this.#queuedBytes -= bytes
      this.stats.appends += batch.length
      this.stats.records += records.length
      if (this.#diskFull) {
        this.#diskFull = false
        this.#log(`wal ${this.dir}: the disk has room again; appends resumed at seq ${firstOf(batch)}`)
      }
      for (const a of batch) {
        a.resolve({ firstSeq: a.firstSeq, lastSeq: a.firstSeq + BigInt(a.payloads.length - 1) })
      }
    } catch (error) {
      if (!this.#failure && isNoSpace(error) && (await this.#takeBackFailedWrite(error))) {
        this.#settleAfterNoSpace(batch, bytes, writtenBefore, error)
        return
      }
      // After a failed write or fdatasync the file's state is unknown (the kernel may have dropped the dirty
      // pages): retrying could acknowledge records that are not on disk. Fail every later append; reopen recovers.
      this.#failure ??= this.#asWalError(error, 'write failed')
      this.#queuedBytes -= bytes
      for (const a of batch) a.reject(error)
    }
  }

  /** One write + fdatasync of `records` at the end of the active segment. */
  async #write(records: WalRecord[]): Promise<void> {
    const frames = encodeFrames(records)
    await this.writer.append(frames, this.#sync)
    if (this.#sync) this.stats.fsyncs++
    this.stats.writes++
    const active = this.segments.at(-1)!
    active.bytes += frames.length
    active.lastSeq = records.at(-1)!.seq
    this.writtenSeq = active.lastSeq
    this.totalBytes += frames.length
  }

  /**
   * After ENOSPC/EDQUOT in a write or its fdatasync: cuts the active segment back to its last durable length,
   * so no part of the failed write can be replayed (a shrink needs no free space). Why this is safe where
   * other write errors are not: whatever the kernel did with the failed pages, they all lie beyond the cut,
   * and everything before it was fdatasync'd by an earlier write. Returns false (the log fails) if the cut fails.
   */
  async #takeBackFailedWrite(error: unknown): Promise<boolean> {
    try {
      await this.writer.truncate(this.segments.at(-1)!.bytes, this.#sync)
      return true
    } catch (cutError) {
      this.#failure ??= this.#asWalError(cutError, `cutting back a write that found the disk full (${String(error)}) failed`)
      return false
    }
  }

  /**
   * Ends a batch whose write found the disk full and was taken back: appends wholly written by an earlier
   * write of the batch are durable and resolve; the others, and every append queued behind the batch, are
   * refused with WAL_DISK_FULL. Seqs continue after the last durable record, so the log stays gapless.
   */
  #settleAfterNoSpace(batch: PendingAppend[], bytes: number, writtenBefore: bigint, error: unknown): void {
    const queued = this.#pending
    this.#pending = []
    this.#queuedBytes -= bytes + queued.reduce((sum, a) => sum + a.bytes, 0)
    this.nextSeq = this.writtenSeq + 1n
    this.#diskFullUntil = Date.now() + DISK_FULL_PAUSE_MS
    if (!this.#diskFull) {
      this.#diskFull = true
      const kept = this.writtenSeq > writtenBefore ? ` (seqs ${writtenBefore + 1n}–${this.writtenSeq} of it were written before)` : ''
      this.#log(`wal ${this.dir}: disk full writing seq ${firstOf(batch)}${kept}: ${String(error)}; appends refused until one fits again`)
    }
    for (const a of batch) {
      const lastSeq = a.firstSeq + BigInt(a.payloads.length - 1)
      if (lastSeq <= this.writtenSeq) {
        this.stats.appends++
        this.stats.records += a.payloads.length
        a.resolve({ firstSeq: a.firstSeq, lastSeq })
      } else {
        a.reject(new WalDiskFullError(this.dir, { cause: error }))
      }
    }
    for (const a of queued) a.reject(new WalDiskFullError(this.dir, { cause: error }))
  }

  /**
   * Seals the active segment and starts `<firstSeq>.wal`. No room for the new segment (ENOSPC/EDQUOT) puts
   * the writer back on the sealed segment, intact, and rethrows; any other failure leaves no usable writer:
   * the log fails.
   */
  async #roll(firstSeq: bigint): Promise<void> {
    const active = this.segments.at(-1)!
    try {
      await this.writer.close(this.#sync)
      if (this.#sync) this.stats.fsyncs++
    } catch (error) {
      this.#failure ??= this.#asWalError(error, 'roll failed')
      throw error
    }
    const path = join(this.dir, segmentFileName(firstSeq))
    let created: SegmentWriter | undefined
    try {
      created = await SegmentWriter.open(path, 0, true)
      // The new name must be durable before records go in: fdatasync of the file alone does not persist
      // its directory entry, and after a crash the acknowledged records would sit in a file nobody can find.
      await this.#syncDirectory()
    } catch (error) {
      if (isNoSpace(error)) {
        try {
          await created?.close(false)
          if (created) await deleteSegment(path)
          this.writer = await SegmentWriter.open(active.path, active.bytes, false)
        } catch (undoError) {
          this.#failure ??= this.#asWalError(undoError, `undoing a roll that found the disk full (${String(error)}) failed`)
        }
      } else {
        this.#failure ??= this.#asWalError(error, 'roll failed')
      }
      throw error
    }
    this.writer = created
    this.segments.push({ firstSeq, lastSeq: firstSeq - 1n, bytes: 0, path })
  }

  #failedError(): WalError {
    return new WalError('WAL_FAILED', `wal ${this.dir}: an earlier write failed, reopen the log`, { cause: this.#failure })
  }

  #asWalError(error: unknown, what: string): WalError {
    return error instanceof WalError ? error : new WalError('WAL_IO', `wal ${this.dir}: ${what}`, { cause: error })
  }

  async #syncDirectory(): Promise<void> {
    if (!this.#sync) return
    await syncDirectory(this.dir)
    this.stats.fsyncs++
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn)
    this.#chain = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }
}
