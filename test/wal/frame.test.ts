/** WAL framing: round trips, and where decoding stops on torn and corrupt input. */

import { describe, expect, test } from 'bun:test'
import { WalError } from '../../src/wal/errors.ts'
import { decodeFrames, encodeFrames, FRAME_HEADER_BYTES, surveyBeyond, type WalRecord } from '../../src/wal/frame.ts'

const text = new TextEncoder()

function records(first: bigint, sizes: number[]): WalRecord[] {
  return sizes.map((n, i) => ({ seq: first + BigInt(i), payload: Uint8Array.from({ length: n }, (_, j) => (j * 31 + i) & 0xff) }))
}

function plain(rs: WalRecord[]): { seq: bigint; payload: number[] }[] {
  return rs.map((r) => ({ seq: r.seq, payload: [...r.payload] }))
}

describe('encodeFrames / decodeFrames', () => {
  test('round trip', () => {
    const input = records(1n, [1, 2, 100, 4096])
    const bytes = encodeFrames(input)
    expect(bytes.length).toBe(1 + 2 + 100 + 4096 + 4 * FRAME_HEADER_BYTES)
    const out = decodeFrames(bytes, 0, { expectSeq: 1n })
    expect(out.tail).toBe('clean')
    expect(out.validBytes).toBe(bytes.length)
    expect(plain(out.records)).toEqual(plain(input))
  })

  test('round trip at the largest u64 seq', () => {
    const input = [{ seq: 0xffffffffffffffffn, payload: text.encode('last') }]
    expect(plain(decodeFrames(encodeFrames(input)).records)).toEqual(plain(input))
  })

  test('layout is u32 length | u32 crc32c | u64 seq | payload, little-endian', () => {
    const bytes = encodeFrames([{ seq: 0x0102030405060708n, payload: text.encode('123456789') }])
    const view = new DataView(bytes.buffer)
    expect(view.getUint32(0, true)).toBe(9)
    expect(view.getBigUint64(8, true)).toBe(0x0102030405060708n)
    expect(new TextDecoder().decode(bytes.subarray(16))).toBe('123456789')
    // An independent check of the crc field: flip it and decoding must call it corrupt.
    bytes[4]! ^= 1
    expect(decodeFrames(bytes).tail).toBe('corrupt')
  })

  test('decodes from a start offset', () => {
    const a = encodeFrames(records(1n, [10]))
    const b = encodeFrames(records(2n, [20, 30]))
    const both = new Uint8Array(a.length + b.length)
    both.set(a)
    both.set(b, a.length)
    const out = decodeFrames(both, a.length)
    expect(out.records.map((r) => r.seq)).toEqual([2n, 3n])
    expect(out.validBytes).toBe(both.length)
  })

  test('refuses empty and oversized payloads', () => {
    expect(() => encodeFrames(records(1n, [0]))).toThrow(WalError)
    expect(() => encodeFrames(records(1n, [5]), 4)).toThrow(/outside 1\.\.4/)
  })

  test('every cut inside the last frames is torn and keeps exactly the whole frames before it', () => {
    const sizes = [5, 17, 3]
    const bytes = encodeFrames(records(7n, sizes))
    const ends = [21, 21 + 33, 21 + 33 + 19]
    for (let cut = 0; cut < bytes.length; cut++) {
      const out = decodeFrames(bytes.subarray(0, cut))
      const whole = ends.filter((e) => e <= cut).length
      expect(out.records.length).toBe(whole)
      expect(out.validBytes).toBe(whole === 0 ? 0 : ends[whole - 1]!)
      expect(out.tail).toBe(cut === out.validBytes ? 'clean' : 'torn')
    }
  })

  test('every flipped bit in the last frame stops decoding before it', () => {
    const bytes = encodeFrames(records(1n, [8, 8]))
    for (let at = 24; at < bytes.length; at++) {
      for (const bit of [0x01, 0x80]) {
        const copy = bytes.slice()
        copy[at]! ^= bit
        const out = decodeFrames(copy, 0, { expectSeq: 1n })
        expect(out.records.map((r) => r.seq)).toEqual([1n])
        expect(out.validBytes).toBe(24)
        // A damaged length may point past the end, which looks exactly like a torn frame.
        expect(out.tail === 'corrupt' || (out.tail === 'torn' && at < 4 + 24)).toBe(true)
      }
    }
  })

  test('zero length, absurd length and a seq out of order are corruption', () => {
    const zeros = new Uint8Array(64)
    expect(decodeFrames(zeros)).toMatchObject({ tail: 'corrupt', validBytes: 0 })
    const huge = encodeFrames(records(1n, [8]))
    new DataView(huge.buffer).setUint32(0, 0xfffffff0, true)
    const out = decodeFrames(huge)
    expect(out.tail).toBe('corrupt')
    expect(out.detail).toContain('length 4294967280')
    const gap = encodeFrames([...records(1n, [4]), ...records(3n, [4])])
    expect(decodeFrames(gap)).toMatchObject({ tail: 'corrupt', validBytes: 20 })
    expect(decodeFrames(gap, 0, { expectSeq: 2n })).toMatchObject({ tail: 'corrupt', validBytes: 0 })
  })

  test('surveyBeyond counts the checksummed frames a cut loses, skipping the bad one', () => {
    const bytes = encodeFrames(records(1n, [10, 10, 10, 10]))
    bytes[26 + 20]! ^= 0xff // payload of frame 2
    const out = decodeFrames(bytes)
    expect(out).toMatchObject({ tail: 'corrupt', validBytes: 26 })
    expect(surveyBeyond(bytes, out.validBytes)).toEqual({ records: 2, maxSeq: 4n })
  })
})
