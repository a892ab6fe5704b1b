/**
 * The WAL entry grammar: one WAL record's payload is what one HTTP request contributed to one table,
 * as UTF-8 JSON:
 *
 *   { "t": "<namespace.table>",        the table, dotted
 *     "k": "<idempotency key>",        optional; on the request's last entry also:
 *     "h": "<hex sha-256 of the body>",  the body the key belongs to,
 *     "a": <response>,                   the 200 body the client got,
 *     "at": <epoch ms>,                  when (the key's window counts from here)
 *     "r": [ <record>, ... ],          accepted records as received (re-coerced on replay; coercion is deterministic)
 *     "d": [ { "e": "<reason>",        dead letters: the refusal,
 *              "raw": "<text>" | null,   the record as received,
 *              "i": <index>,             its index in the request (optional),
 *              "at": <epoch ms> } ],     when it was received
 *     "p": [ { "t", "r", "d" }, ... ] }  optional: a routed request (POST /v1/records), one part per table it
 *                                        reached; then "t" is "/v1/records" (the key's scope) and "r", "d" are empty
 *
 * A routed request is one entry, not one per table, so its key and its rows are durable together.
 */

export interface WalEntry {
  t: string
  k?: string
  h?: string
  a?: unknown
  at?: number
  r: unknown[]
  d: WalDeadLetter[]
  p?: WalEntryPart[]
}

/** What a routed request logged for one table. */
export interface WalEntryPart {
  t: string
  r: unknown[]
  d: WalDeadLetter[]
}

/** The `t` (and Idempotency-Key scope) of a routed request's entry. */
export const ROUTED_ENTRY_SCOPE = '/v1/records'

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
  // Everything but `r` through JSON.stringify, then `r` spliced in: `{"t":…,…,"d":[…]` + `,"r":<recordsJson>}`.
  const { r: _records, ...rest } = entry
  const head = JSON.stringify(rest)
  return encoder.encode(`${head.slice(0, -1)},"r":${recordsJson}}`)
}

export function decodeWalEntry(payload: Uint8Array): WalEntry {
  return JSON.parse(decoder.decode(payload)) as WalEntry
}
