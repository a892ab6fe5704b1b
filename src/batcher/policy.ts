/**
 * When to roll a table's buffer into files and a commit: the first of interval, rows, bytes.
 * Pure, so the rules are tested without clocks or I/O.
 */

export interface RollTriggers {
  /** Roll at most this long after the oldest buffered record arrived (the seed's `trigger(processingTime)`). */
  intervalMs: number
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
