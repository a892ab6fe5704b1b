/**
 * The WAL (src/wal, node:fs) as the pipeline's RecordLog, for the Bun and the Deno worker alike
 * (host-only). Opening it takes the directory's lock (dir-lock.ts) and checks the catalog the WAL
 * is bound to: records acknowledged for one catalog are replayed into that catalog only.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Config } from '../config/schema.ts'
import { IngestError } from '../errors.ts'
import type { RecordLog } from '../pipeline/record-log.ts'
import { decodeWalEntry } from '../pipeline/wal-entry.ts'
import { Wal } from '../wal/wal.ts'
import { syncDirectory } from '../wal/segment.ts'
import { catalogBinding, describeBinding, type CatalogBinding } from './catalog-binding.ts'
import { lockDirectory, type TryLockFile } from './dir-lock.ts'

export interface WalLogOptions {
  /** The runtime's file lock (src/adapter/bun/dir-lock.ts, src/adapter/deno/dir-lock.ts). */
  tryLock: TryLockFile
  /** Written into the lock file, for the message a second worker gets. */
  pid: number
  /** `--discard-wal`: drop every record the WAL holds before replay (and so rebind it to this config's catalog). */
  discard?: boolean
}

export type WorkerLog = RecordLog & {
  readonly dir: string
  /** The Idempotency-Key log beside the WAL (`<dir>/idempotency-keys/`): keys whose WAL entries were truncated. */
  readonly keys: RecordLog
  close(): Promise<void>
}

/** The key log is small; small segments let expired keys go promptly. */
const KEY_LOG_SEGMENT_BYTES = 1024 * 1024

/** The file that binds a WAL directory to one catalog + warehouse (JSON CatalogBinding). */
export const BINDING_FILE = 'wal.catalog.json'

/** The WAL holds records acknowledged for another catalog (code WAL_BOUND_ELSEWHERE). */
export class WalBoundElsewhereError extends IngestError {
  constructor(dir: string, bound: CatalogBinding, wanted: CatalogBinding, held: { entries: bigint; firstSeq: bigint; lastSeq: bigint }) {
    super(
      'WAL_BOUND_ELSEWHERE',
      `WAL ${dir} holds ${held.entries} entries (seqs ${held.firstSeq}–${held.lastSeq}) acknowledged for ${describeBinding(bound)}, ` +
        `not known to be committed there; this config writes to ${describeBinding(wanted)}. ` +
        `Start the worker once with the config of that catalog to drain them (a clean stop leaves the WAL empty), ` +
        `or start with --discard-wal to drop them`,
      { context: { dir } },
    )
  }
}

/** A WAL id that survives restarts but not a wiped directory (so a new WAL never looks committed). */
function walId(dir: string): string {
  const file = join(dir, 'wal.id')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  const id = crypto.randomUUID().replaceAll('-', '').slice(0, 16)
  writeFileSync(file, `${id}\n`)
  return id
}

function readBinding(dir: string): CatalogBinding | undefined {
  const file = join(dir, BINDING_FILE)
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CatalogBinding) : undefined
}

/** Replaced whole (write, rename, directory fsync): a crash leaves the old binding or the new one. */
async function writeBinding(dir: string, binding: CatalogBinding): Promise<void> {
  const file = join(dir, BINDING_FILE)
  writeFileSync(`${file}.tmp`, `${JSON.stringify(binding, null, 2)}\n`)
  renameSync(`${file}.tmp`, file)
  await syncDirectory(dir)
}

const sameBinding = (a: CatalogBinding, b: CatalogBinding) => a.catalog === b.catalog && a.warehouse === b.warehouse

/** Drops every record held (--discard-wal), saying how many requests' records for which tables. */
async function discardHeld(wal: Wal, log: (line: string) => void): Promise<void> {
  const held = wal.lastSeq - wal.firstSeq + 1n
  if (held <= 0n) {
    log(`--discard-wal: WAL ${wal.dir} holds no records; nothing dropped`)
    return
  }
  let records = 0
  let deadLetters = 0
  const tables = new Set<string>()
  for await (const { payload } of wal.replay(wal.firstSeq - 1n)) {
    const entry = decodeWalEntry(payload)
    records += entry.r.length
    deadLetters += entry.d.length
    tables.add(entry.t)
  }
  const range = `seqs ${wal.firstSeq}–${wal.lastSeq}`
  await wal.truncateThrough(wal.lastSeq)
  log(`--discard-wal: dropped ${records} records and ${deadLetters} dead letters for ${[...tables].join(', ')} (${held} WAL entries, ${range}) without committing them`)
}

/**
 * Binds the WAL to this config's catalog. A WAL holding records bound to another catalog is refused
 * (WalBoundElsewhereError) unless `discard`; an empty one simply follows the config.
 */
async function bindToCatalog(wal: Wal, keys: Wal, wanted: CatalogBinding, discard: boolean, log: (line: string) => void): Promise<void> {
  const bound = readBinding(wal.dir)
  if (discard) await discardHeld(wal, log)
  const entries = wal.lastSeq - wal.firstSeq + 1n
  if (bound && !sameBinding(bound, wanted) && entries > 0n) {
    throw new WalBoundElsewhereError(wal.dir, bound, wanted, { entries, firstSeq: wal.firstSeq, lastSeq: wal.lastSeq })
  }
  if (bound && sameBinding(bound, wanted)) return
  // A WAL from before bindings were recorded is taken to belong to the config that opens it.
  if (bound) {
    // Keys name requests answered for the other catalog's tables: a resend there is not one here.
    if (keys.lastSeq >= keys.firstSeq) await keys.truncateThrough(keys.lastSeq)
    log(`WAL ${wal.dir} is empty: now bound to ${describeBinding(wanted)} (was ${describeBinding(bound)}); its Idempotency-Keys are forgotten`)
  }
  await writeBinding(wal.dir, wanted)
}

/** A RecordLog over an open Wal. */
function recordLogOf(wal: Wal, id: string): RecordLog {
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
  }
}

/**
 * Opens (and recovers) the WAL under `config.wal.dir`, default `<dataDir>/wal`, holding its lock until close.
 * Throws DirLockedError (DIR_LOCKED), WalBoundElsewhereError (WAL_BOUND_ELSEWHERE), WalError (WAL_IO, WAL_CORRUPT).
 */
export async function openWalLog(config: Config, dataDir: string, log: (line: string) => void, options: WalLogOptions): Promise<WorkerLog> {
  const dir = resolve(config.wal.dir ?? join(dataDir, 'wal'))
  mkdirSync(dir, { recursive: true })
  const lock = lockDirectory(dir, options.tryLock, options.pid)
  let wal: Wal | undefined
  let keys: Wal | undefined
  try {
    const id = walId(dir)
    wal = await Wal.open(dir, { maxBytes: config.wal.maxBytes, segmentBytes: config.wal.segmentBytes, fsync: config.wal.fsync, log })
    keys = await Wal.open(join(dir, 'idempotency-keys'), { segmentBytes: KEY_LOG_SEGMENT_BYTES, fsync: config.wal.fsync, log })
    await bindToCatalog(wal, keys, catalogBinding(config), options.discard ?? false, log)
    const [records, keyLog] = [wal, keys]
    const close = async () => {
      try {
        await records.close()
        await keyLog.close()
      } finally {
        lock.release()
      }
    }
    // Not Object.assign: it would read the getters (lastSeq, bytes) once instead of copying them.
    return Object.defineProperties(recordLogOf(records, id), {
      dir: { value: dir, enumerable: true },
      keys: { value: recordLogOf(keyLog, `${id}-keys`), enumerable: true },
      close: { value: close, enumerable: true },
    }) as WorkerLog
  } catch (error) {
    // The error that stopped the open is the one to report; a failing close of a half-open log adds nothing.
    await wal?.close().catch(() => {})
    await keys?.close().catch(() => {})
    lock.release()
    throw error
  }
}
