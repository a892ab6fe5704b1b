/** WAL recovery on open: torn and corrupt tails are cut at the last whole record, reported, and seqs continue. */

import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Wal } from '../../src/wal/wal.ts'

const FRAME = 16 + 100
let dir: string
let lines: string[]

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wal-recovery-'))
  lines = []
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const payload = (n: number): Uint8Array => new Uint8Array(100).fill(n & 0xff)
const segment = (seq: bigint): string => join(dir, `${seq.toString().padStart(20, '0')}.wal`)
const open = (options: { segmentBytes?: number } = {}): Promise<Wal> =>
  Wal.open(dir, { ...options, log: (line) => lines.push(line) })

/** Writes records 1..n, one append each, and closes. */
async function seed(n: number, options: { segmentBytes?: number } = {}): Promise<void> {
  const wal = await open(options)
  for (let i = 1; i <= n; i++) await wal.append([payload(i)])
  await wal.close()
}

async function replayAll(wal: Wal, after = 0n): Promise<{ seq: bigint; first: number }[]> {
  const out: { seq: bigint; first: number }[] = []
  for await (const r of wal.replay(after)) out.push({ seq: r.seq, first: r.payload[0]! })
  return out
}

function flip(path: string, offset: number): void {
  const bytes = new Uint8Array(readFileSync(path))
  bytes[offset]! ^= 0x5a
  writeFileSync(path, bytes)
}

describe('Wal recovery', () => {
  test('a clean log opens with nothing cut and nothing logged', async () => {
    await seed(10)
    const wal = await open()
    expect(wal.recovery).toEqual({ segments: 1, records: 10, truncatedBytes: 0, lastSeq: 10n })
    expect(lines).toEqual([])
    await wal.close()
  })

  test('torn tail: cut at the last whole record, logged, and appends continue with the next seq', async () => {
    await seed(10)
    truncateSync(segment(1n), 10 * FRAME - 50) // mid-way through frame 10
    const wal = await open()
    expect(wal.recovery).toEqual({ segments: 1, records: 9, truncatedBytes: FRAME - 50, lastSeq: 9n })
    expect(statSync(segment(1n)).size).toBe(9 * FRAME)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('00000000000000000001.wal torn at offset 1044, cut 66 bytes')
    expect(await wal.append([payload(77)])).toEqual({ firstSeq: 10n, lastSeq: 10n })
    await wal.close()

    const again = await open()
    expect(again.recovery.truncatedBytes).toBe(0)
    const all = await replayAll(again)
    expect(all.map((r) => r.seq)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n])
    expect(all.at(-1)!.first).toBe(77)
    await again.close()
  })

  test('a corrupt byte in the last frame: that frame is cut', async () => {
    await seed(10)
    flip(segment(1n), 10 * FRAME - 50)
    const wal = await open()
    expect(wal.recovery).toMatchObject({ records: 9, truncatedBytes: FRAME, lastSeq: 9n })
    expect(lines[0]).toMatch(/corrupt at offset 1044, cut 116 bytes, kept 9 records \(frame at 1044: crc32c/)
    await wal.close()
  })

  test('a corrupt frame mid-segment: everything after it in the segment is cut and reported, its seqs never reused', async () => {
    await seed(10)
    flip(segment(1n), 4 * FRAME + 30) // payload of record 5
    const wal = await open()
    expect(wal.recovery).toMatchObject({ segments: 1, records: 4, truncatedBytes: 6 * FRAME, lastSeq: 4n })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('cut 696 bytes, kept 4 records, 5 checksummed records after it lost (seq up to 10)')
    // Seqs 5..10 were handed out before the crash (a batcher may hold them): the next record gets 11,
    // in a new segment named after it.
    expect(wal.lastSeq).toBe(10n)
    expect(await wal.append([payload(11)])).toEqual({ firstSeq: 11n, lastSeq: 11n })
    await wal.close()
    expect(readdirSync(dir).sort()).toEqual(['00000000000000000001.wal', '00000000000000000011.wal'])

    lines = []
    const again = await open()
    expect((await replayAll(again)).map((r) => r.seq)).toEqual([1n, 2n, 3n, 4n, 11n])
    expect(lines).toEqual([`wal ${dir}: seqs 5..10 missing before segment 00000000000000000011.wal`])
    expect(again.recovery.truncatedBytes).toBe(0)
    await again.close()
  })

  test('corruption in an older segment cuts only that segment; later segments are kept', async () => {
    await seed(12, { segmentBytes: 4 * FRAME }) // segments 1..4, 5..8, 9..12
    expect(readdirSync(dir)).toHaveLength(3)
    flip(segment(5n), 2 * FRAME + 8) // seq field of record 7
    const wal = await open({ segmentBytes: 4 * FRAME })
    expect(wal.recovery).toMatchObject({ segments: 3, records: 10, truncatedBytes: 2 * FRAME, lastSeq: 12n })
    expect((await replayAll(wal)).map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6, 9, 10, 11, 12])
    expect(await wal.append([payload(13)])).toEqual({ firstSeq: 13n, lastSeq: 13n })
    await wal.close()
  })

  test('a zero-filled tail (size reached disk, data did not) is cut', async () => {
    await seed(3)
    writeFileSync(segment(1n), new Uint8Array(4096), { flag: 'a' })
    const wal = await open()
    expect(wal.recovery).toMatchObject({ records: 3, truncatedBytes: 4096 })
    expect(lines[0]).toContain('length 0 outside')
    await wal.close()
  })

  test('overlapping segments refuse to open with WAL_CORRUPT', async () => {
    await seed(10)
    copyFileSync(segment(1n), segment(5n))
    await expect(open()).rejects.toMatchObject({ code: 'WAL_CORRUPT' })
  })
})
