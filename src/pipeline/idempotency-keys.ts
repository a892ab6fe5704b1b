/**
 * HTTP Idempotency-Keys: which requests were answered, with what, for how long (edge-safe, no I/O).
 *
 * A key is scoped to its table and bound to a fingerprint of the request body. Its life:
 *   claim → (in flight) → record (the request's final WAL entry is durable) → stored (copied to the
 *   key log before the WAL entry is truncated) → expired (older than the window, or evicted as the
 *   oldest past maxKeys).
 * A claim of a key in flight waits for the first request's answer; a claim of a recorded key replays
 * its answer; either with another fingerprint is refused (IDEMPOTENCY_KEY_REUSED). Durability is the
 * pipeline's job: the WAL holds a key while it holds the key's entry, the key log after that.
 */
import { IngestError } from '../errors.ts'

/** One answered request, as kept in memory and in the key log. */
export interface AnsweredKey {
  /** Table, dotted: keys are per table. */
  table: string
  key: string
  /** Hex SHA-256 of the request body; absent for keys written before fingerprints were (replayed for any body). */
  fingerprint?: string
  /** The 200 body the first request got. */
  response: unknown
  /** Epoch ms of the first answer: the window counts from here. */
  answeredAtMs: number
  /** Seq of the WAL entry that carries the key (until it is stored). */
  walSeq?: bigint
  /** Seq in the key log, once stored there. */
  storedSeq?: bigint
}

export interface IdempotencyOptions {
  /** How long a key is remembered after its first answer. */
  windowMs: number
  /** At most this many keys are remembered; past it the oldest are forgotten first. */
  maxKeys: number
  now?: () => number
}

/** The same key with another body (code IDEMPOTENCY_KEY_REUSED → 422). */
export class IdempotencyKeyReusedError extends IngestError {
  constructor(table: string, key: string) {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      `Idempotency-Key ${JSON.stringify(key)} was used for table ${table} with a different request body; use a new key for a new request`,
      { context: { table, key } },
    )
  }
}

/** A claimed key: exactly one of these ends it. */
export interface KeyClaim {
  /** The request was answered (its final WAL entry recorded the key): waiters get `response`. */
  settle(response: unknown): void
  /** The request failed before anything was recorded: a waiter claims the key itself. */
  release(): void
}

export type ClaimResult = { replay: unknown } | { claimed: KeyClaim }

interface InFlight {
  fingerprint: string | undefined
  done: Promise<unknown>
}

const id = (table: string, key: string) => `${table}\u0000${key}`
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * Key-log entry: one answered key, UTF-8 JSON
 *   { "t": "<namespace.table>", "k": "<key>", "h": "<hex sha-256 of the body>" (optional), "a": <response>, "at": <epoch ms> }
 */
export function encodeKeyLogEntry(answered: AnsweredKey): Uint8Array {
  const { table: t, key: k, fingerprint: h, response: a, answeredAtMs: at } = answered
  return encoder.encode(JSON.stringify({ t, k, ...(h === undefined ? {} : { h }), a, at }))
}

export function decodeKeyLogEntry(payload: Uint8Array, seq: bigint): AnsweredKey {
  const entry = JSON.parse(decoder.decode(payload)) as { t: string; k: string; h?: string; a: unknown; at: number }
  return { table: entry.t, key: entry.k, ...(entry.h === undefined ? {} : { fingerprint: entry.h }), response: entry.a, answeredAtMs: entry.at, storedSeq: seq }
}

export class IdempotencyKeys {
  /** Insertion order is answer order, so the oldest key is always first. */
  readonly #answered = new Map<string, AnsweredKey>()
  readonly #inFlight = new Map<string, InFlight>()
  readonly #options: IdempotencyOptions
  readonly #now: () => number

  constructor(options: IdempotencyOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
  }

  get size(): number {
    return this.#answered.size
  }

  /**
   * Claims `key` for a request with `fingerprint`, or tells how it was answered. Waits while another
   * request holds it. Throws IdempotencyKeyReusedError when the key belongs to another body.
   */
  async claim(table: string, key: string, fingerprint: string | undefined): Promise<ClaimResult> {
    const keyId = id(table, key)
    for (;;) {
      const answered = this.get(table, key)
      if (answered) {
        if (!sameBody(answered.fingerprint, fingerprint)) throw new IdempotencyKeyReusedError(table, key)
        return { replay: answered.response }
      }
      const inFlight = this.#inFlight.get(keyId)
      if (!inFlight) break
      if (!sameBody(inFlight.fingerprint, fingerprint)) throw new IdempotencyKeyReusedError(table, key)
      // Settled: the loop finds the answer; released: the loop finds the key free and claims it.
      await inFlight.done
    }
    let finish: (response: unknown) => void = () => {}
    const done = new Promise<unknown>((resolve) => (finish = resolve))
    this.#inFlight.set(keyId, { fingerprint, done })
    let ended = false
    const end = (response: unknown) => {
      if (ended) return
      ended = true
      this.#inFlight.delete(keyId)
      finish(response)
    }
    return { claimed: { settle: end, release: () => end(undefined) } }
  }

  /** The answer for a key within its window, if any. */
  get(table: string, key: string): AnsweredKey | undefined {
    const answered = this.#answered.get(id(table, key))
    if (answered && this.#now() - answered.answeredAtMs >= this.#options.windowMs) return undefined
    return answered
  }

  /** Records an answer (a durable WAL entry, a replayed one, or one read back from the key log); the newest wins. */
  record(answered: AnsweredKey): void {
    if (this.#now() - answered.answeredAtMs >= this.#options.windowMs) return
    const keyId = id(answered.table, answered.key)
    this.#answered.delete(keyId)
    this.#answered.set(keyId, answered)
    while (this.#answered.size > this.#options.maxKeys) this.#answered.delete(this.#answered.keys().next().value as string)
  }

  /** Keys whose WAL entry is at or below `walSeq` and that the key log does not hold yet: to store before truncating. */
  unstoredThrough(walSeq: bigint): AnsweredKey[] {
    const due: AnsweredKey[] = []
    for (const answered of this.#answered.values()) {
      if (answered.storedSeq === undefined && answered.walSeq !== undefined && answered.walSeq <= walSeq) due.push(answered)
    }
    return due
  }

  /** Forgets keys past their window (the oldest come first, so the scan stops at the first live one). */
  expire(): void {
    const now = this.#now()
    for (const [keyId, answered] of this.#answered) {
      if (now - answered.answeredAtMs < this.#options.windowMs) break
      this.#answered.delete(keyId)
    }
  }

  /** Lowest key-log seq a remembered key is stored at: the key log may drop everything below it. */
  lowestStoredSeq(): bigint | undefined {
    let lowest: bigint | undefined
    for (const answered of this.#answered.values()) {
      if (answered.storedSeq !== undefined && (lowest === undefined || answered.storedSeq < lowest)) lowest = answered.storedSeq
    }
    return lowest
  }
}

/** An unknown fingerprint (an entry from before they were kept, or a caller without one) matches any body. */
const sameBody = (a: string | undefined, b: string | undefined) => a === undefined || b === undefined || a === b
