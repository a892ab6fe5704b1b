/**
 * How a route's message values become records: JSON text (the default), or a registry format through
 * a decoder of src/schema-registry/ (Avro, Protobuf, JSON Schema in the Confluent wire format). The
 * port is KafkaSource's; `createRegistryDecoder` fits it as is.
 */
import type { StructType } from '../../iceberg/types.ts'

/** The writer of a registry-framed record: the table evolves to its fields once per `key` (schema id). */
export interface ValueWriter {
  key: string
  fields: StructType
}

export type DecodedValue =
  | { ok: true; record: Record<string, unknown>; writer?: ValueWriter }
  | { ok: false; reason: string }
  /** The decoder needs something first (a registry lookup): decode the value again once it settles. */
  | { ok: false; waiting: Promise<void> }

export interface ValueDecoder {
  decode(value: Uint8Array | undefined): DecodedValue
  /** Ends what the decoder still waits for (registry retries) when the source stops. */
  close?(): void
  /** Whether values are bytes rather than text: dead-letter rows then keep them in base64. */
  readonly binary?: boolean
}

const utf8 = new TextDecoder()

/** Today's format: the value is a JSON object (invalid UTF-8 is replaced, as it always was). */
export const jsonValues: ValueDecoder = {
  decode(value) {
    let record: unknown
    try {
      record = JSON.parse(value ? utf8.decode(value) : '')
    } catch (error) {
      return { ok: false, reason: `value is not JSON: ${(error as Error).message}` }
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return { ok: false, reason: 'value is not a JSON object' }
    return { ok: true, record: record as Record<string, unknown> }
  },
}

/** A value as the dead-letter row's `raw` text: UTF-8 for text formats, base64 for binary ones (so no byte is lost). */
export function rawText(value: Uint8Array | undefined, binary: boolean): string {
  if (!value) return ''
  if (!binary) return utf8.decode(value)
  let text = ''
  for (let i = 0; i < value.length; i += 0x8000) text += String.fromCharCode(...value.subarray(i, i + 0x8000))
  return btoa(text)
}
