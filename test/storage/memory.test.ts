/** The memory store's own guarantees (the shared key / range / order rules are in object-store.test.ts). */
import { describe, expect, test } from 'bun:test'
import { createMemoryStore } from '../../src/storage/memory.ts'

describe('memory store', () => {
  test('get returns a copy: changing it does not change the stored object', async () => {
    const store = createMemoryStore()
    await store.put('k', new Uint8Array([1, 2, 3]))
    const first = await store.get('k')
    first[0] = 9
    expect(Array.from(await store.get('k'))).toEqual([1, 2, 3])
  })

  test('root defaults to memory:// and each put gets a new etag', async () => {
    const store = createMemoryStore()
    expect(store.root).toBe('memory://')
    await store.put('k', new Uint8Array([1]))
    const e1 = (await store.head('k'))?.etag
    await store.put('k', new Uint8Array([1]))
    expect((await store.head('k'))?.etag).not.toBe(e1)
  })
})
