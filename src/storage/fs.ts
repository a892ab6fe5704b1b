/** ObjectStore on a local directory (host-only): atomic puts via temp file + fsync + rename, keys confined to the root. */
import { mkdir, open, readdir, realpath, rename, rm, stat, unlink } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path'
import { NotFoundError, StorageError } from '../errors.ts'
import { checkKey, checkPrefix, checkRange, compareKeys, type ObjectInfo, type ObjectStore } from './object-store.ts'

/** Temp files of puts in progress (or of a crash mid-put); never listed. */
const TEMP_NAME = /^\..+\.[0-9a-f]{16}\.tmp$/

function errno(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined
}

const ABSENT = new Set(['ENOENT', 'ENOTDIR'])

/** realpath of the nearest existing ancestor, with the missing tail appended: where `path` would resolve. */
async function wouldResolveTo(path: string): Promise<string> {
  const tail: string[] = []
  for (let head = path; ; head = dirname(head)) {
    try {
      return join(await realpath(head), ...tail.reverse())
    } catch (error) {
      if (!ABSENT.has(errno(error) ?? '') || dirname(head) === head) throw error
      tail.push(basename(head))
    }
  }
}

function tempName(path: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  return join(dirname(path), `.${basename(path)}.${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}.tmp`)
}

/**
 * An ObjectStore rooted at `file://<absolute rootDir>`; the directory is created on first put.
 * Errors: PATH_ESCAPE (StorageError) for keys that are absolute, contain `..` or NUL, or resolve
 * (through symlinks too) outside the root; INVALID_KEY for other malformed keys; NOT_FOUND from
 * get; INVALID_RANGE; STORAGE wrapping the operating system's error otherwise. A key cannot name
 * both an object and a directory (`a` and `a/b`), unlike S3. Symlinks are not listed.
 */
export function createFsStore(rootDir: string): ObjectStore {
  const rootPath = resolve(rootDir)
  const root = `file://${rootPath === sep ? '' : rootPath}`
  const location = (key: string): string => `${root}/${key}`
  const escape = (key: string): StorageError =>
    new StorageError(`key ${JSON.stringify(key)} escapes ${root}`, { code: 'PATH_ESCAPE', context: { key, root } })
  const failure = (op: string, key: string, cause: unknown): StorageError =>
    new StorageError(`fs ${op} ${location(key)} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
      context: { location: location(key), errno: errno(cause) },
    })

  /** Lexical confinement first (no I/O), then the rules shared with the other stores. */
  const pathOf = (key: string): string => {
    if (isAbsolute(key) || key.includes('\0') || key.split('/').includes('..')) throw escape(key)
    checkKey(key)
    const path = resolve(rootPath, key)
    if (!path.startsWith(rootPath + sep)) throw escape(key)
    return path
  }

  /** Symlinked directories or files may point anywhere; what the path really reaches must be inside. */
  const confine = async (key: string, path: string): Promise<void> => {
    const [real, realRoot] = await Promise.all([wouldResolveTo(path), wouldResolveTo(rootPath)])
    if (real !== realRoot && !real.startsWith(realRoot + sep)) throw escape(key)
  }

  const head = async (key: string): Promise<ObjectInfo | undefined> => {
    const path = pathOf(key)
    try {
      await confine(key, path)
      const info = await stat(path)
      return info.isFile() ? { key, size: info.size, lastModified: info.mtime } : undefined
    } catch (error) {
      if (ABSENT.has(errno(error) ?? '')) return undefined
      throw error instanceof StorageError ? error : failure('head', key, error)
    }
  }

  return {
    root,

    async get(key, range) {
      const path = pathOf(key)
      await confine(key, path).catch((error: unknown) => {
        throw error instanceof StorageError ? error : failure('get', key, error)
      })
      let handle
      try {
        handle = await open(path, 'r')
      } catch (error) {
        if (ABSENT.has(errno(error) ?? '')) throw new NotFoundError(location(key))
        throw failure('get', key, error)
      }
      try {
        const info = await handle.stat()
        if (!info.isFile()) throw new NotFoundError(location(key))
        if (range) checkRange(range, info.size, location(key))
        const offset = range?.offset ?? 0
        const bytes = new Uint8Array(range?.length ?? info.size)
        // read() may return fewer bytes than asked; loop until the buffer is full.
        for (let filled = 0; filled < bytes.byteLength; ) {
          const { bytesRead } = await handle.read(bytes, filled, bytes.byteLength - filled, offset + filled)
          if (bytesRead === 0) throw new StorageError(`fs get ${location(key)}: file shrank while reading`, { context: { location: location(key) } })
          filled += bytesRead
        }
        return bytes
      } catch (error) {
        throw error instanceof StorageError ? error : failure('get', key, error)
      } finally {
        await handle.close()
      }
    },

    async put(key, body) {
      const path = pathOf(key)
      const temp = tempName(path)
      try {
        await confine(key, dirname(path))
        await mkdir(dirname(path), { recursive: true })
        const handle = await open(temp, 'wx')
        try {
          await handle.writeFile(body)
          // Data reaches the disk before the rename publishes it: a crash leaves the old object or the new, never a torn one.
          await handle.sync()
        } finally {
          await handle.close()
        }
        await rename(temp, path)
        // Persist the directory entry too, so a committed metadata file survives power loss.
        const dir = await open(dirname(path), 'r')
        try {
          await dir.sync()
        } finally {
          await dir.close()
        }
      } catch (error) {
        await rm(temp, { force: true })
        throw error instanceof StorageError ? error : failure('put', key, error)
      }
    },

    head,

    async *list(prefix) {
      if (isAbsolute(prefix) || prefix.split('/').slice(0, -1).includes('..')) throw escape(prefix)
      checkPrefix(prefix)
      const start = resolve(rootPath, prefix.slice(0, prefix.lastIndexOf('/') + 1))
      if (start !== rootPath && !start.startsWith(rootPath + sep)) throw escape(prefix)
      const keys: string[] = []
      const walk = async (dir: string, keyPrefix: string): Promise<void> => {
        let entries
        try {
          entries = await readdir(dir, { withFileTypes: true })
        } catch (error) {
          if (ABSENT.has(errno(error) ?? '')) return
          throw failure('list', prefix, error)
        }
        for (const entry of entries) {
          const key = keyPrefix + entry.name
          // Descend only where keys under the prefix can be.
          if (entry.isDirectory() && (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`))) await walk(join(dir, entry.name), `${key}/`)
          else if (entry.isFile() && !TEMP_NAME.test(entry.name) && key.startsWith(prefix)) keys.push(key)
        }
      }
      await confine(prefix, start)
      await walk(start, start === rootPath ? '' : `${start.slice(rootPath.length + 1)}/`)
      keys.sort(compareKeys)
      for (const key of keys) {
        // Deleted since the walk: skip, as S3 would not list it either.
        const info = await head(key)
        if (info) yield info
      }
    },

    async delete(key) {
      const path = pathOf(key)
      try {
        // The parent must really be inside: unlink through a symlinked directory would delete elsewhere.
        await confine(key, dirname(path))
        await unlink(path)
      } catch (error) {
        // Absent, or a directory (not an object): nothing to delete. Empty directories stay, since a
        // concurrent put may be about to write into them.
        if (ABSENT.has(errno(error) ?? '') || errno(error) === 'EISDIR') return
        throw error instanceof StorageError ? error : failure('delete', key, error)
      }
    },
  }
}
