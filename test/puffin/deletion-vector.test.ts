import { describe, expect, test } from 'bun:test'
import { decodeDeletionVector, encodeDeletionVector, mergePositions, sortedPositions } from '../../src/puffin/deletion-vector.ts'
import { decodeDeletionVectorFile, encodeDeletionVectorFile } from '../../src/puffin/deletion-vector-file.ts'
import { blobBytes, encodePuffin, readPuffinFooter } from '../../src/puffin/puffin-file.ts'
import { crc32 } from '../../src/puffin/crc32.ts'

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')

describe('crc32', () => {
  test('the check value of CRC-32/ISO-HDLC (java.util.zip.CRC32)', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
  })
})

describe('deletion-vector-v1 blob', () => {
  test('framing byte for byte: big-endian length, magic, one bitmap keyed 0, big-endian CRC of magic + vector', () => {
    const blob = encodeDeletionVector([1, 2, 3])
    const vector = '01 00 00 00 00 00 00 00 00 00 00 00 3a 30 00 00 01 00 00 00 00 00 02 00 10 00 00 00 01 00 02 00 03 00'
    const length = 4 + vector.split(' ').length
    expect(hex(blob.subarray(0, 8))).toBe(`00 00 00 ${length.toString(16)} d1 d3 39 64`)
    expect(hex(blob.subarray(8, blob.length - 4))).toBe(vector)
    const crc = new DataView(blob.buffer).getUint32(blob.length - 4, false)
    expect(crc).toBe(crc32(blob, 4, blob.length - 4))
    expect(decodeDeletionVector(blob)).toEqual([1, 2, 3])
  })

  test('positions past 2^32 get their own keyed bitmaps, the keys between them empty ones (as Java writes)', () => {
    const positions = [0, 5, 2 ** 32 * 2 + 7, 2 ** 32 * 2 + 8]
    const blob = encodeDeletionVector(positions)
    const view = new DataView(blob.buffer)
    expect(view.getBigUint64(8, true)).toBe(3n)
    expect(decodeDeletionVector(blob)).toEqual(positions)
  })

  test('the empty vector has no bitmaps', () => {
    expect(decodeDeletionVector(encodeDeletionVector([]))).toEqual([])
    expect(encodeDeletionVector([]).length).toBe(4 + 4 + 8 + 4)
  })

  test('a changed byte fails the CRC; a wrong magic or length is named', () => {
    const blob = encodeDeletionVector([10, 11, 12, 1000])
    const flipped = blob.slice()
    flipped[20]! ^= 1
    expect(() => decodeDeletionVector(flipped)).toThrow(/CRC-32 is/)
    const magic = blob.slice()
    magic[4] = 0
    expect(() => decodeDeletionVector(magic)).toThrow(/magic is 00d33964/)
    expect(() => decodeDeletionVector(blob.subarray(0, blob.length - 1))).toThrow(/length field says/)
  })

  test('positions are sorted and deduplicated; a negative or fractional one is refused', () => {
    expect(sortedPositions([5, 1, 5, 3])).toEqual([1, 3, 5])
    expect(() => sortedPositions([1, -1])).toThrow(/row position -1/)
    expect(() => encodeDeletionVector([2, 1])).toThrow(/ascending, distinct/)
    expect(mergePositions([1, 4, 9], [2, 4, 10])).toEqual([1, 2, 4, 9, 10])
  })

  test('a million scattered positions round-trip', () => {
    const positions = sortedPositions(Array.from({ length: 1_000_000 }, (_, i) => i * 3 + (i % 2)))
    expect(decodeDeletionVector(encodeDeletionVector(positions))).toEqual(positions)
  })
})

describe('puffin file', () => {
  test('layout: magic, blobs, magic, JSON footer, little-endian size, zero flags, magic', () => {
    const { bytes, blobs } = encodePuffin([{ type: 't', fields: [1], 'snapshot-id': 5n, 'sequence-number': 2, data: Uint8Array.of(9, 9) }])
    expect(hex(bytes.subarray(0, 4))).toBe('50 46 41 31')
    expect(blobs[0]).toMatchObject({ offset: 4, length: 2 })
    expect(hex(bytes.subarray(4, 10))).toBe('09 09 50 46 41 31')
    const size = new DataView(bytes.buffer).getUint32(bytes.length - 12, true)
    const json = JSON.parse(new TextDecoder().decode(bytes.subarray(10, 10 + size)))
    expect(json).toEqual({ blobs: [{ type: 't', fields: [1], 'snapshot-id': 5, 'sequence-number': 2, offset: 4, length: 2 }] })
    expect(hex(bytes.subarray(bytes.length - 8))).toBe('00 00 00 00 50 46 41 31')
    const footer = readPuffinFooter(bytes)
    expect(blobBytes(bytes, footer.blobs[0]!)).toEqual(Uint8Array.of(9, 9))
  })

  test('deletion vector files carry referenced-data-file, cardinality, inherited ids and the _pos field', () => {
    const { bytes, vectors } = encodeDeletionVectorFile([
      { referencedDataFile: 's3://b/t/data/a.parquet', positions: [0, 7] },
      { referencedDataFile: 's3://b/t/data/b.parquet', positions: [3] },
    ])
    const footer = readPuffinFooter(bytes)
    expect(footer.properties).toEqual({ 'created-by': 'iceberg-ingest version 0.1.0' })
    expect(footer.blobs[1]).toEqual({
      type: 'deletion-vector-v1',
      fields: [2147483645],
      'snapshot-id': -1,
      'sequence-number': -1,
      offset: vectors[1]!.contentOffset,
      length: vectors[1]!.contentSizeInBytes,
      properties: { 'referenced-data-file': 's3://b/t/data/b.parquet', cardinality: '1' },
    })
    const decoded = decodeDeletionVectorFile(bytes)
    expect(decoded.get('s3://b/t/data/a.parquet')).toEqual([0, 7])
    expect(decoded.get('s3://b/t/data/b.parquet')).toEqual([3])
    expect(() => encodeDeletionVectorFile([{ referencedDataFile: 'x', positions: [] }, { referencedDataFile: 'x', positions: [] }])).toThrow(/two deletion vectors for data file x/)
  })

  test('truncated files, compressed footers and compressed blobs are refused', () => {
    const { bytes } = encodeDeletionVectorFile([{ referencedDataFile: 'f', positions: [1] }])
    expect(() => readPuffinFooter(bytes.subarray(1), 's3://b/x.puffin')).toThrow(/s3:\/\/b\/x.puffin: not a Puffin file/)
    const compressed = bytes.slice()
    compressed[compressed.length - 8] = 1
    expect(() => readPuffinFooter(compressed)).toThrow(/LZ4-compressed/)
    const blob = { ...readPuffinFooter(bytes).blobs[0]!, 'compression-codec': 'zstd' }
    expect(() => blobBytes(bytes, blob)).toThrow(/zstd-compressed/)
  })
})
