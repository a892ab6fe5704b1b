/**
 * How records become changes of an upsert table (pure): the HTTP body's records (plain rows, or the
 * op envelope), Kafka values (plain rows, or Debezium events) and tombstones. A new image is admitted
 * like any row (coerced, evolving the schema where the table allows); a delete is coerced by the key
 * columns alone and marked (change.ts). Malformed envelopes and keys are reasons: dead letters.
 */
import type { IcebergType, StructType } from '../iceberg/types.ts'
import type { Admission } from '../pipeline/intake.ts'
import { createRecordCoercer } from '../records/coerce.ts'
import { type DecodedChange, markDelete } from './change.ts'
import { decodeDebezium, decodeTombstone, messageKeyRecord } from './debezium-envelope.ts'
import { decodeOpEnvelope } from './op-envelope.ts'
import { keySchema, type UpsertKey } from './upsert-key.ts'

export type HttpEnvelope = 'none' | 'op'
export type KafkaEnvelope = 'none' | 'debezium'

export interface UpsertIntakeOptions {
  key: UpsertKey
  /** The table's own admission of a row (coerce, or evolve first). */
  admit: (record: unknown) => Admission
  httpEnvelope: HttpEnvelope
  kafkaEnvelope: KafkaEnvelope
}

export interface UpsertIntake {
  readonly key: UpsertKey
  /** An HTTP record (also on WAL replay): a new image, or with the op envelope any change. */
  admitRecord(record: unknown): Admission
  /** A Kafka message: its decoded value (undefined for a tombstone) and its key. */
  admitMessage(value: Record<string, unknown> | undefined, key: Uint8Array | undefined): Admission
  /** A registry writer schema's fields → the row's fields (a Debezium event's `after`), for schema evolution. */
  rowFields(writer: StructType): StructType
}

export function createUpsertIntake(options: UpsertIntakeOptions): UpsertIntake {
  const { key, admit } = options
  const coerceKey = createRecordCoercer(keySchema(key), { extraFields: 'ignore' })
  const admitChange = (decoded: DecodedChange): Admission => {
    if (!decoded.ok) return decoded
    const { op, row } = decoded.change
    if (op !== 'd') return admit(row)
    const coerced = coerceKey(row)
    return coerced.ok ? { ok: true, row: markDelete(coerced.row) } : { ok: false, reason: `delete: ${coerced.reason}` }
  }
  return {
    key,
    admitRecord: (record) => (options.httpEnvelope === 'op' ? admitChange(decodeOpEnvelope(record)) : admit(record)),
    admitMessage(value, messageKey) {
      if (value === undefined) return admitChange(decodeTombstone(messageKey, key))
      if (options.kafkaEnvelope === 'none') return admit(value)
      return admitChange(decodeDebezium(value, () => messageKeyRecord(messageKey, key)))
    },
    rowFields(writer) {
      if (options.kafkaEnvelope !== 'debezium') return writer
      const struct = (type: IcebergType | undefined): StructType | undefined => (typeof type === 'object' && type.type === 'struct' ? type : undefined)
      const envelope = struct(writer.fields.find((f) => f.name === 'payload')?.type) ?? writer
      return struct(envelope.fields.find((f) => f.name === 'after')?.type) ?? writer
    },
  }
}
