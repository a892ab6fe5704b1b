/**
 * The WAL on a file system that fills up (a real ENOSPC from a small tmpfs, not a byte cap): appends that
 * found no room fail with WAL_DISK_FULL and leave nothing behind, every acknowledged one survives a reopen,
 * seqs stay gapless, and appends succeed again as soon as there is room — without reopening the log.
 * Needs permission to mount tmpfs (root); elsewhere the test is skipped and says why.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Wal } from '../../src/wal/wal.ts'
import { WalDiskFullError } from '../../src/wal/errors.ts'

const root = mkdtempSync(join(tmpdir(), 'wal-disk-full-'))
const mountPoint = join(root, 'mnt')

function tryMount(): string | undefined {
  Bun.spawnSync(['mkdir', '-p', mountPoint])
  const mount = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountPoint], { stderr: 'pipe' })
  return mount.exitCode === 0 ? undefined : mount.stderr.toString().trim() || `mount exited ${mount.exitCode}`
}
const mountProblem = tryMount()
if (mountProblem) console.warn(`wal disk-full test skipped: cannot mount a tmpfs at ${mountPoint} (${mountProblem})`)

afterAll(() => {
  if (!mountProblem) Bun.spawnSync(['umount', '--lazy', mountPoint]) // lazy: a failed test may leave a segment open
  rmSync(root, { recursive: true, force: true })
})

const payload = (i: number) => new TextEncoder().encode(`record ${i} `.padEnd(2000, 'x'))

describe.skipIf(mountProblem !== undefined)('WAL on a full disk', () => {
  let dir: string
  beforeAll(() => {
    dir = join(mountPoint, 'wal')
  })

  test('refuses what does not fit, keeps what it acknowledged, and resumes when space returns', async () => {
    const lines: string[] = []
    const wal = await Wal.open(dir, { segmentBytes: 96 * 1024, log: (line) => void lines.push(line) })
    const acknowledged = new Map<bigint, number>()
    let refused = 0
    let next = 0
    // Concurrent appends, so group commits carry several and some wait behind a write that fails.
    while (refused < 20) {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => {
          const i = next++
          return wal.append([payload(i)]).then(({ firstSeq }) => acknowledged.set(firstSeq, i))
        }),
      )
      for (const result of results) {
        if (result.status === 'fulfilled') continue
        expect(result.reason).toBeInstanceOf(WalDiskFullError)
        expect((result.reason as WalDiskFullError).code).toBe('WAL_DISK_FULL')
        expect((result.reason as WalDiskFullError).retryable).toBe(true)
        refused++
      }
      if (refused) await Bun.sleep(300) // past the pause, so each round really tries the disk
    }
    expect(acknowledged.size).toBeGreaterThan(100)
    const seqs = [...acknowledged.keys()].sort((a, b) => (a < b ? -1 : 1))
    expect(seqs[0]).toBe(1n)
    expect(seqs.at(-1)).toBe(BigInt(seqs.length)) // gapless: no refused append took a seq
    expect(wal.lastSeq).toBe(BigInt(seqs.length))
    expect(lines.filter((l) => l.includes('disk full writing seq'))).toHaveLength(1)

    // Space returns (the batcher committed and truncated): the same open log takes appends again.
    const freed = await wal.truncateThrough(wal.lastSeq - 10n)
    expect(freed).toBeGreaterThan(0)
    await Bun.sleep(300)
    const after = await wal.append([payload(next)])
    expect(after.firstSeq).toBe(BigInt(seqs.length) + 1n)
    acknowledged.set(after.firstSeq, next)
    expect(lines.some((l) => l.includes('the disk has room again'))).toBe(true)
    await wal.close()

    // Everything acknowledged and not truncated is there after a reopen, in order, with its content.
    const reopened = await Wal.open(dir)
    const replayed: [bigint, string][] = []
    for await (const record of reopened.replay(reopened.firstSeq - 1n)) replayed.push([record.seq, new TextDecoder().decode(record.payload).replace(/x+$/, '')])
    const expected = [...acknowledged].filter(([seq]) => seq >= reopened.firstSeq).sort(([a], [b]) => (a < b ? -1 : 1))
    expect(replayed.length).toBeGreaterThan(10)
    expect(replayed.map(([seq]) => seq)).toEqual(expected.map(([seq]) => seq))
    expect(replayed.map(([, text]) => text)).toEqual(expected.map(([, i]) => `record ${i} `))
    await reopened.close()
    rmSync(dir, { recursive: true })
  })

  test('a filler file taking the last bytes: refused while it is there, accepted once it is gone', async () => {
    const other = join(mountPoint, 'wal-2')
    const wal = await Wal.open(other, { segmentBytes: 64 * 1024 })
    await wal.append([payload(0)])
    const filler = join(mountPoint, 'filler')
    // Fill what is left: write until the file system says no.
    const chunk = new Uint8Array(4096)
    try {
      for (let i = 0; i < 1024; i++) writeFileSync(filler, chunk, { flag: 'a' })
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC')
    }
    // tmpfs hands out whole pages: the segment's last page may still take a record or two.
    let refused: unknown
    let written = 1
    for (let i = 1; i <= 3 && refused === undefined; i++) {
      await wal.append([payload(i)]).then(
        () => void written++,
        (error: unknown) => void (refused = error),
      )
    }
    expect(refused).toBeInstanceOf(WalDiskFullError)
    rmSync(filler)
    await Bun.sleep(300)
    const seq = BigInt(written + 1)
    expect(await wal.append([payload(9)])).toEqual({ firstSeq: seq, lastSeq: seq })
    await wal.close()
    const reopened = await Wal.open(other)
    const seqs: bigint[] = []
    for await (const record of reopened.replay(0n)) seqs.push(record.seq)
    expect(seqs).toEqual(Array.from({ length: written + 1 }, (_, i) => BigInt(i + 1)))
    await reopened.close()
  })
})
