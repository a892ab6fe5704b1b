/** flock(2) through bun:ffi: Bun has no file-lock API of its own (HOST-ONLY, Linux and macOS). */
import { dlopen, FFIType } from 'bun:ffi'
import { closeSync, constants, openSync } from 'node:fs'
import type { TryLockFile } from '../../worker/dir-lock.ts'

const LOCK_EX = 2
const LOCK_NB = 4

let flock: ((fd: number, operation: number) => number) | undefined

function libcFlock(): (fd: number, operation: number) => number {
  if (!flock) {
    const library = process.platform === 'darwin' ? 'libc.dylib' : 'libc.so.6'
    const libc = dlopen(library, { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } })
    flock = (fd, operation) => libc.symbols.flock(fd, operation)
  }
  return flock
}

/** Non-blocking exclusive flock; -1 from flock means another open file holds it (EWOULDBLOCK). */
export const tryLockFile: TryLockFile = (path) => {
  // O_CREAT without O_TRUNC: the holder's text must survive a failed attempt.
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644)
  if (libcFlock()(fd, LOCK_EX | LOCK_NB) !== 0) {
    closeSync(fd)
    return undefined
  }
  return { release: () => closeSync(fd) }
}
