import { describe, expect, test } from 'bun:test'
import { readContainer, writeContainer } from '../../src/avro/container.ts'
import type { AvroRecord, AvroValue } from '../../src/avro/schema.ts'

const schema: AvroRecord = {
  type: 'record',
  name: 'row',
  fields: [
    { name: 'id', type: 'long', 'field-id': 1 },
    { name: 'name', type: ['null', 'string'], default: null, 'field-id': 2 },
    { name: 'tags', type: { type: 'array', items: 'string', 'element-id': 4 }, 'field-id': 3 },
  ],
}

const rows = (n: number): AvroValue[] =>
  Array.from({ length: n }, (_, i) => ({ id: BigInt(i) * 1_000_000_007n - 2n ** 62n, name: i % 3 === 0 ? null : `row ${i}`, tags: i % 2 ? ['a', `t${i}`] : [] }))

const SYNC = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])

/** Offsets where the sync marker occurs (header's, then one per block). */
function syncOffsets(bytes: Uint8Array): number[] {
  const found: number[] = []
  for (let i = 0; i + 16 <= bytes.length; i++) if (SYNC.every((b, j) => bytes[i + j] === b)) found.push(i)
  return found
}

describe('object container files', () => {
  for (const codec of ['null', 'deflate'] as const) {
    test(`round-trips records and metadata with the ${codec} codec`, async () => {
      const records = rows(50)
      const bytes = await writeContainer(records, { schema, codec, metadata: { 'format-version': '2', note: 'zé' } })
      expect([...bytes.subarray(0, 4)]).toEqual([0x4f, 0x62, 0x6a, 0x01])
      const file = await readContainer(bytes)
      expect(file.codec).toBe(codec)
      expect(file.records).toEqual(records)
      expect(file.metadata['avro.codec']).toBe(codec)
      expect(file.metadata['format-version']).toBe('2')
      expect(file.metadata.note).toBe('zé')
      expect(file.schema).toEqual(schema)
      expect(JSON.parse(file.metadata['avro.schema']!).fields.map((f: { 'field-id': number }) => f['field-id'])).toEqual([1, 2, 3])
    })
  }

  test('deflate actually compresses', async () => {
    const records = rows(500)
    const plain = await writeContainer(records, { schema, codec: 'null' })
    const deflated = await writeContainer(records, { schema, codec: 'deflate' })
    expect(deflated.length).toBeLessThan(plain.length / 2)
  })

  for (const codec of ['null', 'deflate'] as const) {
    test(`splits into blocks by record count and by bytes (${codec})`, async () => {
      const records = rows(10)
      const byCount = await writeContainer(records, { schema, codec, blockRecords: 3, syncMarker: SYNC })
      expect(syncOffsets(byCount).length).toBe(1 + 4) // header + 3+3+3+1
      expect((await readContainer(byCount)).records).toEqual(records)
      const byBytes = await writeContainer(rows(200), { schema, codec, blockBytes: 256, syncMarker: SYNC })
      expect(syncOffsets(byBytes).length).toBeGreaterThan(5)
      expect((await readContainer(byBytes)).records).toEqual(rows(200))
    })
  }

  test('an empty file has a header and no blocks', async () => {
    const bytes = await writeContainer([], { schema, syncMarker: SYNC })
    expect(syncOffsets(bytes)).toEqual([bytes.length - 16])
    expect((await readContainer(bytes)).records).toEqual([])
  })

  test('the header is the spec layout: magic, metadata map, sync', async () => {
    const bytes = await writeContainer([], { schema: 'int', codec: 'null', syncMarker: SYNC })
    const expected = [
      ...[0x4f, 0x62, 0x6a, 0x01],
      0x04, // 2 entries
      0x16, ...new TextEncoder().encode('avro.schema'), 0x0a, ...new TextEncoder().encode('"int"'),
      0x14, ...new TextEncoder().encode('avro.codec'), 0x08, ...new TextEncoder().encode('null'),
      0x00,
      ...SYNC,
    ]
    expect([...bytes]).toEqual(expected)
  })

  test('a random sync marker differs between files', async () => {
    const a = await writeContainer([], { schema: 'int' })
    const b = await writeContainer([], { schema: 'int' })
    expect(a.subarray(-16)).not.toEqual(b.subarray(-16))
  })

  test('rejects a bad magic, a wrong sync marker, truncation and leftover block bytes', async () => {
    const good = await writeContainer(rows(5), { schema, codec: 'null', syncMarker: SYNC })
    await expect(readContainer(new Uint8Array([1, 2, 3, 4, 5]))).rejects.toThrow(/bad magic/)
    const badSync = good.slice()
    badSync[badSync.length - 1] = 99
    await expect(readContainer(badSync)).rejects.toThrow(/sync marker mismatch/)
    await expect(readContainer(good.subarray(0, good.length - 20))).rejects.toThrow(expect.objectContaining({ code: 'AVRO_DECODE' }))
    // A block read with a narrower schema leaves bytes over: detected, not ignored.
    const wide = await writeContainer([{ a: 1, b: 2 }], { schema: { type: 'record', name: 'r', fields: [{ name: 'a', type: 'int' }, { name: 'b', type: 'int' }] }, codec: 'null', syncMarker: SYNC })
    const narrow = await writeContainer([], { schema: { type: 'record', name: 'r', fields: [{ name: 'a', type: 'int' }] }, codec: 'null', syncMarker: SYNC })
    const spliced = new Uint8Array([...narrow, ...wide.subarray(syncOffsets(wide)[0]! + 16)])
    await expect(readContainer(spliced)).rejects.toThrow(/1 bytes after its 1 records/)
  })

  test('rejects unknown codecs and bad options', async () => {
    await expect(writeContainer([], { schema: 'int', codec: 'snappy' as 'null' })).rejects.toThrow(/unsupported Avro codec/)
    await expect(writeContainer([], { schema: 'int', syncMarker: new Uint8Array(4) })).rejects.toThrow(/16 bytes/)
    await expect(writeContainer(['x'], { schema: 'int' })).rejects.toThrow(expect.objectContaining({ code: 'VALIDATION' }))
  })
})
