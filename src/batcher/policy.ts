/**
 * When to roll a table's buffer into files and a commit: the first of interval, rows, bytes; and how
 * long the interval is when the catalog is slow (commit pacing). Pure, so the rules are tested
 * without clocks or I/O.
 */

export interface RollTriggers {
  /** Roll at most this long after the oldest buffered record arrived (the seed's `trigger(processingTime)`). */
  intervalMs: number
  /**
   * Cap of the interval when slow commits stretch it (commit pacing, below); default ten intervals.
   * Set it equal to `intervalMs` to turn the stretching off.
   */
  maxIntervalMs?: number
  maxRows: number
  /** Estimated uncompressed bytes; bounds memory per table. */
  maxBytes: number
}

export const DEFAULT_ROLL_TRIGGERS: RollTriggers = {
  intervalMs: 60_000,
  maxRows: 1_000_000,
  maxBytes: 128 * 1024 * 1024,
}

export interface BufferState {
  rows: number
  bytes: number
  /** When the oldest record still in the buffer arrived; undefined when the buffer is empty. */
  oldestAtMs: number | undefined
}

/** `pressure`: the worker's buffers are over their memory cap, so buffers roll before their own triggers. */
/** `schema`: the table's schema evolved, and rows of the old shape commit as their own batch. */
export type RollReason = 'interval' | 'rows' | 'bytes' | 'pressure' | 'shutdown' | 'schema'

/** Undefined while no trigger has fired; an empty buffer never rolls. */
export function rollReason(state: BufferState, triggers: RollTriggers, nowMs: number): RollReason | undefined {
  if (state.rows === 0 || state.oldestAtMs === undefined) return undefined
  if (state.rows >= triggers.maxRows) return 'rows'
  if (state.bytes >= triggers.maxBytes) return 'bytes'
  if (nowMs - state.oldestAtMs >= triggers.intervalMs) return 'interval'
  return undefined
}

/** Milliseconds until the interval trigger fires (0 when due), or undefined for an empty buffer. */
export function msUntilInterval(state: BufferState, triggers: RollTriggers, nowMs: number): number | undefined {
  if (state.rows === 0 || state.oldestAtMs === undefined) return undefined
  return Math.max(0, state.oldestAtMs + triggers.intervalMs - nowMs)
}

/**
 * Commit pacing: a catalog that takes long per commit (Glue ~0.3 s, Unity ~5 s) stretches the interval
 * trigger, so the table gets fewer, larger commits instead of a queue of tiny ones that each wait
 * for the catalog. The interval is kept at least `1 / COMMIT_SHARE` commit latencies long (commits
 * then take at most a quarter of the time), never shorter than `intervalMs` nor longer than the cap.
 */
export const COMMIT_SHARE = 0.25

/** How many recent commits the latency is the median of: one slow outlier does not stretch the interval. */
export const PACE_WINDOW = 5

/** The stretch cap when `maxIntervalMs` is not set: ten intervals. */
export const DEFAULT_MAX_INTERVAL_FACTOR = 10

/** Latencies (ms) of a table's last PACE_WINDOW commits, oldest first. */
export type CommitPace = readonly number[]

/** The pace after one more commit that took `latencyMs`. */
export function observeCommit(pace: CommitPace, latencyMs: number): CommitPace {
  return [...pace, Math.max(0, latencyMs)].slice(-PACE_WINDOW)
}

/** Median latency of the recent commits, or undefined before the first. */
export function commitLatencyMs(pace: CommitPace): number | undefined {
  if (pace.length === 0) return undefined
  const sorted = [...pace].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The stretch cap of `triggers`: `maxIntervalMs`, else DEFAULT_MAX_INTERVAL_FACTOR intervals (never below `intervalMs`). */
export function maxIntervalMs(triggers: RollTriggers): number {
  return Math.max(triggers.intervalMs, triggers.maxIntervalMs ?? triggers.intervalMs * DEFAULT_MAX_INTERVAL_FACTOR)
}

/** The interval the trigger uses given the recent commits: `intervalMs`, stretched to latency / COMMIT_SHARE, capped. */
export function effectiveIntervalMs(triggers: RollTriggers, pace: CommitPace): number {
  const latency = commitLatencyMs(pace)
  if (latency === undefined) return triggers.intervalMs
  return Math.min(maxIntervalMs(triggers), Math.max(triggers.intervalMs, Math.ceil(latency / COMMIT_SHARE)))
}
