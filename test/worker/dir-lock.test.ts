/** One worker per WAL directory: a real flock, held by a real second process, released when it dies. */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DirLockedError, lockDirectory, LOCK_FILE } from '../../src/worker/dir-lock.ts'
import { tryLockFile } from '../../src/adapter/bun/dir-lock.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'dir-lock-'))
  dirs.push(dir)
  return dir
}

const HOLDER = `
import { lockDirectory } from ${JSON.stringify(join(import.meta.dir, '../../src/worker/dir-lock.ts'))}
import { tryLockFile } from ${JSON.stringify(join(import.meta.dir, '../../src/adapter/bun/dir-lock.ts'))}
lockDirectory(process.argv[2], tryLockFile, process.pid)
console.log('locked')
await Bun.sleep(60_000)
`

describe('lockDirectory', () => {
  test('a second lock on the directory is refused while the first is held, and granted once it is released', () => {
    const dir = tempDir()
    const held = lockDirectory(dir, tryLockFile, 4242)
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toStartWith('pid 4242 since ')
    let refused: unknown
    try {
      lockDirectory(dir, tryLockFile, 4343)
    } catch (error) {
      refused = error
    }
    expect(refused).toBeInstanceOf(DirLockedError)
    expect((refused as DirLockedError).code).toBe('DIR_LOCKED')
    expect((refused as Error).message).toContain(`WAL directory ${dir} is in use by another worker (pid 4242 since `)
    // The refused attempt did not clobber the holder's line.
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toStartWith('pid 4242 since ')
    held.release()
    lockDirectory(dir, tryLockFile, 4343).release()
  })

  test("another process's lock names its pid, and dies with it (kill -9 leaves no stale lock)", async () => {
    const dir = tempDir()
    const script = join(dir, 'holder.ts')
    await Bun.write(script, HOLDER)
    const holder = Bun.spawn(['bun', script, dir], { stdout: 'pipe', stderr: 'inherit' })
    try {
      const reader = holder.stdout.getReader()
      expect(new TextDecoder().decode((await reader.read()).value)).toContain('locked')
      expect(() => lockDirectory(dir, tryLockFile, process.pid)).toThrow(`(pid ${holder.pid} since `)
    } finally {
      holder.kill(9)
      await holder.exited
    }
    lockDirectory(dir, tryLockFile, process.pid).release()
  })
})
