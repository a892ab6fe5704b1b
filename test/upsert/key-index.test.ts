/** The key index in memory and on disk: entries, dropped files and positions, the codec's round trip and what it refuses. */
import { describe, expect, test } from 'bun:test'
import { decodeKeyIndex, encodeKeyIndex } from '../../src/upsert/key-index-codec.ts'
import { KeyIndex } from '../../src/upsert/key-index.ts'

function sample(): KeyIndex {
  const index = new KeyIndex()
  index.snapshotId = 8_000_000_000_000_000_001n
  index.addFile('s3://b/t/data/a.parquet')
  index.addFile('s3://b/t/data/b.parquet', ['s3://b/t/data/d1.parquet'])
  index.set('1', 's3://b/t/data/a.parquet', 0)
  index.set('2', 's3://b/t/data/a.parquet', 1)
  index.set('ü', 's3://b/t/data/b.parquet', 4_000_000_000)
  return index
}

describe('KeyIndex', () => {
  test('a key maps to its file and position; setting it again moves it', () => {
    const index = sample()
    expect(index.get('2')).toEqual({ file: 's3://b/t/data/a.parquet', position: 1 })
    expect(index.get('ü')).toEqual({ file: 's3://b/t/data/b.parquet', position: 4_000_000_000 })
    index.set('2', 's3://b/t/data/b.parquet', 0)
    expect(index.get('2')).toEqual({ file: 's3://b/t/data/b.parquet', position: 0 })
    expect(index.size).toBe(3)
    expect(() => index.set('3', 's3://elsewhere', 0)).toThrow('is not indexed')
  })

  test('dropping a file forgets its keys; dropping positions forgets the keys there and records the delete', () => {
    const index = sample()
    index.dropPositions(new Map([['s3://b/t/data/a.parquet', { positions: new Set([1, 7]), refs: ['d2'] }]]))
    expect([index.get('1')?.position, index.get('2')]).toEqual([0, undefined])
    expect(index.file('s3://b/t/data/a.parquet')!.deletes).toEqual(['d2'])
    index.dropFiles(['s3://b/t/data/a.parquet'])
    expect([index.get('1'), index.get('ü')?.position, index.files().map((f) => f.path)]).toEqual([undefined, 4_000_000_000, ['s3://b/t/data/b.parquet']])
  })
})

describe('KeyIndex with a key live twice', () => {
  test('add keeps both rows, set replaces them with one, a dropped file promotes the other row', () => {
    const index = sample()
    index.add('1', 's3://b/t/data/b.parquet', 3)
    expect(index.locations('1')).toEqual([{ file: 's3://b/t/data/a.parquet', position: 0 }, { file: 's3://b/t/data/b.parquet', position: 3 }])
    expect([index.size, index.duplicated]).toEqual([3, 1])
    index.dropFiles(['s3://b/t/data/a.parquet'])
    expect(index.locations('1')).toEqual([{ file: 's3://b/t/data/b.parquet', position: 3 }])
    index.add('ü', 's3://b/t/data/b.parquet', 5)
    index.set('ü', 's3://b/t/data/b.parquet', 6)
    expect(index.locations('ü')).toEqual([{ file: 's3://b/t/data/b.parquet', position: 6 }])
    expect(index.duplicated).toBe(0)
  })
})

describe('key index codec', () => {
  const identity = { tableUuid: '6c1b6e8e-3a37-4a2c-9e5b-0e6a1f1d2c3b', keyFieldIds: [1] }

  test('round trip: snapshot id, files with their deletes, every entry', async () => {
    const index = sample()
    index.dropFiles(['s3://b/t/data/a.parquet'])
    index.addFile('s3://b/t/data/c.parquet')
    index.set('5', 's3://b/t/data/c.parquet', 9)
    const decoded = await decodeKeyIndex(await encodeKeyIndex(index, identity), identity)
    if (!('index' in decoded)) throw new Error(decoded.reason)
    const back = decoded.index
    expect(back.snapshotId).toBe(8_000_000_000_000_000_001n)
    expect(back.files()).toEqual([{ path: 's3://b/t/data/b.parquet', deletes: ['s3://b/t/data/d1.parquet'] }, { path: 's3://b/t/data/c.parquet', deletes: [] }])
    expect([back.size, back.get('ü'), back.get('5')]).toEqual([2, { file: 's3://b/t/data/b.parquet', position: 4_000_000_000 }, { file: 's3://b/t/data/c.parquet', position: 9 }])
    // A key live twice is stored twice and comes back with both rows.
    index.add('5', 's3://b/t/data/b.parquet', 1)
    const again = await decodeKeyIndex(await encodeKeyIndex(index, identity), identity)
    if (!('index' in again)) throw new Error(again.reason)
    expect(again.index.locations('5')).toEqual([{ file: 's3://b/t/data/c.parquet', position: 9 }, { file: 's3://b/t/data/b.parquet', position: 1 }])
  })

  test('a torn file, another table, another key are refused with the reason', async () => {
    const bytes = await encodeKeyIndex(sample(), identity)
    expect(await decodeKeyIndex(bytes.subarray(0, bytes.length - 1), identity)).toEqual({ reason: 'digest does not match (torn or changed file)' })
    const flipped = bytes.slice()
    flipped[20]! ^= 1
    expect(await decodeKeyIndex(flipped, identity)).toEqual({ reason: 'digest does not match (torn or changed file)' })
    expect(await decodeKeyIndex(bytes, { ...identity, tableUuid: 'x' })).toEqual({ reason: `index of table ${identity.tableUuid}, not x` })
    expect(await decodeKeyIndex(bytes, { ...identity, keyFieldIds: [1, 2] })).toEqual({ reason: 'index of key fields [1], not [1, 2]' })
    expect(await decodeKeyIndex(new Uint8Array(3), identity)).toEqual({ reason: '3 bytes: too short for a key index' })
  })
})
