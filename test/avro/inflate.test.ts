import { describe, expect, test } from 'bun:test'
import { inflateRaw } from '../../src/avro/inflate.ts'

async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate-raw'))).arrayBuffer())
}

function pseudoRandom(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

describe('inflateRaw', () => {
  const inputs: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['one byte', new Uint8Array([42])],
    ['short text (fixed Huffman)', new TextEncoder().encode('hello hello hello avro')],
    ['long runs (overlapping copies)', new Uint8Array(100000).fill(7)],
    ['manifest-like text (dynamic Huffman)', new TextEncoder().encode('s3://bucket/table/data/part-00001.parquet '.repeat(2000))],
    ['incompressible (stored blocks)', pseudoRandom(200000, 1)],
    ['mixed', new Uint8Array([...pseudoRandom(5000, 2), ...new Uint8Array(5000), ...pseudoRandom(70000, 3)])],
  ]
  for (const [name, data] of inputs) {
    test(`inverts the platform deflate: ${name}`, async () => {
      expect(inflateRaw(await deflateRaw(data))).toEqual(data)
    })
  }

  test('ignores bytes after the final block, as Python writers leave them', async () => {
    const data = new TextEncoder().encode('abcabcabc'.repeat(100))
    const compressed = await deflateRaw(data)
    const withTrailer = new Uint8Array([...compressed, 0x12, 0x34, 0x56])
    expect(inflateRaw(withTrailer)).toEqual(data)
  })

  test('decodes a hand-made stored block', () => {
    // BFINAL=1, BTYPE=00, LEN=3, NLEN=~3, "abc"
    expect(new TextDecoder().decode(inflateRaw(new Uint8Array([0x01, 0x03, 0x00, 0xfc, 0xff, 0x61, 0x62, 0x63])))).toBe('abc')
  })

  test('rejects corrupt streams with AVRO_DECODE', async () => {
    expect(() => inflateRaw(new Uint8Array([0x01, 0x03, 0x00, 0x00, 0x00]))).toThrow(/length check failed/)
    expect(() => inflateRaw(new Uint8Array([0x07]))).toThrow(/reserved block type/)
    const compressed = await deflateRaw(new TextEncoder().encode('truncate me '.repeat(50)))
    expect(() => inflateRaw(compressed.subarray(0, compressed.length - 3))).toThrow(expect.objectContaining({ code: 'AVRO_DECODE' }))
  })
})
