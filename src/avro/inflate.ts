/** Raw DEFLATE decoding (RFC 1951), synchronous, for Avro's `deflate` codec blocks. */
import { IngestError } from '../errors.ts'
import { createByteWriter, reserve, written } from './byte-writer.ts'

// Why not DecompressionStream('deflate-raw'): Python writers (fastavro, PyIceberg) produce a
// block as `zlib.compress(data)[2:-1]`, leaving 3 bytes of the Adler-32 trailer after the final
// deflate block. Java's Inflater ignores them; web DecompressionStream throws "trailing junk"
// and drops part of the output. This decoder stops at the final block, as Java does.
//
// Stream grammar: blocks of [BFINAL:1][BTYPE:2] then
//   00 stored      align to byte, LEN:16 LE, NLEN:16 LE (= ~LEN), LEN bytes
//   01 fixed       Huffman codes from the RFC's fixed tables
//   10 dynamic     HLIT:5 HDIST:5 HCLEN:4, code-length code lengths (3 bits each, permuted),
//                  then literal/length and distance code lengths (16 = repeat, 17/18 = zeros)
// Huffman codes are read MSB-first one bit at a time (canonical decoding as in zlib's puff.c);
// manifests are small, so table-free decoding keeps this short.

interface BitReader {
  data: Uint8Array
  pos: number
  bitBuf: number
  bitCnt: number
}

interface Huffman {
  counts: Uint16Array
  symbols: Uint16Array
}

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385,
  24577,
]
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

function corrupt(message: string): IngestError {
  return new IngestError('AVRO_DECODE', `invalid deflate data: ${message}`)
}

function bits(s: BitReader, need: number): number {
  let value = s.bitBuf
  while (s.bitCnt < need) {
    if (s.pos >= s.data.length) throw corrupt('truncated')
    value |= s.data[s.pos++]! << s.bitCnt
    s.bitCnt += 8
  }
  s.bitBuf = value >>> need
  s.bitCnt -= need
  return value & ((1 << need) - 1)
}

function buildHuffman(lengths: ArrayLike<number>, offset: number, n: number): Huffman {
  const counts = new Uint16Array(16)
  for (let i = 0; i < n; i++) counts[lengths[offset + i]!]!++
  let left = 1
  for (let len = 1; len <= 15; len++) {
    left = left * 2 - counts[len]!
    if (left < 0) throw corrupt('over-subscribed Huffman code')
  }
  const offs = new Uint16Array(16)
  for (let len = 1; len < 15; len++) offs[len + 1] = offs[len]! + counts[len]!
  const symbols = new Uint16Array(n)
  for (let symbol = 0; symbol < n; symbol++) {
    const len = lengths[offset + symbol]!
    if (len !== 0) symbols[offs[len]!++] = symbol
  }
  counts[0] = 0
  return { counts, symbols }
}

function decodeSymbol(s: BitReader, h: Huffman): number {
  let code = 0
  let first = 0
  let index = 0
  for (let len = 1; len <= 15; len++) {
    code |= bits(s, 1)
    const count = h.counts[len]!
    if (code - count < first) return h.symbols[index + (code - first)]!
    index += count
    first = (first + count) << 1
    code <<= 1
  }
  throw corrupt('no Huffman code matches')
}

let fixedTables: [Huffman, Huffman] | undefined

function fixed(): [Huffman, Huffman] {
  if (!fixedTables) {
    const lengths = new Uint8Array(288 + 30)
    lengths.fill(8, 0, 144)
    lengths.fill(9, 144, 256)
    lengths.fill(7, 256, 280)
    lengths.fill(8, 280, 288)
    lengths.fill(5, 288, 318)
    fixedTables = [buildHuffman(lengths, 0, 288), buildHuffman(lengths, 288, 30)]
  }
  return fixedTables
}

function dynamic(s: BitReader): [Huffman, Huffman] {
  const nlen = bits(s, 5) + 257
  const ndist = bits(s, 5) + 1
  const ncode = bits(s, 4) + 4
  if (nlen > 286 || ndist > 30) throw corrupt('too many length or distance codes')
  const lengths = new Uint8Array(nlen + ndist)
  const codeLengths = new Uint8Array(19)
  for (let i = 0; i < ncode; i++) codeLengths[CODE_LENGTH_ORDER[i]!] = bits(s, 3)
  const lencode = buildHuffman(codeLengths, 0, 19)
  for (let i = 0; i < nlen + ndist; ) {
    const symbol = decodeSymbol(s, lencode)
    if (symbol < 16) {
      lengths[i++] = symbol
      continue
    }
    let repeat: number
    let value = 0
    if (symbol === 16) {
      if (i === 0) throw corrupt('repeat with no previous length')
      value = lengths[i - 1]!
      repeat = 3 + bits(s, 2)
    } else if (symbol === 17) repeat = 3 + bits(s, 3)
    else repeat = 11 + bits(s, 7)
    if (i + repeat > nlen + ndist) throw corrupt('code lengths overrun')
    lengths.fill(value, i, i + repeat)
    i += repeat
  }
  if (lengths[256] === 0) throw corrupt('no end-of-block code')
  return [buildHuffman(lengths, 0, nlen), buildHuffman(lengths, nlen, ndist)]
}

/**
 * Inflate one raw deflate stream; bytes after its final block are ignored (see above).
 * @throws IngestError `AVRO_DECODE` when the data is not valid deflate.
 */
export function inflateRaw(data: Uint8Array): Uint8Array {
  const s: BitReader = { data, pos: 0, bitBuf: 0, bitCnt: 0 }
  const out = createByteWriter(Math.max(1024, data.length * 4))
  let last = 0
  do {
    last = bits(s, 1)
    const type = bits(s, 2)
    if (type === 0) {
      s.bitBuf = 0
      s.bitCnt = 0
      if (s.pos + 4 > data.length) throw corrupt('truncated stored block')
      const len = data[s.pos]! | (data[s.pos + 1]! << 8)
      const nlen = data[s.pos + 2]! | (data[s.pos + 3]! << 8)
      if (len !== (~nlen & 0xffff)) throw corrupt('stored block length check failed')
      s.pos += 4
      if (s.pos + len > data.length) throw corrupt('truncated stored block')
      reserve(out, len)
      out.bytes.set(data.subarray(s.pos, s.pos + len), out.length)
      out.length += len
      s.pos += len
      continue
    }
    if (type === 3) throw corrupt('reserved block type')
    const [lencode, distcode] = type === 1 ? fixed() : dynamic(s)
    for (;;) {
      const symbol = decodeSymbol(s, lencode)
      if (symbol < 256) {
        reserve(out, 1)
        out.bytes[out.length++] = symbol
      } else if (symbol === 256) break
      else {
        const li = symbol - 257
        if (li >= 29) throw corrupt('bad length code')
        const length = LENGTH_BASE[li]! + bits(s, LENGTH_EXTRA[li]!)
        const di = decodeSymbol(s, distcode)
        if (di >= 30) throw corrupt('bad distance code')
        const distance = DIST_BASE[di]! + bits(s, DIST_EXTRA[di]!)
        if (distance > out.length) throw corrupt(`distance ${distance} before start of output`)
        reserve(out, length)
        const bytes = out.bytes
        let to = out.length
        // Byte by byte: source and destination may overlap (a run).
        for (let from = to - distance, end = to + length; to < end; ) bytes[to++] = bytes[from++]!
        out.length = to
      }
    }
  } while (!last)
  return written(out)
}
