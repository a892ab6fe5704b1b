/** The Confluent wire-format header and Protobuf message indexes: bytes as Confluent's serializers write them. */
import { describe, expect, test } from 'bun:test'
import { readFrame, readMessageIndexes, writeFrame, writeMessageIndexes } from '../../src/schema-registry/wire-format.ts'

describe('readFrame', () => {
  test('magic byte 0, a big-endian schema id, then the payload', () => {
    const frame = readFrame(new Uint8Array([0, 0, 0, 1, 2, 0xaa, 0xbb]))
    expect(frame).toEqual({ ok: true, schemaId: 258, payload: new Uint8Array([0xaa, 0xbb]) })
    expect(readFrame(writeFrame(0x7fffffff, new Uint8Array([1])))).toEqual({ ok: true, schemaId: 0x7fffffff, payload: new Uint8Array([1]) })
    // A header alone is a frame with an empty payload (an Avro record of no fields).
    expect(readFrame(new Uint8Array([0, 0, 0, 0, 9]))).toEqual({ ok: true, schemaId: 9, payload: new Uint8Array([]) })
  })

  test('a payload that is a view into a larger buffer reads from its own offset', () => {
    const buffer = new Uint8Array([9, 9, 0, 0, 0, 0, 5, 7])
    expect(readFrame(buffer.subarray(2))).toEqual({ ok: true, schemaId: 5, payload: new Uint8Array([7]) })
  })

  test('values that are not framed say why', () => {
    expect(readFrame(new TextEncoder().encode('{"id":1}'))).toEqual({ ok: false, reason: 'not in the Confluent wire format: first byte is 0x7b, expected magic byte 0x00' })
    expect(readFrame(undefined)).toEqual({ ok: false, reason: expect.stringContaining('empty value') })
    expect(readFrame(new Uint8Array([0, 0, 1]))).toEqual({ ok: false, reason: 'value of 3 bytes is shorter than the 5-byte Confluent wire-format header' })
  })
})

describe('Protobuf message indexes', () => {
  test('a lone 0 is the first message; otherwise a zigzag count and zigzag indexes', () => {
    expect(readMessageIndexes(new Uint8Array([0, 8, 1]))).toEqual({ ok: true, indexes: [0], payload: new Uint8Array([8, 1]) })
    // [1, 2]: count 2 → 4, 1 → 2, 2 → 4 (zigzag)
    expect(readMessageIndexes(new Uint8Array([4, 2, 4, 8, 1]))).toEqual({ ok: true, indexes: [1, 2], payload: new Uint8Array([8, 1]) })
    for (const indexes of [[0], [1], [0, 0], [3, 70, 200]]) {
      const bytes = writeMessageIndexes(indexes)
      expect(readMessageIndexes(new Uint8Array([...bytes, 42]))).toEqual({ ok: true, indexes, payload: new Uint8Array([42]) })
    }
    expect(writeMessageIndexes([0])).toEqual(new Uint8Array([0]))
    expect(writeMessageIndexes([1])).toEqual(new Uint8Array([2, 2]))
  })

  test('truncated, negative or absurd lists are reasons', () => {
    expect(readMessageIndexes(new Uint8Array([]))).toEqual({ ok: false, reason: 'Protobuf message-index list is truncated or not a varint' })
    expect(readMessageIndexes(new Uint8Array([4, 2]))).toEqual({ ok: false, reason: 'Protobuf message-index list is truncated after 1 of 2 indexes' })
    expect(readMessageIndexes(new Uint8Array([2, 1]))).toEqual({ ok: false, reason: 'Protobuf message index -1 is negative' })
    expect(readMessageIndexes(new Uint8Array([0xfe, 0x01]))).toEqual({ ok: false, reason: 'Protobuf message-index count 127 is out of range 0..64' })
  })
})
