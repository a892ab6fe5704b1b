/** Test helper: coerce a single value through a one-column schema, so each type's rules are tested end to end. */
import type { IcebergType, IcebergValue } from '../../src/iceberg/types.ts'
import { createRecordCoercer } from '../../src/records/coerce.ts'

/** The canonical value for `value` in a required column `v` of `type`, or throws with the rejection reason. */
export function coerceValue(type: IcebergType, value: unknown): IcebergValue | undefined {
  const result = createRecordCoercer({ type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'v', required: true, type }] })({ v: value })
  if (!result.ok) throw new Error(result.reason)
  return result.row.v
}

/** The rejection reason for `value` in a required column `v` of `type`; throws when the value is accepted. */
export function rejectReason(type: IcebergType, value: unknown): string {
  const result = createRecordCoercer({ type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'v', required: true, type }] })({ v: value })
  if (result.ok) throw new Error(`accepted ${String(value)} as ${String(result.row.v)}`)
  return result.reason
}
