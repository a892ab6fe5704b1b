/** The fs store beyond the shared contract: confinement to the root (lexical and through symlinks), atomic puts, root URI. */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFsStore } from '../../src/storage/fs.ts'
import type { ObjectStore } from '../../src/storage/object-store.ts'
import { errorOf } from './s3-fakes.ts'

let base: string
let rootDir: string
let store: ObjectStore
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'fs-store-'))
  rootDir = join(base, 'root')
  store = createFsStore(rootDir)
})
afterEach(async () => {
  await rm(base, { recursive: true, force: true })
})

describe('fs store', () => {
  test('root is file:// plus the absolute directory; the directory is created on first put', async () => {
    expect(store.root).toBe(`file://${rootDir}`)
    expect(createFsStore(`${rootDir}/`).root).toBe(`file://${rootDir}`)
    expect(await store.head('a')).toBeUndefined()
    expect(await Array.fromAsync(store.list(''))).toEqual([])
    await store.put('x/y/z.bin', bytes('deep'))
    expect(await readdir(join(rootDir, 'x', 'y'))).toEqual(['z.bin'])
  })

  test('keys that leave the root are PATH_ESCAPE, for every operation', async () => {
    const escaping = ['../outside', 'a/../../outside', '/etc/passwd', 'nul\0byte']
    for (const key of escaping) {
      for (const call of [() => store.put(key, bytes('x')), () => store.get(key), () => store.head(key), () => store.delete(key)]) {
        expect((await errorOf(call())).code).toBe('PATH_ESCAPE')
      }
    }
    expect((await errorOf(Array.fromAsync(store.list('../')))).code).toBe('PATH_ESCAPE')
    expect(await readdir(base)).toEqual([])
  })

  test('a symlinked directory pointing outside the root is PATH_ESCAPE; one pointing inside works', async () => {
    const outside = join(base, 'outside')
    await mkdir(outside)
    await writeFile(join(outside, 'secret.txt'), 'do not read')
    await mkdir(join(rootDir, 'real'), { recursive: true })
    await symlink(outside, join(rootDir, 'out'))
    await symlink(join(rootDir, 'real'), join(rootDir, 'in'))
    expect((await errorOf(store.get('out/secret.txt'))).code).toBe('PATH_ESCAPE')
    expect((await errorOf(store.head('out/secret.txt'))).code).toBe('PATH_ESCAPE')
    expect((await errorOf(store.put('out/new.txt', bytes('x')))).code).toBe('PATH_ESCAPE')
    expect((await errorOf(store.delete('out/secret.txt'))).code).toBe('PATH_ESCAPE')
    expect(await readdir(outside)).toEqual(['secret.txt'])
    await store.put('in/ok.txt', bytes('inside'))
    expect(new TextDecoder().decode(await store.get('real/ok.txt'))).toBe('inside')
  })

  test('put leaves no temp file behind, and temp files of interrupted puts are not listed', async () => {
    await store.put('d/file.bin', bytes('v1'))
    await store.put('d/file.bin', bytes('v2'))
    expect(await readdir(join(rootDir, 'd'))).toEqual(['file.bin'])
    // What a crash between write and rename leaves.
    await writeFile(join(rootDir, 'd', '.file2.bin.0123456789abcdef.tmp'), 'partial')
    expect((await Array.fromAsync(store.list('d/'))).map((o) => o.key)).toEqual(['d/file.bin'])
  })

  test('concurrent puts of one key never expose a torn object', async () => {
    const a = new Uint8Array(1 << 20).fill(1)
    const b = new Uint8Array(1 << 20).fill(2)
    const writes = Array.from({ length: 10 }, (_, i) => store.put('race.bin', i % 2 === 0 ? a : b))
    const reads: Uint8Array[] = []
    for (let i = 0; i < 10; i++) reads.push(await store.get('race.bin').catch(() => new Uint8Array(0)))
    await Promise.all(writes)
    for (const read of [...reads, await store.get('race.bin')]) {
      if (read.byteLength === 0) continue
      expect(read.byteLength).toBe(1 << 20)
      expect(read.every((v) => v === read[0])).toBe(true)
    }
  })

  test('a directory is not an object: head undefined, get NOT_FOUND, delete a no-op', async () => {
    await store.put('dir/child', bytes('c'))
    expect(await store.head('dir')).toBeUndefined()
    expect((await errorOf(store.get('dir'))).code).toBe('NOT_FOUND')
    await store.delete('dir')
    expect(await store.head('dir/child')).toBeDefined()
  })

  test('list only walks below the prefix directory and reports sizes', async () => {
    await store.put('t/data/a.parquet', bytes('aaa'))
    await store.put('t/data/b.parquet', bytes('b'))
    await store.put('t/metadata/v1.json', bytes('{}'))
    const listed = await Array.fromAsync(store.list('t/data/'))
    expect(listed.map((o) => [o.key, o.size])).toEqual([
      ['t/data/a.parquet', 3],
      ['t/data/b.parquet', 1],
    ])
  })
})
