/** The WAL (src/wal, node:fs) as the pipeline's RecordLog, for the Bun and the Deno worker alike (host-only). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Config } from '../config/schema.ts'
import type { RecordLog } from '../pipeline/record-log.ts'
import { Wal } from '../wal/wal.ts'

/** A WAL id that survives restarts but not a wiped directory (so a new WAL never looks committed). */
function walId(dir: string): string {
  const file = join(dir, 'wal.id')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  const id = crypto.randomUUID().replaceAll('-', '').slice(0, 16)
  writeFileSync(file, `${id}\n`)
  return id
}

/** Opens (and recovers) the WAL under `config.wal.dir`, default `<dataDir>/wal`. Throws WalError (WAL_IO, WAL_CORRUPT). */
export async function openWalLog(config: Config, dataDir: string, log: (line: string) => void): Promise<RecordLog & { close(): Promise<void> }> {
  const dir = resolve(config.wal.dir ?? join(dataDir, 'wal'))
  mkdirSync(dir, { recursive: true })
  const id = walId(dir)
  const wal = await Wal.open(dir, { maxBytes: config.wal.maxBytes, segmentBytes: config.wal.segmentBytes, fsync: config.wal.fsync, log })
  return {
    id,
    append: (payloads) => wal.append(payloads),
    replay: (afterSeq) => wal.replay(afterSeq),
    truncateThrough: (seq) => wal.truncateThrough(seq),
    get lastSeq() {
      return wal.lastSeq
    },
    get bytes() {
      return wal.bytes
    },
    get segmentCount() {
      return wal.segmentCount
    },
    close: () => wal.close(),
  }
}
