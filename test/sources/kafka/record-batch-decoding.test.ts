/**
 * The record-batch decoder of our patched @platformatic/kafka (patches/, docs/design.md "Where the
 * Kafka path's time and memory go") reads back what the client's own producer encoder writes: keys,
 * values, null and empty ones, headers, timestamp deltas of every varint width and sign, every
 * compression, batches cut across the socket's chunks. A corrupt length is an error, never a
 * shifted record.
 */
import { describe, expect, test } from 'bun:test'
import { createRecordsBatch, Reader, readRecordsBatch, readRecordsBatches, Writer } from '@platformatic/kafka'

const BASE = 1_764_806_400_000n

interface Input {
  /** Undefined is written as null (length -1). */
  key: Buffer | undefined
  value: Buffer | undefined
  headers: Map<Buffer, Buffer>
  timestamp: bigint
}

const inputs: Input[] = [
  { key: undefined, value: Buffer.from('{"id":1}'), headers: new Map(), timestamp: BASE },
  { key: Buffer.from('k-2'), value: Buffer.from('{"id":2,"s":"é€😀"}'), headers: new Map(), timestamp: BASE + 5n },
  // Deltas past one varint byte (±63 ms), up to four bytes, and negative (the client's encoder truncates
  // deltas past 32 bits, so none here: its own decoder and ours read such bytes alike).
  { key: undefined, value: Buffer.from('x'.repeat(300)), headers: new Map([[Buffer.from('h1'), Buffer.from('v1')]]), timestamp: BASE + 100n },
  { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: new Map(), timestamp: BASE - 70n },
  { key: undefined, value: undefined, headers: new Map([[Buffer.from('a'), Buffer.from('')], [Buffer.from('b'), Buffer.from('bb')]]), timestamp: BASE + 1_000_000n },
  { key: Buffer.from([0, 255, 128]), value: Buffer.alloc(20_000, 7), headers: new Map(), timestamp: BASE + 200_000_000n },
  { key: undefined, value: Buffer.from('{"id":7}'), headers: new Map(), timestamp: BASE - 50_000_000n },
]

const batchBytes = (records: Input[], compression?: 'gzip' | 'snappy' | 'lz4' | 'zstd') =>
  createRecordsBatch(
    // The client's type wants a value; a null one (a tombstone) is valid Kafka and encodes as length -1.
    records.map((input) => ({ ...input, topic: 't', partition: 0 })) as Parameters<typeof createRecordsBatch>[0],
    compression ? { compression } : {},
  ).buffer

/** The bytes as a reader over many small chunks, as a fetch response arrives from the socket. */
function chunkedReader(bytes: Buffer, chunk: number): Reader {
  const writer = Writer.create()
  for (let at = 0; at < bytes.length; at += chunk) writer.append(bytes.subarray(at, at + chunk))
  return Reader.from(writer)
}

function expectRecords(batches: ReturnType<typeof readRecordsBatches>, expected: Input[][]) {
  expect(batches.length).toBe(expected.length)
  batches.forEach((batch, b) => {
    const want = expected[b]!
    expect(batch.records.length).toBe(want.length)
    batch.records.forEach((record, i) => {
      const input = want[i]!
      expect(record.offsetDelta).toBe(i)
      expect(batch.firstTimestamp + record.timestampDelta).toBe(input.timestamp)
      expect(record.key === null ? undefined : Buffer.from(record.key).toString('hex')).toBe(input.key?.toString('hex'))
      expect(record.value === null ? undefined : Buffer.from(record.value).toString('hex')).toBe(input.value?.toString('hex'))
      expect(record.headers.map(([k, v]) => [Buffer.from(k!).toString(), Buffer.from(v!).toString()])).toEqual(
        [...input.headers].map(([k, v]) => [k.toString(), v.toString()]),
      )
    })
  })
}

describe('record batches through the patched decoder', () => {
  test('bun install applied the patch (without it every test here still passes: the patch changes speed, not behaviour)', () => {
    expect(String(readRecordsBatch)).toContain('readRecordsFrom(')
  })

  test('uncompressed, in one chunk and cut every 1, 7 and 4,096 bytes', () => {
    const bytes = Buffer.concat([batchBytes(inputs), batchBytes(inputs.slice(0, 3))])
    for (const chunk of [bytes.length, 1, 7, 4_096]) expectRecords(readRecordsBatches(chunkedReader(bytes, chunk)), [inputs, inputs.slice(0, 3)])
  })

  for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    test(`${compression}-compressed, cut every 13 bytes`, () => {
      const bytes = Buffer.concat([batchBytes(inputs, compression), batchBytes(inputs.slice(2), compression)])
      expectRecords(readRecordsBatches(chunkedReader(bytes, 13)), [inputs, inputs.slice(2)])
    })
  }

  test('a batch the response cut short is left for the next fetch, the whole ones before it read', () => {
    const whole = batchBytes(inputs.slice(0, 2))
    const cut = batchBytes(inputs).subarray(0, 100)
    const reader = chunkedReader(Buffer.concat([whole, cut]), 9)
    expectRecords(readRecordsBatches(reader), [inputs.slice(0, 2)])
    expect(reader.position).toBe(whole.length)
  })

  test('a value length past the batch is an error, not a shifted record', () => {
    const bytes = Buffer.from(batchBytes([inputs[0]!]))
    // The only record's value: its varint length (zigzag 8 → 16) sits right before '{"id":1}'.
    const at = bytes.indexOf(Buffer.from('{"id":1}')) - 1
    expect(bytes[at]).toBe(16)
    bytes[at] = 0x7e // 63 bytes, more than the batch holds
    expect(() => readRecordsBatches(chunkedReader(bytes, bytes.length))).toThrow()
  })
})
