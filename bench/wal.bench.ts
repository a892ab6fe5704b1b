/** WAL benchmark: appends/s and MB/s for 1 KB records at 1, 16 and 256 concurrent appenders, vs one fsync per record. */

// Usage: bun bench/wal.bench.ts [dir]   (dir defaults to a temp dir; put it on the disk you care about —
// a tmpfs makes fsync free and the figures meaningless). Prints medians; never passes or fails on time.

import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeFrames } from '../src/wal/frame.ts'
import { Wal } from '../src/wal/wal.ts'

const RECORD_BYTES = 1024
const RUN_MS = 1000
const RUNS = 5
const CONCURRENCY = [1, 16, 256]

const root = mkdtempSync(join(process.argv[2] ?? tmpdir(), 'wal-bench-'))
const payload = new Uint8Array(RECORD_BYTES).fill(0x61)
let runId = 0

interface Run {
  appendsPerSec: number
  fsyncsPerAppend: number
}

/** `concurrency` loops each awaiting one 1-record append at a time, for RUN_MS, on a fresh log. */
async function walRun(concurrency: number, fsync: boolean): Promise<Run> {
  const dir = join(root, `run-${runId++}`)
  const wal = await Wal.open(dir, { fsync })
  let appends = 0
  const start = performance.now()
  const deadline = start + RUN_MS
  const appender = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await wal.append([payload])
      appends++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, appender))
  const seconds = (performance.now() - start) / 1000
  const fsyncs = wal.stats.fsyncs
  await wal.close()
  rmSync(dir, { recursive: true, force: true })
  return { appendsPerSec: appends / seconds, fsyncsPerAppend: fsyncs / appends }
}

/** Baseline: the same frames, each written with its own write + fdatasync, one after another. */
function perRecordFsyncRun(): Run {
  const path = join(root, `baseline-${runId++}.wal`)
  const fd = openSync(path, 'w')
  let appends = 0
  let position = 0
  const start = performance.now()
  const deadline = start + RUN_MS
  while (performance.now() < deadline) {
    const frame = encodeFrames([{ seq: BigInt(appends + 1), payload }])
    writeSync(fd, frame, 0, frame.length, position)
    fdatasyncSync(fd)
    position += frame.length
    appends++
  }
  const seconds = (performance.now() - start) / 1000
  closeSync(fd)
  rmSync(path, { force: true })
  return { appendsPerSec: appends / seconds, fsyncsPerAppend: 1 }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

interface Case {
  label: string
  run: () => Promise<Run> | Run
}

const cases: Case[] = [
  { label: 'baseline: write + fdatasync per record', run: perRecordFsyncRun },
  ...CONCURRENCY.map((c) => ({ label: `wal group commit, ${c} appenders`, run: () => walRun(c, true) })),
  { label: 'wal fsync off, 256 appenders (ceiling)', run: () => walRun(256, false) },
]

// Round-robin: every round runs each case once, and ratios are taken against the baseline of the same
// round, so load from other processes on the machine shifts numerator and denominator together.
const runs: Run[][] = cases.map(() => [])
for (let round = 0; round < RUNS; round++) {
  for (const [i, c] of cases.entries()) runs[i]!.push(await c.run())
}
rmSync(root, { recursive: true, force: true })

console.log(`WAL bench: ${RECORD_BYTES} B records, ${RUNS} rounds × ${RUN_MS} ms per case, medians; dir ${process.argv[2] ?? tmpdir()}`)
console.log(`${'case'.padEnd(42)} ${'appends/s'.padStart(10)} ${'MB/s'.padStart(7)} ${'fsync/append'.padStart(13)} ${'× baseline'.padStart(11)}`)
for (const [i, c] of cases.entries()) {
  const own = runs[i]!
  const appendsPerSec = median(own.map((r) => r.appendsPerSec))
  const ratio = median(own.map((r, round) => r.appendsPerSec / runs[0]![round]!.appendsPerSec))
  const mbs = (appendsPerSec * RECORD_BYTES) / 1e6
  const fsyncs = median(own.map((r) => r.fsyncsPerAppend))
  console.log(
    `${c.label.padEnd(42)} ${appendsPerSec.toFixed(0).padStart(10)} ${mbs.toFixed(1).padStart(7)} ${fsyncs.toFixed(3).padStart(13)} ${ratio.toFixed(2).padStart(11)}`,
  )
}
