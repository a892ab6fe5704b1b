/** Crash simulation: a child appending in a loop is SIGKILLed at random moments; every acknowledged record must survive. */

import { afterAll, expect, test } from 'bun:test'
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Wal } from '../../src/wal/wal.ts'

const dir = mkdtempSync(join(tmpdir(), 'wal-crash-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const ROUNDS = 8

/**
 * SIGKILL leaves the page cache intact, so it never tears a write. Half of the rounds add what a power cut
 * during an unacknowledged write could leave at the end of the newest segment: a frame header whose payload
 * is cut short, or garbage. Returns the bytes added.
 */
function tearNewestSegment(): number {
  const newest = readdirSync(dir).filter((f) => f.endsWith('.wal')).sort().at(-1)!
  const header = Math.random() < 0.5
  // A header-shaped tail needs its 4 length bytes; garbage may be a single byte.
  const tail = new Uint8Array((header ? 4 : 1) + Math.floor(Math.random() * 600))
  if (header) {
    new DataView(tail.buffer).setUint32(0, tail.length + 100, true) // plausible length, payload missing
  } else {
    crypto.getRandomValues(tail)
  }
  appendFileSync(join(dir, newest), tail)
  return tail.length
}

/** Runs the child until it has acknowledged something, then kills it after a random delay; returns its complete lines. */
async function runAndKill(round: number): Promise<string[]> {
  const child = Bun.spawn(['bun', join(import.meta.dir, 'crash-child.ts'), dir, `r${round}`], { stdout: 'pipe', stderr: 'inherit' })
  const reader = child.stdout.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let killAt: number | undefined
  for (;;) {
    if (killAt === undefined && text.includes('\n')) {
      killAt = Date.now() + Math.random() * 150
      setTimeout(() => child.kill('SIGKILL'), killAt - Date.now())
    }
    const { done, value } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
  }
  expect(await child.exited).not.toBe(0) // it was killed, it did not crash or finish on its own
  expect(child.signalCode).toBe('SIGKILL')
  // A line cut by the kill was never fully reported: only complete lines count.
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean)
}

test(
  'after SIGKILL at random moments, every acknowledged record is present once, in strictly increasing seq order',
  async () => {
    const acked = new Map<bigint, string>()
    let truncatedThrough = 0n
    let totalAcked = 0
    for (let round = 0; round < ROUNDS; round++) {
      for (const line of await runAndKill(round)) {
        const [kind, seq, id] = line.split(' ')
        if (kind === 'A') acked.set(BigInt(seq!), id!)
        else if (kind === 'T' && BigInt(seq!) > truncatedThrough) truncatedThrough = BigInt(seq!)
        else if (kind !== 'T') throw new Error(`unexpected child output: ${line}`)
      }
      totalAcked = acked.size
      const torn = round % 2 === 1 ? tearNewestSegment() : 0

      const wal = await Wal.open(dir, { log: (line) => process.env.WAL_CRASH_VERBOSE && console.log(line) })
      const found = new Map<bigint, string>()
      const ids = new Set<string>()
      let previous = -1n
      for await (const r of wal.replay(0n)) {
        expect(r.seq).toBeGreaterThan(previous)
        if (previous >= 0n) expect(r.seq).toBe(previous + 1n) // no corruption here, so no gaps either
        previous = r.seq
        const id = new TextDecoder().decode(r.payload).replace(/\.+$/, '')
        expect(ids.has(id)).toBe(false)
        ids.add(id)
        found.set(r.seq, id)
      }
      for (const [seq, id] of acked) {
        if (seq > truncatedThrough) expect(found.get(seq)).toBe(id)
      }
      expect(wal.lastSeq).toBeGreaterThanOrEqual(previous)
      expect(wal.recovery.truncatedBytes).toBeGreaterThanOrEqual(torn)
      await wal.close()
    }
    expect(totalAcked).toBeGreaterThan(ROUNDS * 10)
  },
  60_000,
)
