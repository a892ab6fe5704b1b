/** WAL record framing: encode records into one buffer and decode them back, stopping at a torn or corrupt tail; pure, no I/O. */

import { crc32c } from './crc32c.ts'
import { WalError } from './errors.ts'

/*
 * Wire grammar (all integers little-endian):
 *
 *   segment := frame*
 *   frame   := length:u32 | crc:u32 | seq:u64 | payload:byte[length]
 *
 *   length  payload bytes only (the 16-byte header is not counted); 1 ≤ length ≤ maxRecordBytes
 *   crc     CRC-32C over seq and payload, i.e. the frame's bytes [8, 16 + length)
 *   seq     the record's sequence number; within a segment each frame's seq is the previous one + 1
 *
 * A zero length is never written (empty payloads are refused), so a run of zeros — what a file system
 * may leave after a crash when the size reached disk before the data — reads as corruption, not as records.
 */

/** Bytes before each payload: length, crc, seq. */
export const FRAME_HEADER_BYTES = 16

/** Default upper bound on one payload; a larger length field is taken as corruption, not as a record. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024

export interface WalRecord {
  seq: bigint
  payload: Uint8Array
}

/** How the decoded range ended: `clean` at the end of the bytes, `torn` in an incomplete frame, `corrupt` at a bad frame. */
export type FrameTail = 'clean' | 'torn' | 'corrupt'

export interface DecodedFrames {
  /** Whole, checksummed records in order; payloads are views into the input bytes, not copies. */
  records: WalRecord[]
  /** Offset just past the last whole record: where a recovering writer truncates. */
  validBytes: number
  tail: FrameTail
  /** Why decoding stopped (empty when clean), with the offset and values. */
  detail: string
}

export interface DecodeOptions {
  maxRecordBytes?: number
  /** Seq the first frame must carry; later frames must follow with no gap. Omitted: only the +1 chain is checked. */
  expectSeq?: bigint
}

/** Bytes `records` take once framed. */
export function framedSize(payloadBytes: number, count = 1): number {
  return payloadBytes + FRAME_HEADER_BYTES * count
}

/**
 * Frames `records` into one new buffer in the given order.
 * @throws WalError `WAL_RECORD_SIZE` on an empty payload or one above `maxRecordBytes`.
 */
export function encodeFrames(records: readonly WalRecord[], maxRecordBytes = MAX_RECORD_BYTES): Uint8Array {
  let total = 0
  for (const r of records) {
    const n = r.payload.length
    if (n === 0 || n > maxRecordBytes) {
      throw new WalError('WAL_RECORD_SIZE', `record seq ${r.seq}: payload of ${n} bytes outside 1..${maxRecordBytes}`, {
        context: { seq: String(r.seq), bytes: n, maxRecordBytes },
      })
    }
    total += FRAME_HEADER_BYTES + n
  }
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  let at = 0
  for (const r of records) {
    const n = r.payload.length
    view.setUint32(at, n, true)
    view.setBigUint64(at + 8, r.seq, true)
    out.set(r.payload, at + FRAME_HEADER_BYTES)
    // seq sits right before the payload, so one CRC pass over [at+8, end) covers both.
    view.setUint32(at + 4, crc32c(out, at + 8, at + FRAME_HEADER_BYTES + n), true)
    at += FRAME_HEADER_BYTES + n
  }
  return out
}

/**
 * Decodes frames from `bytes` starting at `startOffset` until the end or the first frame that is
 * incomplete (`torn`) or bad (`corrupt`: zero or over-large length, CRC mismatch, seq out of order).
 * Never throws on bad input: everything before the stop point is returned.
 */
export function decodeFrames(bytes: Uint8Array, startOffset = 0, options: DecodeOptions = {}): DecodedFrames {
  const maxRecordBytes = options.maxRecordBytes ?? MAX_RECORD_BYTES
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const records: WalRecord[] = []
  let expect = options.expectSeq
  let at = startOffset
  const end = bytes.length
  const stop = (tail: FrameTail, detail: string): DecodedFrames => ({ records, validBytes: at, tail, detail })

  while (at < end) {
    if (end - at < FRAME_HEADER_BYTES) {
      return stop('torn', `frame at ${at}: header needs ${FRAME_HEADER_BYTES} bytes, ${end - at} present`)
    }
    const length = view.getUint32(at, true)
    if (length === 0 || length > maxRecordBytes) {
      return stop('corrupt', `frame at ${at}: length ${length} outside 1..${maxRecordBytes}`)
    }
    const frameEnd = at + FRAME_HEADER_BYTES + length
    if (frameEnd > end) {
      return stop('torn', `frame at ${at}: needs ${FRAME_HEADER_BYTES + length} bytes, ${end - at} present`)
    }
    const stored = view.getUint32(at + 4, true)
    const actual = crc32c(bytes, at + 8, frameEnd)
    if (stored !== actual) {
      return stop('corrupt', `frame at ${at}: crc32c expected ${hex(stored)}, computed ${hex(actual)}`)
    }
    const seq = view.getBigUint64(at + 8, true)
    if (expect !== undefined && seq !== expect) {
      return stop('corrupt', `frame at ${at}: seq expected ${expect}, found ${seq}`)
    }
    records.push({ seq, payload: bytes.subarray(at + FRAME_HEADER_BYTES, frameEnd) })
    expect = seq + 1n
    at = frameEnd
  }
  return stop('clean', '')
}

export interface FramesBeyond {
  /** Frames after the stop point whose CRC still checks. */
  records: number
  /** Highest seq among them. */
  maxSeq: bigint | undefined
}

/**
 * What a cut at `offset` throws away: follows the length chain from there, skipping frames whose CRC fails,
 * and counts the frames that still check. Stops at an impossible length or the end. Used only to report a
 * cut and to keep sequence numbers from being reused; the frames found are never replayed.
 */
export function surveyBeyond(bytes: Uint8Array, offset: number, maxRecordBytes = MAX_RECORD_BYTES): FramesBeyond {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let records = 0
  let maxSeq: bigint | undefined
  let at = offset
  while (bytes.length - at >= FRAME_HEADER_BYTES) {
    const length = view.getUint32(at, true)
    const frameEnd = at + FRAME_HEADER_BYTES + length
    if (length === 0 || length > maxRecordBytes || frameEnd > bytes.length) break
    if (view.getUint32(at + 4, true) === crc32c(bytes, at + 8, frameEnd)) {
      const seq = view.getBigUint64(at + 8, true)
      records++
      if (maxSeq === undefined || seq > maxSeq) maxSeq = seq
    }
    at = frameEnd
  }
  return { records, maxSeq }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`
}
