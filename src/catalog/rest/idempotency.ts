/**
 * Idempotency-Key for mutating REST calls (REST spec: `components/parameters/idempotency-key`, and
 * `CatalogConfig.idempotency-key-lifetime`, whose presence says the server honours the header).
 * Keys are UUIDv7 (RFC 9562 §5.7) as the spec asks; web crypto only.
 */

const DURATION = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/

/**
 * An ISO-8601 duration of days, hours, minutes and seconds (`PT30M`, `PT24H`, `P1DT12H`) in
 * milliseconds; undefined for anything else (years and months have no fixed length).
 */
export function parseIsoDurationMs(text: string): number | undefined {
  const upper = text.trim().toUpperCase()
  const match = DURATION.exec(upper)
  // The pattern's parts are all optional: `P` and `PT` match it but name no duration.
  if (!match || upper === 'P' || upper.endsWith('T')) return undefined
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number]
  const ms = (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000
  return ms > 0 ? Math.round(ms) : undefined
}

/** A UUIDv7: 48-bit Unix milliseconds, version 7, variant 10, and 74 bits taken from `entropy` (≥ 10 bytes). */
export function uuidV7(timestampMs: number, entropy: Uint8Array): string {
  if (entropy.length < 10) throw new RangeError(`uuidV7 needs 10 bytes of entropy, got ${entropy.length}`)
  const bytes = new Uint8Array(16)
  let ts = Math.max(0, Math.floor(timestampMs))
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ts % 256
    ts = Math.floor(ts / 256)
  }
  bytes.set(entropy.subarray(0, 10), 6)
  bytes[6] = 0x70 | (bytes[6]! & 0x0f)
  bytes[8] = 0x80 | (bytes[8]! & 0x3f)
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** A fresh key for one logical call (create or drop), reused by that call's retries. */
export function randomIdempotencyKey(now: number = Date.now()): string {
  return uuidV7(now, crypto.getRandomValues(new Uint8Array(10)))
}

/**
 * The key of one commit request, derived from its JSON body: the snapshot id, the parent it asserts and
 * its manifest list are all in there, so every resend of that request carries the same key and any other
 * commit another one. Why not the snapshot id alone: after a 409 the commit loop re-applies the same
 * snapshot id on the new parent, and a server that finalized the 409 under the old key would replay it
 * to the new request forever. `timestampMs` is the snapshot's `timestamp-ms`, so the key sorts by commit time.
 */
export async function commitIdempotencyKey(body: string, timestampMs: number): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body)))
  return uuidV7(timestampMs, digest)
}
