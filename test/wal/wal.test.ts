/** Wal appends: group commit, gapless seqs, WAL_FULL, rolling, truncation after commit, replay across reopen. */

import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WalFullError } from '../../src/wal/errors.ts'
import { Wal, type WalOptions } from '../../src/wal/wal.ts'

const FRAME = 16 + 100
let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wal-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const payload = (n: number): Uint8Array => new Uint8Array(100).fill(n & 0xff)
const files = (): string[] => readdirSync(dir).sort()
/** The log's segment files (a truncated one is renamed `.deleting` at once, then its blocks are released). */
const segmentFiles = (): string[] => files().filter((name) => name.endsWith('.wal'))

async function seqsOf(wal: Wal, after = 0n): Promise<bigint[]> {
  const out: bigint[] = []
  for await (const r of wal.replay(after)) {
    expect(r.payload[0]).toBe(Number(r.seq & 0xffn)) // payload(n) was written at seq n in these tests
    out.push(r.seq)
  }
  return out
}

/** Appends records 1..n one call at a time, each payload tagged with its seq. */
async function fill(wal: Wal, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await wal.append([payload(Number(wal.lastSeq) + 1)])
}

describe('Wal', () => {
  test('a new log starts at seq 1 with one empty segment', async () => {
    const wal = await Wal.open(join(dir, 'nested'))
    expect([wal.firstSeq, wal.lastSeq, wal.bytes, wal.segmentCount]).toEqual([1n, 0n, 0, 1])
    expect(readdirSync(join(dir, 'nested'))).toEqual(['00000000000000000001.wal'])
    expect(await wal.append([payload(1), payload(2)])).toEqual({ firstSeq: 1n, lastSeq: 2n })
    expect([wal.firstSeq, wal.lastSeq, wal.bytes]).toEqual([1n, 2n, 2 * FRAME])
    await wal.close()
  })

  test('group commit: 200 concurrent appends share a few fsyncs and get distinct gapless seqs in call order', async () => {
    const wal = await Wal.open(dir)
    const before = wal.stats.fsyncs
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => wal.append([payload(i + 1)])))
    expect(results.map((r) => r.firstSeq)).toEqual(Array.from({ length: 200 }, (_, i) => BigInt(i + 1)))
    expect(results.every((r) => r.firstSeq === r.lastSeq)).toBe(true)
    expect(wal.stats.fsyncs - before).toBeLessThanOrEqual(2)
    expect(await seqsOf(wal)).toEqual(results.map((r) => r.firstSeq))
    await wal.close()
  })

  test('appends arriving while a write is in flight go out together in the next write', async () => {
    const wal = await Wal.open(dir)
    const first = wal.append([payload(1)])
    await Promise.resolve()
    await Promise.resolve() // the first write has started
    const rest = Array.from({ length: 50 }, (_, i) => wal.append([payload(i + 2), payload(i + 2)]))
    await Promise.all([first, ...rest])
    expect(wal.stats.writes).toBe(2)
    expect(wal.stats.records).toBe(101)
    await wal.close()
  })

  test('awaited appends cost one fsync each (the counter counts)', async () => {
    const wal = await Wal.open(dir)
    const before = wal.stats.fsyncs
    await fill(wal, 5)
    expect(wal.stats.fsyncs - before).toBe(5)
    await wal.close()
    const off = await Wal.open(dir, { fsync: false })
    await fill(off, 5)
    expect(off.stats.fsyncs).toBe(0)
    await off.close()
  })

  test('WAL_FULL when held + queued + incoming bytes exceed maxBytes; space returns after truncation', async () => {
    const options: WalOptions = { segmentBytes: 4 * FRAME, maxBytes: 10 * FRAME }
    const wal = await Wal.open(dir, options)
    const burst = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => wal.append([payload(i + 1)])))
    expect(burst.filter((r) => r.status === 'fulfilled')).toHaveLength(10)
    const refused = burst.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason)
    expect(refused).toHaveLength(2)
    expect(refused[0]).toBeInstanceOf(WalFullError)
    expect(refused[0]).toMatchObject({ code: 'WAL_FULL', retryable: true })
    expect(wal.bytes).toBe(10 * FRAME)
    expect(wal.lastSeq).toBe(10n) // refused appends take no seq
    expect(await wal.truncateThrough(4n)).toBe(4 * FRAME)
    expect(await wal.append([payload(11)])).toEqual({ firstSeq: 11n, lastSeq: 11n })
    await expect(wal.append([new Uint8Array(11 * FRAME)])).rejects.toMatchObject({ code: 'WAL_RECORD_SIZE', retryable: false })
    await wal.close()
  })

  test('rolls to a new segment named after its first seq before exceeding segmentBytes', async () => {
    const wal = await Wal.open(dir, { segmentBytes: 3 * FRAME })
    await fill(wal, 7)
    expect(files()).toEqual(['00000000000000000001.wal', '00000000000000000004.wal', '00000000000000000007.wal'])
    expect(files().map((f) => statSync(join(dir, f)).size)).toEqual([3 * FRAME, 3 * FRAME, FRAME])
    expect(wal.segmentCount).toBe(3)
    await wal.close()
  })

  test('a concurrent batch larger than a segment is split across segments at record boundaries', async () => {
    const wal = await Wal.open(dir, { segmentBytes: 4 * FRAME })
    await Promise.all(Array.from({ length: 10 }, (_, i) => wal.append([payload(i + 1)])))
    expect(files()).toEqual(['00000000000000000001.wal', '00000000000000000005.wal', '00000000000000000009.wal'])
    expect(files().map((f) => statSync(join(dir, f)).size)).toEqual([4 * FRAME, 4 * FRAME, 2 * FRAME])
    expect(await seqsOf(wal)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i + 1)))
    await wal.close()
  })

  test('replay refuses a segment that changed on disk after open (WAL_CORRUPT)', async () => {
    const wal = await Wal.open(dir)
    await fill(wal, 3)
    const path = join(dir, files()[0]!)
    const bytes = new Uint8Array(await Bun.file(path).arrayBuffer())
    bytes[FRAME + 20]! ^= 1
    await Bun.write(path, bytes)
    await expect(seqsOf(wal)).rejects.toMatchObject({ code: 'WAL_CORRUPT' })
    await wal.close()
  })

  test('truncateThrough deletes only fully committed segments; replay after reopen yields exactly the rest', async () => {
    const wal = await Wal.open(dir, { segmentBytes: 4 * FRAME })
    await fill(wal, 18) // 1-4, 5-8, 9-12, 13-16, 17-18
    expect(await wal.truncateThrough(10n)).toBe(8 * FRAME) // 9-12 still holds 11, 12
    expect(segmentFiles()[0]).toBe('00000000000000000009.wal')
    expect([wal.firstSeq, wal.bytes, wal.segmentCount]).toEqual([9n, 10 * FRAME, 3])
    expect(await wal.truncateThrough(10n)).toBe(0)
    await wal.close()

    const again = await Wal.open(dir, { segmentBytes: 4 * FRAME })
    expect(await seqsOf(again, 10n)).toEqual([11n, 12n, 13n, 14n, 15n, 16n, 17n, 18n])
    expect((await seqsOf(again, 0n))[0]).toBe(9n)
    await again.close()
  })

  test('truncating everything keeps an empty newest segment, so seqs continue after restart', async () => {
    const wal = await Wal.open(dir, { segmentBytes: 4 * FRAME })
    await fill(wal, 6)
    expect(await wal.truncateThrough(6n)).toBe(6 * FRAME)
    expect(segmentFiles()).toEqual(['00000000000000000007.wal'])
    expect([wal.bytes, wal.firstSeq, wal.lastSeq]).toEqual([0, 7n, 6n])
    await wal.close()

    const again = await Wal.open(dir)
    expect(again.recovery).toEqual({ segments: 1, records: 0, truncatedBytes: 0, lastSeq: 0n })
    expect([again.firstSeq, again.lastSeq]).toEqual([7n, 6n])
    expect(await seqsOf(again)).toEqual([])
    expect(await again.append([payload(7)])).toEqual({ firstSeq: 7n, lastSeq: 7n })
    await again.close()
  })

  test('close writes appends still queued; later calls fail with WAL_CLOSED', async () => {
    const wal = await Wal.open(dir)
    const pending = wal.append([payload(1)])
    await wal.close()
    expect(await pending).toEqual({ firstSeq: 1n, lastSeq: 1n })
    await expect(wal.append([payload(2)])).rejects.toMatchObject({ code: 'WAL_CLOSED' })
    await expect(wal.truncateThrough(1n)).rejects.toMatchObject({ code: 'WAL_CLOSED' })
    const again = await Wal.open(dir)
    expect(await seqsOf(again)).toEqual([1n])
    await again.close()
  })

  test('refuses empty appends, empty payloads, and invalid options', async () => {
    const wal = await Wal.open(dir)
    await expect(wal.append([])).rejects.toMatchObject({ code: 'WAL_RECORD_SIZE' })
    await expect(wal.append([new Uint8Array(0)])).rejects.toMatchObject({ code: 'WAL_RECORD_SIZE' })
    expect(wal.lastSeq).toBe(0n)
    await wal.close()
    await expect(Wal.open(dir, { segmentBytes: 0 })).rejects.toMatchObject({ code: 'CONFIG' })
    await expect(Wal.open(dir, { segmentBytes: 100, maxBytes: 50 })).rejects.toMatchObject({ code: 'CONFIG' })
  })

  test('a failed write fails that append and every later one with WAL_FAILED', async () => {
    const wal = await Wal.open(dir, { segmentBytes: FRAME })
    await fill(wal, 1)
    rmSync(dir, { recursive: true, force: true }) // the next roll cannot create its segment
    await expect(wal.append([payload(2)])).rejects.toMatchObject({ code: 'WAL_IO' })
    await expect(wal.append([payload(3)])).rejects.toMatchObject({ code: 'WAL_FAILED' })
  })
})
