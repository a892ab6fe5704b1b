/**
 * A truncated segment leaves the log at once (renamed `<name>.deleting`, never replayed) and its
 * blocks are released after, in steps, outside the appends' chain: appends go on while it happens,
 * close waits for it, and a file a crash left half-released is removed at the next open.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { releaseFile } from '../../src/wal/segment.ts'
import { Wal } from '../../src/wal/wal.ts'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wal-release-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const files = () => readdirSync(dir).sort()
const payload = (bytes: number, n: number) => new Uint8Array(bytes).fill(n & 0xff)

describe('releasing truncated segments', () => {
  test('out of the log at once, released in the background while appends go on, gone when close returns', async () => {
    // 1 MiB records in 8 MiB segments: each truncation releases several 4 MiB steps.
    const wal = await Wal.open(dir, { segmentBytes: 8 * 1024 * 1024 })
    for (let i = 1; i <= 20; i++) await wal.append([payload(1024 * 1024, i)])
    const before = files()
    expect(before.length).toBeGreaterThan(2)
    expect(await wal.truncateThrough(14n)).toBeGreaterThan(0)
    // The rename is done when truncateThrough returns: no truncated segment is left under its name.
    const after = files()
    expect(after.filter((name) => name.endsWith('.wal')).every((name) => !before.slice(0, 2).includes(name))).toBe(true)
    // Appends are not held behind the release.
    expect(await wal.append([payload(1024, 21)])).toEqual({ firstSeq: 21n, lastSeq: 21n })
    const replayed: bigint[] = []
    for await (const record of wal.replay(0n)) replayed.push(record.seq)
    expect(replayed[0]).toBeGreaterThan(1n)
    expect(replayed.at(-1)).toBe(21n)
    await wal.close()
    expect(files().filter((name) => name.endsWith('.deleting'))).toEqual([])
  })

  test('a half-released file a crash left is removed at open and never replayed', async () => {
    const wal = await Wal.open(dir)
    for (let i = 1; i <= 3; i++) await wal.append([payload(100, i)])
    await wal.close()
    // As if a crash came between the rename and the unlink (its bytes do not matter: a retired file is never read).
    const [segment] = files()
    writeFileSync(join(dir, `00000000000000000000.wal.deleting`), new Uint8Array(4096))
    writeFileSync(join(dir, `notes.deleting`), 'not ours')
    const again = await Wal.open(dir)
    expect(files()).toEqual([segment!, 'notes.deleting'])
    const replayed: bigint[] = []
    for await (const record of again.replay(0n)) replayed.push(record.seq)
    expect(replayed).toEqual([1n, 2n, 3n])
    await again.close()
  })

  test('releaseFile frees a file in steps and removes it', async () => {
    const path = join(dir, 'big.deleting')
    writeFileSync(path, new Uint8Array(10 * 1024 * 1024 + 123))
    expect(statSync(path).size).toBe(10 * 1024 * 1024 + 123)
    await releaseFile(path, 10 * 1024 * 1024 + 123)
    expect(files()).toEqual([])
  })
})
