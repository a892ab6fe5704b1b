/** Crash-test child: appends to the WAL in `argv[2]` forever and prints each record after its append resolved. */

// Output, one line per durable fact, written only after the promise resolved:
//   A <seq> <id>   record <id> is durable at <seq>
//   T <seq>        about to call truncateThrough(<seq>): printed before the call, because a kill while it runs
//                  may already have deleted records up to <seq>
// The parent kills this process with SIGKILL at a random moment and checks the log against these lines.

import { Wal } from '../../src/wal/wal.ts'

const dir = process.argv[2]!
const tag = process.argv[3]!
const wal = await Wal.open(dir, { segmentBytes: 16 * 1024 })
const out = (line: string): void => {
  process.stdout.write(`${line}\n`)
}

let counter = 0
let appended = 0
let lastAcked = 0n

async function appender(): Promise<never> {
  for (;;) {
    const n = 1 + Math.floor(Math.random() * 3)
    const ids = Array.from({ length: n }, () => `${tag}-${counter++}`)
    const payloads = ids.map((id) => new TextEncoder().encode(id.padEnd(20 + Math.floor(Math.random() * 600), '.')))
    const { firstSeq } = await wal.append(payloads)
    out(ids.map((id, i) => `A ${firstSeq + BigInt(i)} ${id}`).join('\n'))
    if (firstSeq + BigInt(n - 1) > lastAcked) lastAcked = firstSeq + BigInt(n - 1)
    if (++appended % 64 === 0 && lastAcked > 200n) {
      const through = lastAcked - 200n
      await Bun.write(Bun.stdout, `T ${through}\n`) // in the pipe before any segment is deleted
      await wal.truncateThrough(through)
    }
  }
}

await Promise.all(Array.from({ length: 8 }, appender))
