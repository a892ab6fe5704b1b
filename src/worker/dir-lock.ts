/**
 * One worker per WAL directory (HOST-ONLY). Two workers appending to and truncating one WAL lose
 * acknowledged records: each truncates what it committed, including segments the other still
 * needs. The guard is an OS advisory lock (flock) on `<dir>/LOCK`, held for the life of the
 * process: the kernel drops it when the process dies, so a kill -9 never leaves a stale lock
 * (which a pid file would). The file's text names the holder, for the refusal message only.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { IngestError } from '../errors.ts'

/** A held lock: release() gives it up (closing the file); process exit does the same. */
export interface HeldLock {
  release(): void
}

/**
 * The runtime's non-blocking exclusive lock on `path` (created when missing, never truncated
 * before it is held): the lock when acquired, `undefined` when another process holds it.
 */
export type TryLockFile = (path: string) => HeldLock | undefined

export const LOCK_FILE = 'LOCK'

/** Another live process holds the directory (code DIR_LOCKED). */
export class DirLockedError extends IngestError {
  constructor(dir: string, holder: string) {
    super(
      'DIR_LOCKED',
      `WAL directory ${dir} is in use by another worker (${holder}); one worker per data dir: stop that worker, or give this one its own INGEST_DATA_DIR (or wal.dir)`,
      { context: { dir } },
    )
  }
}

/**
 * Takes the directory's lock and writes this process into it. Throws DirLockedError (DIR_LOCKED)
 * naming the holder's pid when another process has it.
 */
export function lockDirectory(dir: string, tryLock: TryLockFile, pid: number): HeldLock {
  const path = join(dir, LOCK_FILE)
  const held = tryLock(path)
  if (!held) throw new DirLockedError(dir, holderOf(path))
  // Written through a second descriptor: flock belongs to the first one's open file, which stays open.
  // No host name: Deno asks for --allow-sys to read it, and a flock is only meaningful on one host anyway.
  // Best effort: the text only names the holder in another worker's refusal; a full disk must not stop a start.
  try {
    writeFileSync(path, `pid ${pid} since ${new Date().toISOString()}\n`)
  } catch (error) {
    // The lock itself is held; a second worker's refusal will say "pid not yet written".
    const code = (error as { code?: string }).code
    if (code !== 'ENOSPC' && code !== 'EDQUOT') throw error
  }
  return held
}

function holderOf(path: string): string {
  try {
    const text = readFileSync(path, 'utf8').trim()
    // Empty only in the moment between the holder's lock and its write.
    return text === '' ? 'pid not yet written' : text
  } catch (error) {
    return `holder unknown: ${(error as Error).message}`
  }
}
