/** One ObjectStore contract, run against the memory store, the fs store (temp dir) and S3 (the stack's SigV4-checking server). */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AwsCredentials } from '../../src/auth/sigv4.ts'
import { StorageError } from '../../src/errors.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { createMemoryStore } from '../../src/storage/memory.ts'
import type { ObjectInfo, ObjectStore } from '../../src/storage/object-store.ts'
import { createS3Store, type S3StoreOptions } from '../../src/storage/s3/index.ts'
import { errorOf } from '../storage/s3-fakes.ts'
import { stackEnv } from '../e2e/stack-env.ts'

// Real services on a 2-core machine: far beyond bun's 5 s default (set per file: bun applies it to the calling file only).
setDefaultTimeout(120_000)

interface Fixture {
  store: ObjectStore
  /** "METHOD path?query" of every HTTP request, for stores that make them. */
  requests?: string[]
  cleanup(): Promise<void>
}

const MiB = 1024 * 1024
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const str = (b: Uint8Array): string => new TextDecoder().decode(b)

async function collect(iterable: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = []
  for await (const info of iterable) out.push(info)
  return out
}

/** Bytes that differ at every offset modulo a prime, so a misplaced part or range shows. */
function patterned(size: number): Uint8Array {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >>> 13)) % 251
  return bytes
}

function objectStoreContract(name: string, setup: () => Promise<Fixture>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let fixture: Fixture
    let store: ObjectStore
    beforeAll(async () => {
      fixture = await setup()
      store = fixture.store
    })
    afterAll(async () => {
      await fixture?.cleanup()
    })

    test('put then get returns the bytes; later changes to the caller buffer do not leak in', async () => {
      const body = text('hello, iceberg')
      await store.put('basic/hello.txt', body, { contentType: 'text/plain' })
      body[0] = 0
      expect(str(await store.get('basic/hello.txt'))).toBe('hello, iceberg')
    })

    test('put overwrites', async () => {
      await store.put('basic/over.bin', text('first version'))
      await store.put('basic/over.bin', text('second'))
      expect(str(await store.get('basic/over.bin'))).toBe('second')
      expect((await store.head('basic/over.bin'))?.size).toBe(6)
    })

    test('empty object', async () => {
      await store.put('basic/empty', new Uint8Array(0))
      expect((await store.get('basic/empty')).byteLength).toBe(0)
      expect((await store.head('basic/empty'))?.size).toBe(0)
    })

    test('ranged get: start, middle, end, zero-length; past the end is INVALID_RANGE', async () => {
      await store.put('range/digits', text('0123456789'))
      expect(str(await store.get('range/digits', { offset: 0, length: 3 }))).toBe('012')
      expect(str(await store.get('range/digits', { offset: 4, length: 2 }))).toBe('45')
      expect(str(await store.get('range/digits', { offset: 7, length: 3 }))).toBe('789')
      expect((await store.get('range/digits', { offset: 10, length: 0 })).byteLength).toBe(0)
      expect((await errorOf(store.get('range/digits', { offset: 8, length: 5 }))).code).toBe('INVALID_RANGE')
      expect((await errorOf(store.get('range/digits', { offset: 20, length: 1 }))).code).toBe('INVALID_RANGE')
      expect((await errorOf(store.get('range/digits', { offset: -1, length: 1 }))).code).toBe('INVALID_RANGE')
    })

    test('head reports size and modification time; absent is undefined', async () => {
      const before = Date.now()
      await store.put('head/x.bin', new Uint8Array(1234))
      const info = await store.head('head/x.bin')
      expect(info?.key).toBe('head/x.bin')
      expect(info?.size).toBe(1234)
      // Servers keep whole seconds, and their clock may differ a little from ours.
      expect(Math.abs(info!.lastModified.getTime() - before)).toBeLessThan(5 * 60_000)
      expect(await store.head('head/absent.bin')).toBeUndefined()
    })

    test('missing object: get throws NotFoundError, ranged get too, delete is fine', async () => {
      const error = await errorOf(store.get('missing/nothing'))
      expect(error.code).toBe('NOT_FOUND')
      expect(error.message).toContain('missing/nothing')
      expect((await errorOf(store.get('missing/nothing', { offset: 0, length: 1 }))).code).toBe('NOT_FOUND')
      await store.delete('missing/nothing')
    })

    test('delete removes the object from get, head and list', async () => {
      await store.put('del/a', text('a'))
      await store.put('del/b', text('b'))
      await store.delete('del/a')
      expect(await store.head('del/a')).toBeUndefined()
      expect((await errorOf(store.get('del/a'))).code).toBe('NOT_FOUND')
      expect((await collect(store.list('del/'))).map((o) => o.key)).toEqual(['del/b'])
    })

    test('list: prefix is a string prefix, results in byte order, across pages', async () => {
      const keys = ['lst/B', 'lst/a-b', 'lst/a/b', 'lst/a/c/d', 'lst/a0', 'lst/ab']
      for (const key of [...keys].reverse()) await store.put(key, text(key))
      const all = await collect(store.list('lst/'))
      expect(all.map((o) => o.key)).toEqual(keys)
      expect(all.map((o) => o.size)).toEqual(keys.map((k) => text(k).byteLength))
      expect((await collect(store.list('lst/a'))).map((o) => o.key)).toEqual(['lst/a-b', 'lst/a/b', 'lst/a/c/d', 'lst/a0', 'lst/ab'])
      expect((await collect(store.list('lst/a/'))).map((o) => o.key)).toEqual(['lst/a/b', 'lst/a/c/d'])
      expect(await collect(store.list('lst/none'))).toEqual([])
      const everything = (await collect(store.list(''))).map((o) => o.key)
      expect(everything).toContain('lst/a/c/d')
      expect(everything).toContain('basic/hello.txt')
    })

    test('keys with spaces, unicode, + = & % and other reserved characters round-trip and list verbatim', async () => {
      const keys = ["odd/a b+c=d&e'f(g)!h*~i,j;k:l@m$n.txt", 'odd/ünïcödé 日本/☃.parquet', 'odd/percent%20not-escaped', 'odd/x=1/y=a+b']
      for (const key of keys) await store.put(key, text(key))
      for (const key of keys) expect(str(await store.get(key))).toBe(key)
      for (const key of keys) expect((await store.head(key))?.size).toBe(text(key).byteLength)
      const listed = (await collect(store.list('odd/'))).map((o) => o.key)
      expect([...listed].sort()).toEqual([...keys].sort())
      for (const key of keys) await store.delete(key)
      expect(await collect(store.list('odd/'))).toEqual([])
    })

    test('malformed keys are rejected before any I/O', async () => {
      for (const key of ['', '/abs/key', '../up', 'a/../../b', 'a//b', 'a/./b', 'trailing/', 'nul\0byte']) {
        const error = await errorOf(store.put(key, text('x')))
        expect(error).toBeInstanceOf(StorageError)
        expect(['INVALID_KEY', 'PATH_ESCAPE']).toContain(error.code)
      }
    })

    test('an 11 MiB object round-trips (multipart in S3, 5 MiB parts) and ranges across part boundaries read right', async () => {
      const body = patterned(11 * MiB + 123)
      const before = fixture.requests?.length ?? 0
      await store.put('big/eleven.bin', body)
      if (fixture.requests) {
        const sent = fixture.requests.slice(before)
        expect(sent.filter((r) => r.startsWith('PUT ') && r.includes('partNumber=')).length).toBe(3)
        expect(sent.some((r) => r.startsWith('POST ') && r.includes('uploadId='))).toBe(true)
      }
      expect((await store.head('big/eleven.bin'))?.size).toBe(body.byteLength)
      const back = await store.get('big/eleven.bin')
      expect(back.byteLength).toBe(body.byteLength)
      expect(Buffer.compare(back, body)).toBe(0)
      const across = await store.get('big/eleven.bin', { offset: 5 * MiB - 10, length: 20 })
      expect(Array.from(across)).toEqual(Array.from(body.subarray(5 * MiB - 10, 5 * MiB + 10)))
      const tail = await store.get('big/eleven.bin', { offset: body.byteLength - 7, length: 7 })
      expect(Array.from(tail)).toEqual(Array.from(body.subarray(body.byteLength - 7)))
      await store.delete('big/eleven.bin')
    })
  })
}

objectStoreContract('memory', async () => ({ store: createMemoryStore('memory://contract'), cleanup: async () => {} }))

objectStoreContract('fs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'object-store-contract-'))
  return { store: createFsStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) }
})

/** The stack's SigV4-checking S3 server (`bun run stack up`). */
function s3Target(): Omit<S3StoreOptions, 'prefix' | 'credentials'> & { credentials: AwsCredentials } {
  const env = stackEnv()
  return {
    endpoint: env.s3Endpoint,
    bucket: env.s3Bucket,
    region: env.s3Region,
    credentials: { accessKeyId: env.s3AccessKeyId, secretAccessKey: env.s3SecretAccessKey },
  }
}

const runPrefix = `contract-${crypto.randomUUID()}`

objectStoreContract('s3', async () => {
  const requests: string[] = []
  const recording = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString())
    requests.push(`${init?.method ?? 'GET'} ${url.pathname}${url.search}`)
    return fetch(input, init)
  }
  const store = createS3Store({
    ...s3Target(),
    prefix: runPrefix,
    fetch: recording,
    // Small enough to exercise multipart and continuation tokens without big test data.
    multipartThresholdBytes: 6 * MiB,
    partSizeBytes: 5 * MiB,
    listPageSize: 2,
    requestTimeoutMs: 20_000,
  })
  const cleanup = async (): Promise<void> => {
    for await (const info of store.list('')) await store.delete(info.key)
  }
  return { store, requests, cleanup }
})

describe('S3 store against the real server', () => {
  test('the root names bucket and prefix; listing pages with continuation tokens', async () => {
    const target = s3Target()
    const prefix = `${runPrefix}-pages`
    const requests: string[] = []
    const store = createS3Store({
      ...target,
      prefix,
      listPageSize: 2,
      fetch: (input, init) => {
        requests.push(`${init?.method} ${input.toString()}`)
        return fetch(input, init)
      },
    })
    expect(store.root).toBe(`s3://${target.bucket}/${prefix}`)
    const keys = ['p/1', 'p/2', 'p/3', 'p/4', 'p/5']
    for (const key of keys) await store.put(key, text(key))
    requests.length = 0
    expect((await collect(store.list('p/'))).map((o) => o.key)).toEqual(keys)
    expect(requests.filter((r) => r.includes('continuation-token=')).length).toBe(2)
    for (const key of keys) await store.delete(key)
  })

  test('a request signed with a wrong secret is rejected with 403', async () => {
    const target = s3Target()
    const wrongSecret = 'not-the-secret-0123456789'
    const store = createS3Store({ ...target, prefix: runPrefix, credentials: { accessKeyId: target.credentials.accessKeyId, secretAccessKey: wrongSecret }, maxAttempts: 1 })
    for (const attempt of [() => store.put('forged.txt', text('x')), () => store.get('basic/hello.txt')]) {
      const error = await errorOf(attempt())
      expect(error).toBeInstanceOf(StorageError)
      expect(error.context.status).toBe(403)
      expect(error.retryable).toBe(false)
      expect(error.message).not.toContain(wrongSecret)
    }
    expect(await createS3Store({ ...target, prefix: runPrefix }).head('forged.txt')).toBeUndefined()
  })
})
