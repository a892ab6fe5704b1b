/**
 * HTTP intake: records logged to the WAL before they are acknowledged, buffered strictly in WAL
 * order, replayed after a crash (filtered by the WAL marker each table's newest snapshot carries),
 * and the WAL truncated once every table committed them. Idempotency-Keys ride in the WAL entries
 * and move to the key log before their entries are truncated (idempotency-keys.ts). The entry
 * format is wal-entry.ts.
 */
import type { Row } from '../iceberg/types.ts'
import { tableName } from '../iceberg/table-identifier.ts'
import { deadLetterRow } from './dead-letters.ts'
import { type AnsweredKey, type ClaimResult, decodeKeyLogEntry, encodeKeyLogEntry, IdempotencyKeyReusedError, IdempotencyKeys } from './idempotency-keys.ts'
import { admitSettled } from './intake.ts'
import type { TableBatcher } from '../batcher/table-batcher.ts'
import type { PipelineTable, UnroutedDeadLetters } from './pipeline.ts'
import type { RecordLog } from './record-log.ts'
import { decodeWalEntry, encodeWalEntry, ROUTED_ENTRY_SCOPE, type WalDeadLetter, type WalEntry, type WalEntryPart } from './wal-entry.ts'

/** One table's share of a routed request (POST /v1/records): the table or the route's unrouted table, and what it gets. */
export interface RoutedPart {
  target: PipelineTable | UnroutedDeadLetters
  records: unknown[]
  rows: Row[]
  letters: { index: number; raw: string; reason: string }[]
}

const isUnrouted = (target: PipelineTable | UnroutedDeadLetters): target is UnroutedDeadLetters => 'deadLetter' in target && !('intake' in target)

export const DEFAULT_IDEMPOTENCY = { windowMs: 24 * 3600 * 1000, maxKeys: 100_000 }
/** The key log is truncated at most this often (finding its floor walks every key). */
const KEY_LOG_TRUNCATE_EVERY_MS = 5_000

export interface HttpIntakeOptions {
  log: RecordLog
  /**
   * Where Idempotency-Keys go when the WAL entry that carries one is truncated, so a resend is still
   * recognised after the commit and a restart. Without it keys last while their WAL entry does.
   */
  keyLog?: RecordLog
  /** How long and how many keys are remembered (default 24 h, 100,000). */
  idempotency?: { windowMs: number; maxKeys: number }
  /** The pipeline's tables, by dotted name. */
  tables: ReadonlyMap<string, PipelineTable>
  /** Every batcher whose WAL marker counts (tables, dead-letter tables, routes' unrouted tables). */
  batchers(): Iterable<TableBatcher>
  /**
   * A table a WAL entry names that is not open: a routed table (opened now, from its route) or a route's
   * table for unroutable records; undefined when the config no longer has it.
   */
  resolve(name: string): Promise<PipelineTable | UnroutedDeadLetters | undefined>
  /** Whether the config has routes (then replay reads the whole log: a routed table opens only when named). */
  routed: boolean
  counters: { httpAccepted: number; httpRejected: number; bytesIn: number; replayed: number }
  /** Resolves when buffers have room; throws BackpressureError when none frees up in time. */
  waitForRoom(): Promise<void>
  logLine(line: string): void
}

const httpDeadLetterRow = (d: WalDeadLetter): Row =>
  deadLetterRow({ source: 'http', receivedAtMs: d.at, error: d.e, raw: d.raw, ...(d.i === undefined ? {} : { recordIndex: d.i }) })

export class HttpIntake {
  readonly #options: HttpIntakeOptions
  readonly #keys: IdempotencyKeys
  #keyLogTruncatedAt = 0
  #deadLettered = new Set<string>()
  #applyOrder: Promise<void> = Promise.resolve()
  #truncation: Promise<void> | undefined

  constructor(options: HttpIntakeOptions) {
    this.#options = options
    this.#keys = new IdempotencyKeys(options.idempotency ?? DEFAULT_IDEMPOTENCY)
  }

  /** Loads the key log, then replays what the WAL holds that the tables do not. */
  async replay(): Promise<void> {
    await this.#loadKeys()
    await this.#replayLog()
  }

  /**
   * Claims an Idempotency-Key for one request (scoped to the table, bound to the body's fingerprint):
   * a key answered within its window replays that answer; a key in flight waits for the first
   * request's answer. Throws IdempotencyKeyReusedError (IDEMPOTENCY_KEY_REUSED) for another body.
   */
  claim(table: PipelineTable, key: string, fingerprint: string): Promise<ClaimResult> {
    return this.#keys.claim(tableName(table.config.identifier), key, fingerprint)
  }

  /** As `claim`, for a routed request (POST /v1/records): its keys have a scope of their own. */
  claimRouted(key: string, fingerprint: string): Promise<ClaimResult> {
    return this.#keys.claim(ROUTED_ENTRY_SCOPE, key, fingerprint)
  }

  /**
   * Logs a routed request (POST /v1/records) as ONE WAL entry with a part per table — accepted records and
   * dead letters alike, and the key with its answer — then buffers each part in its table. A key already
   * answered returns that answer. Throws as `accept` does.
   */
  async acceptRouted(input: {
    parts: RoutedPart[]
    idempotencyKey?: string
    fingerprint?: string
    response: unknown
  }): Promise<{ duplicate: true; response: unknown } | { duplicate: false; walSeq: bigint }> {
    const key = input.idempotencyKey
    const answered = key === undefined ? undefined : this.#answered(ROUTED_ENTRY_SCOPE, key, input.fingerprint)
    if (answered) return { duplicate: true, response: answered.response }
    if (input.parts.some((part) => part.rows.length > 0)) await this.#options.waitForRoom()
    const at = Date.now()
    const parts: WalEntryPart[] = input.parts.map((part) => ({
      t: isUnrouted(part.target) ? part.target.name : tableName(part.target.config.identifier),
      r: part.records,
      d: part.letters.map((d) => ({ e: d.reason, raw: d.raw, i: d.index, at })),
    }))
    const entry: WalEntry = { t: ROUTED_ENTRY_SCOPE, ...this.#keyFields(key, input.fingerprint, input.response), r: [], d: [], p: parts }
    const walSeq = await this.#logEntry(entry, undefined, (seq) => {
      input.parts.forEach((part, i) => {
        const letters = parts[i]!.d.map(httpDeadLetterRow)
        if (isUnrouted(part.target)) {
          if (letters.length) part.target.batcher.add(letters, { walSeq: seq })
          return
        }
        if (letters.length) part.target.deadLetters.add(letters, { walSeq: seq })
        if (part.rows.length) part.target.intake.accept(part.rows, { walSeq: seq })
      })
    })
    for (const part of input.parts) {
      this.#options.counters.httpAccepted += part.rows.length
      this.#options.counters.httpRejected += part.letters.length
    }
    this.#recordKey(entry, walSeq)
    return { duplicate: false, walSeq }
  }

  /**
   * Logs the accepted records of one HTTP request durably (WAL fsync), then buffers them; with a key,
   * the entry also carries the key, the body's fingerprint and `response`, the request's answer. A key
   * already answered returns that answer instead. Throws BackpressureError (BACKPRESSURE) or the log's
   * WAL_FULL error, both "retry later"; IdempotencyKeyReusedError when the key belongs to another body.
   */
  async accept(input: {
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
    await this.#options.waitForRoom()
    const entry: WalEntry = { t, ...this.#keyFields(key, input.fingerprint, input.response), r: input.records, d: [] }
    const walSeq = await this.#logEntry(entry, input.recordsJson, (seq) => input.table.intake.accept(input.rows, { walSeq: seq }))
    this.#options.counters.httpAccepted += input.rows.length
    this.#recordKey(entry, walSeq)
    return { duplicate: false, walSeq }
  }

  /**
   * Logs the rejected records of one HTTP request durably, then buffers them for the dead-letter
   * table. With `response` (the request accepted nothing, so this is its last entry) the entry carries
   * the key as accept's does.
   */
  async deadLetter(input: {
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
    this.#options.counters.httpRejected += input.letters.length
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
    this.#options.counters.bytesIn += payload.length
    return seq
  }

  /** Keys whose WAL entries are gone: the key log holds them, oldest first. */
  async #loadKeys(): Promise<void> {
    const keyLog = this.#options.keyLog
    if (!keyLog) return
    for await (const { seq, payload } of keyLog.replay(-1n)) this.#keys.record(decodeKeyLogEntry(payload, seq))
    if (this.#keys.size) this.#logLine(`idempotency: ${this.#keys.size} keys answered within the window remembered from the key log`)
  }

  async #replayLog(): Promise<void> {
    // With routes, a routed table that is not open yet may hold less than every open one: read the whole log.
    let floor: bigint | undefined
    for (const batcher of this.#options.batchers()) {
      const seq = batcher.committedWalSeq() ?? -1n
      if (floor === undefined || seq < floor) floor = seq
    }
    if (this.#options.routed) floor = -1n
    let replayed = 0
    for await (const { seq, payload } of this.#options.log.replay(floor ?? -1n)) {
      const entry = decodeWalEntry(payload)
      let buffered = false
      for (const part of entry.p ?? [entry]) if (await this.#replayPart(seq, part)) buffered = true
      // Entries from before answers were logged replay a marker answer for any body.
      if (entry.k !== undefined && !this.#keys.get(entry.t, entry.k)) {
        this.#recordKey({ ...entry, a: entry.a ?? { replayed: true, walSeq: String(seq) }, at: entry.at ?? Date.now() }, seq)
      }
      if (buffered) replayed++
    }
    this.#options.counters.replayed = replayed
    if (replayed) this.#logLine(`replayed ${replayed} WAL records the tables did not hold yet`)
  }

  /** Buffers what one table's part of WAL record `seq` holds that the table has not committed; returns whether it buffered any. */
  async #replayPart(seq: bigint, part: WalEntryPart): Promise<boolean> {
    const table = this.#options.tables.get(part.t) ?? (await this.#options.resolve(part.t))
    if (!table) {
      this.#logLine(`WAL record ${seq} is for table ${part.t}, which is no longer configured; skipped`)
      return false
    }
    if (isUnrouted(table)) {
      if (!part.d.length || seq <= (table.batcher.committedWalSeq() ?? -1n)) return false
      table.batcher.add(part.d.map(httpDeadLetterRow), { walSeq: seq })
      return true
    }
    const letters = [...part.d]
    let buffered = false
    if (seq > (table.batcher.committedWalSeq() ?? -1n)) {
      const rows: Row[] = []
      for (const record of part.r) {
        // Logged after its schema change committed, so this waits only when that change is not in the table.
        const result = await admitSettled((input) => table.intake.admit(input), record)
        if (result.ok) rows.push(result.row)
        else letters.push({ e: result.reason, raw: JSON.stringify(record), at: Date.now() })
      }
      if (rows.length) table.batcher.add(rows, { walSeq: seq })
      buffered = rows.length > 0
    }
    if (letters.length && seq > (table.deadLetters.committedWalSeq() ?? -1n)) {
      table.deadLetters.add(letters.map(httpDeadLetterRow), { walSeq: seq })
      buffered = true
    }
    return buffered
  }

  /** Frees WAL segments every table has committed; from the roll timer, so skipped while a truncation runs. */
  truncateSoon(): void {
    this.#truncation ??= this.#truncateCommitted().finally(() => {
      this.#truncation = undefined
    })
  }

  /** Waits for a running truncation, then truncates once more: after the final commits, so a clean stop leaves the WAL empty. */
  async truncate(): Promise<void> {
    await this.#truncation
    this.truncateSoon()
    await this.#truncation
  }

  async #truncateCommitted(): Promise<void> {
    try {
      // Everything below the lowest sequence number still pending anywhere is committed everywhere.
      let lowest: bigint | undefined
      for (const batcher of this.#options.batchers()) {
        const seq = batcher.lowestPendingWalSeq()
        if (seq !== undefined && (lowest === undefined || seq < lowest)) lowest = seq
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
    let firstSeq: bigint
    try {
      firstSeq = (await keyLog.append(due.map(encodeKeyLogEntry))).firstSeq
    } catch (error) {
      // A full disk must not keep the WAL from freeing it: the keys stay answered while this worker runs and are
      // stored with a later truncation once there is room; only a restart before then forgets them.
      if ((error as { code?: string }).code !== 'WAL_DISK_FULL') throw error
      this.#logLine(`idempotency: ${due.length} keys could not be stored (disk full); the WAL is truncated anyway, and they are stored once there is room (until then a restart forgets them)`)
      return
    }
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

  #logLine(line: string): void {
    this.#options.logLine(line)
  }
}
