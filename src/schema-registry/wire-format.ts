/**
 * The Confluent wire format of a Kafka message value (pure, edge-safe):
 *
 *   byte 0       magic, always 0
 *   bytes 1..4   schema id, big-endian signed int32 (the registry's id)
 *   bytes 5..    payload: Avro binary | Protobuf: message indexes, then the message | JSON Schema: JSON text
 *
 * Protobuf message indexes locate the message type in its .proto file: a zigzag varint count, then that
 * many zigzag varints (index among top-level messages, then among the nested ones of that message, ...);
 * a lone 0 byte stands for [0], the first top-level message.
 */

export type Frame = { ok: true; schemaId: number; payload: Uint8Array } | { ok: false; reason: string }
export type MessageIndexes = { ok: true; indexes: number[]; payload: Uint8Array } | { ok: false; reason: string }

const MAGIC = 0
const HEADER_BYTES = 5
/** More than any real .proto nests; a longer list is a corrupt value, not a schema. */
const MAX_MESSAGE_INDEXES = 64

/** The schema id and payload of a framed value, or why the value is not in the wire format. */
export function readFrame(value: Uint8Array | undefined): Frame {
  if (value === undefined || value.length === 0) return { ok: false, reason: 'empty value: no Confluent wire-format header (magic byte 0 + 4-byte schema id)' }
  if (value[0] !== MAGIC) {
    return { ok: false, reason: `not in the Confluent wire format: first byte is 0x${value[0]!.toString(16).padStart(2, '0')}, expected magic byte 0x00` }
  }
  if (value.length < HEADER_BYTES) return { ok: false, reason: `value of ${value.length} bytes is shorter than the 5-byte Confluent wire-format header` }
  const schemaId = new DataView(value.buffer, value.byteOffset + 1, 4).getInt32(0, false)
  return { ok: true, schemaId, payload: value.subarray(HEADER_BYTES) }
}

/** The header for `schemaId` followed by `payload` (producers in tests, and the inverse of readFrame). */
export function writeFrame(schemaId: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length)
  new DataView(out.buffer).setInt32(1, schemaId, false)
  out.set(payload, HEADER_BYTES)
  return out
}

/** One zigzag varint (int32 range) at `pos`, or undefined when truncated or too long. */
function readZigzag(bytes: Uint8Array, pos: number): { value: number; next: number } | undefined {
  let raw = 0
  for (let shift = 0, at = pos; shift < 35; shift += 7, at++) {
    if (at >= bytes.length) return undefined
    const byte = bytes[at]!
    raw += (byte & 0x7f) * 2 ** shift
    if ((byte & 0x80) === 0) {
      if (raw > 0xffffffff) return undefined
      return { value: raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2, next: at + 1 }
    }
  }
  return undefined
}

/** The message indexes at the start of a Protobuf payload, and the message bytes after them. */
export function readMessageIndexes(payload: Uint8Array): MessageIndexes {
  const count = readZigzag(payload, 0)
  if (count === undefined) return { ok: false, reason: 'Protobuf message-index list is truncated or not a varint' }
  if (count.value === 0) return { ok: true, indexes: [0], payload: payload.subarray(count.next) }
  if (count.value < 0 || count.value > MAX_MESSAGE_INDEXES) return { ok: false, reason: `Protobuf message-index count ${count.value} is out of range 0..${MAX_MESSAGE_INDEXES}` }
  const indexes: number[] = []
  let pos = count.next
  for (let i = 0; i < count.value; i++) {
    const index = readZigzag(payload, pos)
    if (index === undefined) return { ok: false, reason: `Protobuf message-index list is truncated after ${i} of ${count.value} indexes` }
    if (index.value < 0) return { ok: false, reason: `Protobuf message index ${index.value} is negative` }
    indexes.push(index.value)
    pos = index.next
  }
  return { ok: true, indexes, payload: payload.subarray(pos) }
}

/** The message-index prefix for `indexes` ([0] as the single 0 byte, as Confluent's serializer writes it). */
export function writeMessageIndexes(indexes: number[]): Uint8Array {
  if (indexes.length === 1 && indexes[0] === 0) return new Uint8Array([0])
  const out: number[] = []
  for (const n of [indexes.length, ...indexes]) {
    let z = n >= 0 ? n * 2 : -n * 2 - 1
    while (z >= 0x80) {
      out.push((z % 0x80) | 0x80)
      z = Math.floor(z / 0x80)
    }
    out.push(z)
  }
  return new Uint8Array(out)
}
