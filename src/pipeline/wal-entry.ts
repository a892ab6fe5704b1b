/**
 * The WAL entry grammar: one WAL record's payload is what one HTTP request contributed to one table,
 * as UTF-8 JSON:
 *
 *   { "t": "<namespace.table>",        the table, dotted
 *     "k": "<idempotency key>",        optional
 *     "r": [ <record>, ... ],          accepted records as received (re-coerced on replay; coercion is deterministic)
 *     "d": [ { "e": "<reason>",        dead letters: the refusal,
 *              "raw": "<text>" | null,   the record as received,
 *              "i": <index>,             its index in the request (optional),
 *              "at": <epoch ms> } ] }    when it was received
 */

export interface WalEntry {
  t: string
  k?: string
  r: unknown[]
  d: WalDeadLetter[]
}

export interface WalDeadLetter {
  e: string
  raw: string | null
  i?: number
  at: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * The payload for `entry`. With `recordsJson` (the request body's own JSON array text), `r` is taken
 * from it as is instead of serialising the records again, which costs more than parsing them did.
 */
export function encodeWalEntry(entry: WalEntry, recordsJson?: string): Uint8Array {
  if (recordsJson === undefined) return encoder.encode(JSON.stringify(entry))
  const key = entry.k === undefined ? '' : `,"k":${JSON.stringify(entry.k)}`
  return encoder.encode(`{"t":${JSON.stringify(entry.t)}${key},"r":${recordsJson},"d":${JSON.stringify(entry.d)}}`)
}

export function decodeWalEntry(payload: Uint8Array): WalEntry {
  return JSON.parse(decoder.decode(payload)) as WalEntry
}
