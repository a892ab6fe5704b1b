/** The key registry alone: claims, replays, refusals, waits, window and cap (no I/O). */
import { describe, expect, test } from 'bun:test'
import { decodeKeyLogEntry, encodeKeyLogEntry, IdempotencyKeyReusedError, IdempotencyKeys } from '../../src/pipeline/idempotency-keys.ts'

function registry(windowMs = 1_000, maxKeys = 10) {
  let clock = 0
  const keys = new IdempotencyKeys({ windowMs, maxKeys, now: () => clock })
  return { keys, advance: (ms: number) => (clock += ms), now: () => clock }
}

const answered = (key: string, at: number, extra: object = {}) => ({ table: 'ns.t', key, fingerprint: 'f1', response: { accepted: 1, key }, answeredAtMs: at, ...extra })

describe('IdempotencyKeys', () => {
  test('a recorded key replays its answer for the same body and is refused for another', async () => {
    const { keys } = registry()
    keys.record(answered('k', 0))
    expect(await keys.claim('ns.t', 'k', 'f1')).toEqual({ replay: { accepted: 1, key: 'k' } })
    const refused = await keys.claim('ns.t', 'k', 'f2').catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(IdempotencyKeyReusedError)
    expect((refused as IdempotencyKeyReusedError).code).toBe('IDEMPOTENCY_KEY_REUSED')
    // Keys are per table.
    expect('claimed' in (await keys.claim('ns.other', 'k', 'f2'))).toBe(true)
  })

  test('claims of a key in flight wait for the first answer; another body is refused at once', async () => {
    const { keys } = registry()
    const first = await keys.claim('ns.t', 'k', 'f1')
    if (!('claimed' in first)) throw new Error('expected a claim')
    const waiting = Array.from({ length: 7 }, () => keys.claim('ns.t', 'k', 'f1'))
    await expect(keys.claim('ns.t', 'k', 'f2')).rejects.toBeInstanceOf(IdempotencyKeyReusedError)
    keys.record(answered('k', 0))
    first.claimed.settle({ accepted: 1, key: 'k' })
    expect(await Promise.all(waiting)).toEqual(Array.from({ length: 7 }, () => ({ replay: { accepted: 1, key: 'k' } })))
  })

  test('a released claim (the first request failed) lets one waiter claim the key itself', async () => {
    const { keys } = registry()
    const first = await keys.claim('ns.t', 'k', 'f1')
    if (!('claimed' in first)) throw new Error('expected a claim')
    const second = keys.claim('ns.t', 'k', 'f1')
    const third = keys.claim('ns.t', 'k', 'f1')
    first.claimed.release()
    const claimedSecond = await second
    expect('claimed' in claimedSecond).toBe(true)
    if ('claimed' in claimedSecond) {
      keys.record(answered('k', 0))
      claimedSecond.claimed.settle({ accepted: 1, key: 'k' })
    }
    expect(await third).toEqual({ replay: { accepted: 1, key: 'k' } })
  })

  test('a key is forgotten after its window, and the oldest past maxKeys', async () => {
    const { keys, advance } = registry(1_000, 3)
    keys.record(answered('old', 0))
    advance(600)
    for (const key of ['a', 'b', 'c']) keys.record(answered(key, 600))
    expect(keys.get('ns.t', 'old')).toBeUndefined() // evicted by count
    expect(keys.size).toBe(3)
    advance(999)
    expect(keys.get('ns.t', 'a')).toBeDefined()
    advance(1)
    expect(keys.get('ns.t', 'a')).toBeUndefined() // past its window
    expect('claimed' in (await keys.claim('ns.t', 'a', 'f-new'))).toBe(true)
    keys.expire()
    expect(keys.size).toBe(0)
  })

  test('keys due for the key log, and the lowest key-log seq still needed', () => {
    const { keys } = registry()
    keys.record(answered('a', 0, { walSeq: 1n }))
    keys.record(answered('b', 0, { walSeq: 2n }))
    keys.record(answered('c', 0, { walSeq: 3n }))
    expect(keys.unstoredThrough(2n).map((k) => k.key)).toEqual(['a', 'b'])
    keys.unstoredThrough(2n).forEach((k, i) => (k.storedSeq = 10n + BigInt(i)))
    expect(keys.unstoredThrough(3n).map((k) => k.key)).toEqual(['c'])
    expect(keys.lowestStoredSeq()).toBe(10n)
  })

  test('key-log entries round-trip', () => {
    const entry = answered('k', 123)
    expect(decodeKeyLogEntry(encodeKeyLogEntry(entry), 7n)).toEqual({ ...entry, storedSeq: 7n })
  })
})
