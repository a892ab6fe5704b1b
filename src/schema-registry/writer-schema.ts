/**
 * A registry schema made ready to decode with (edge-safe): its fields as Iceberg types and a reader from
 * payload bytes to a record in the value forms the record coercer accepts (docs/records.md), so that
 * `table.admit(record)` coerces it like a JSON record. Built once per schema id.
 *
 * The Iceberg field ids here are placeholders (sequential, depth first): a table matches writer fields
 * to its columns by name path and keeps its own ids, so a column's id stays the same across registry
 * versions that keep the field's name.
 */
import { IngestError } from '../errors.ts'
import type { StructType } from '../iceberg/types.ts'

/** The writer of a record: what its records hold, for `IntakeTable.evolveTo`, under a key that is the same for every record of that writer. */
export interface Writer {
  /** The schema id, plus the message indexes for a Protobuf message other than the file's first (`"7"`, `"7:1.0"`). */
  key: string
  fields: StructType
}

export type ReadResult = { ok: true; record: Record<string, unknown>; writer: Writer } | { ok: false; reason: string }

export interface WriterSchema {
  /** The registry's schema id. */
  id: number
  /** One payload (the bytes after the wire-format header) → a record and its writer, or why it does not decode. */
  read(payload: Uint8Array): ReadResult
}

/** A registry schema with no Iceberg equivalent (a recursive type, a union of several types, ...), naming where. */
export class UnsupportedSchemaError extends IngestError {
  constructor(path: string, message: string) {
    super('SCHEMA_UNSUPPORTED', `${path ? `field "${path}": ` : ''}${message}`, { context: { path } })
  }
}

/** Hands out placeholder field ids 1, 2, 3, ... */
export function placeholderIds(): () => number {
  let next = 1
  return () => next++
}

/** `parent.name` for messages (`name` at the top level). */
export function childPath(parent: string, name: string): string {
  return parent ? `${parent}.${name}` : name
}

/** The decimal text of `unscaled` × 10^-scale (`1230n`, 2 → `"12.30"`), what the coercer parses exactly. */
export function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n
  const digits = (negative ? -unscaled : unscaled).toString()
  if (scale === 0) return negative ? `-${digits}` : digits
  const padded = digits.padStart(scale + 1, '0')
  return `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

/** The 8-4-4-4-12 text of 16 uuid bytes. */
export function uuidText(bytes: Uint8Array): string {
  let hex = ''
  for (const b of bytes) hex += HEX[b]
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** A JS number when the integer is safe (what the coercer takes for int, long, float, double and epoch ms alike), else the bigint. */
export function integerValue(value: bigint): number | bigint {
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value
}
