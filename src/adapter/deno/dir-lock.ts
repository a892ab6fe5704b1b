/** Deno's own non-blocking file lock (flock on Unix, as the Bun worker's), so the two runtimes exclude each other. */
import type { TryLockFile } from '../../worker/dir-lock.ts'

interface DenoLockFile {
  tryLockSync(exclusive: boolean): boolean
  close(): void
}
declare const Deno: { openSync(path: string, options: { read: boolean; write: boolean; create: boolean }): DenoLockFile }

export const tryLockFile: TryLockFile = (path) => {
  const file = Deno.openSync(path, { read: true, write: true, create: true })
  if (!file.tryLockSync(true)) {
    file.close()
    return undefined
  }
  return { release: () => file.close() }
}
