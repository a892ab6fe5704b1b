/** The v2 and v3 manifest and manifest-list Avro schemas as data, with the spec's field ids, and partition values in Avro form. */
import type { AvroArray, AvroField, AvroFixed, AvroRecord, AvroSchema, AvroValue } from '../avro/schema.ts'
import { ValidationError } from '../errors.ts'
import { decimalRequiredBytes, fixedBigEndian, fromBigEndian } from './big-endian.ts'
import { parsePrimitive } from './schema.ts'
import { uuidFromBytes, uuidToBytes } from './single-value.ts'
import type { IcebergValue, PrimitiveType } from './types.ts'

// Spec: "Manifests" (manifest_entry, data_file, v2 and v3), "Manifest Lists" (manifest_file, field_summary),
// "Appendix A: Format-specific Requirements — Avro" (type mapping, field-id placement, maps with
// non-string keys as arrays of key/value records named k<key-id>_v<value-id> with logicalType map).

/** One partition field as a manifest stores it: the spec field's name and id, the transform's result type. */
export interface PartitionTypeField {
  name: string
  fieldId: number
  type: PrimitiveType
}

const optional = (name: string, id: number, type: AvroSchema, doc?: string): AvroField => ({
  name,
  type: ['null', type],
  default: null,
  'field-id': id,
  ...(doc ? { doc } : {}),
})

const required = (name: string, id: number, type: AvroSchema, doc?: string): AvroField => ({
  name,
  type,
  'field-id': id,
  ...(doc ? { doc } : {}),
})

/** An Iceberg map<int, V> as Avro: array of `k<keyId>_v<valueId>` records, logicalType map. */
function intKeyedMap(keyId: number, valueId: number, value: AvroSchema): AvroArray {
  return {
    type: 'array',
    logicalType: 'map',
    items: {
      type: 'record',
      name: `k${keyId}_v${valueId}`,
      fields: [required('key', keyId, 'int'), required('value', valueId, value)],
    },
  }
}

/**
 * The Avro type of a value of Iceberg `type` (Appendix A). Named fixed types are taken from
 * `named` so a schema defines each name once, as Avro requires; names follow Java's
 * (`uuid_fixed`, `fixed_L`, `decimal_P_S`).
 * @throws ValidationError `VALIDATION` for an unknown type string.
 */
export function avroTypeOf(type: PrimitiveType, named: Map<string, AvroFixed> = new Map()): AvroSchema {
  const fixed = (name: string, size: number, extra: Partial<AvroFixed> = {}): AvroFixed => {
    let schema = named.get(name)
    if (!schema) named.set(name, (schema = { type: 'fixed', name, size, ...extra }))
    return schema
  }
  const parsed = parsePrimitive(type)
  switch (parsed.kind) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return parsed.kind
    case 'binary':
      return 'bytes'
    case 'date':
      return { type: 'int', logicalType: 'date' }
    case 'time':
      return { type: 'long', logicalType: 'time-micros' }
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false }
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true }
    case 'timestamp_ns':
      return { type: 'long', logicalType: 'timestamp-nanos', 'adjust-to-utc': false }
    case 'timestamptz_ns':
      return { type: 'long', logicalType: 'timestamp-nanos', 'adjust-to-utc': true }
    case 'variant':
      // Only partition values and bounds reach Avro here, and variant has neither.
      throw new ValidationError('variant values cannot be written to a manifest (no partition transform or bound takes a variant)', { type })
    case 'uuid':
      return fixed('uuid_fixed', 16, { logicalType: 'uuid' })
    case 'fixed':
      return fixed(`fixed_${parsed.length}`, parsed.length)
    case 'decimal':
      return fixed(`decimal_${parsed.precision}_${parsed.scale}`, decimalRequiredBytes(parsed.precision), {
        logicalType: 'decimal',
        precision: parsed.precision,
        scale: parsed.scale,
      })
  }
}

/**
 * An Avro-compatible name, as Java's AvroSchemaUtil.makeCompatibleName: a leading digit gets a `_`
 * prefix, any other invalid character becomes `_x` + its code point in upper-case hex.
 */
export function avroName(name: string): string {
  let out = ''
  for (const ch of name) {
    const valid = /[A-Za-z_]/.test(ch) || (out.length > 0 && /[0-9]/.test(ch))
    if (valid) out += ch
    else if (out.length === 0 && /[0-9]/.test(ch)) out += `_${ch}`
    else out += `_x${ch.codePointAt(0)!.toString(16).toUpperCase()}`
  }
  return out.length > 0 ? out : '_'
}

/** The `r102` partition record: each spec field, optional, with its partition field id. */
export function partitionRecordSchema(partitionType: PartitionTypeField[]): AvroRecord {
  const named = new Map<string, AvroFixed>()
  return {
    type: 'record',
    name: 'r102',
    fields: partitionType.map((field) => {
      const name = avroName(field.name)
      return {
        ...optional(name, field.fieldId, avroTypeOf(field.type, named)),
        ...(name !== field.name ? { 'iceberg-field-name': field.name } : {}),
      }
    }),
  }
}

/**
 * The `manifest_entry` schema for a manifest of one partition spec. v3 adds to data_file, as optional fields:
 * first_row_id (142, row lineage), referenced_data_file (143), content_offset (144) and content_size_in_bytes
 * (145) — the last three for deletion vectors, whose blob sits at an offset inside a Puffin file.
 */
export function manifestEntrySchema(partitionType: PartitionTypeField[], formatVersion: 2 | 3 = 2): AvroRecord {
  const v3Fields: AvroField[] =
    formatVersion === 3
      ? [
          optional('first_row_id', 142, 'long', 'Starting row ID to assign to new rows'),
          optional('referenced_data_file', 143, 'string', 'Fully qualified location (URI with FS scheme) of a data file that all deletes reference'),
          optional('content_offset', 144, 'long', 'The offset in the file where the content starts'),
          optional('content_size_in_bytes', 145, 'long', 'The length of referenced content stored in the file'),
        ]
      : []
  const dataFile: AvroRecord = {
    type: 'record',
    name: 'r2',
    fields: [
      required('content', 134, 'int', 'Contents of the file: 0=data, 1=position deletes, 2=equality deletes'),
      required('file_path', 100, 'string', 'Location URI with FS scheme'),
      required('file_format', 101, 'string', 'File format name: avro, orc, or parquet'),
      required('partition', 102, partitionRecordSchema(partitionType), 'Partition data tuple, schema based on the partition spec'),
      required('record_count', 103, 'long', 'Number of records in the file'),
      required('file_size_in_bytes', 104, 'long', 'Total file size in bytes'),
      optional('column_sizes', 108, intKeyedMap(117, 118, 'long'), 'Map of column id to total size on disk'),
      optional('value_counts', 109, intKeyedMap(119, 120, 'long'), 'Map of column id to total count, including null and NaN'),
      optional('null_value_counts', 110, intKeyedMap(121, 122, 'long'), 'Map of column id to null value count'),
      optional('nan_value_counts', 137, intKeyedMap(138, 139, 'long'), 'Map of column id to number of NaN values in the column'),
      optional('lower_bounds', 125, intKeyedMap(126, 127, 'bytes'), 'Map of column id to lower bound'),
      optional('upper_bounds', 128, intKeyedMap(129, 130, 'bytes'), 'Map of column id to upper bound'),
      optional('key_metadata', 131, 'bytes', 'Encryption key metadata blob'),
      optional('split_offsets', 132, { type: 'array', items: 'long', 'element-id': 133 }, 'Splittable offsets'),
      optional('equality_ids', 135, { type: 'array', items: 'int', 'element-id': 136 }, 'Equality comparison field IDs'),
      optional('sort_order_id', 140, 'int', 'Sort order ID'),
      ...v3Fields,
    ],
  }
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      required('status', 0, 'int'),
      optional('snapshot_id', 1, 'long'),
      optional('sequence_number', 3, 'long'),
      optional('file_sequence_number', 4, 'long'),
      required('data_file', 2, dataFile),
    ],
  }
}

/** The v2 `field_summary` record (`r508`): one per partition field in a manifest-list entry. */
export function fieldSummarySchema(): AvroRecord {
  return {
    type: 'record',
    name: 'r508',
    fields: [
      required('contains_null', 509, 'boolean', 'True if any file has a null partition value'),
      optional('contains_nan', 518, 'boolean', 'True if any file has a nan partition value'),
      optional('lower_bound', 510, 'bytes', 'Partition lower bound for all files'),
      optional('upper_bound', 511, 'bytes', 'Partition upper bound for all files'),
    ],
  }
}

/** The `manifest_file` schema of a manifest list; v3 adds first_row_id (520, row lineage of data manifests). */
export function manifestFileSchema(formatVersion: 2 | 3 = 2): AvroRecord {
  return {
    type: 'record',
    name: 'manifest_file',
    fields: [
      required('manifest_path', 500, 'string', 'Location URI with FS scheme'),
      required('manifest_length', 501, 'long', 'Total file size in bytes'),
      required('partition_spec_id', 502, 'int', 'Spec ID used to write'),
      required('content', 517, 'int', 'Contents of the manifest: 0=data, 1=deletes'),
      required('sequence_number', 515, 'long', 'Sequence number when the manifest was added'),
      required('min_sequence_number', 516, 'long', 'Lowest sequence number in the manifest'),
      required('added_snapshot_id', 503, 'long', 'Snapshot ID that added the manifest'),
      required('added_files_count', 504, 'int', 'Added entry count'),
      required('existing_files_count', 505, 'int', 'Existing entry count'),
      required('deleted_files_count', 506, 'int', 'Deleted entry count'),
      required('added_rows_count', 512, 'long', 'Added rows count'),
      required('existing_rows_count', 513, 'long', 'Existing rows count'),
      required('deleted_rows_count', 514, 'long', 'Deleted rows count'),
      optional('partitions', 507, { type: 'array', items: fieldSummarySchema(), 'element-id': 508 }, 'Summary for each partition'),
      optional('key_metadata', 519, 'bytes', 'Encryption key metadata blob'),
      ...(formatVersion === 3 ? [optional('first_row_id', 520, 'long', 'Starting row ID to assign to new rows in ADDED data files')] : []),
    ],
  }
}

// ---- Partition values: canonical in-memory form (types.ts "Row values") <-> Avro form ----

function wrongPartitionValue(field: PartitionTypeField, value: IcebergValue, expected: string): ValidationError {
  const shown = typeof value === 'bigint' ? `${value}n` : value instanceof Uint8Array ? `Uint8Array(${value.length})` : JSON.stringify(value)
  return new ValidationError(`partition field ${field.name} (${field.type}) must be ${expected}, got ${shown}`, {
    field: field.name,
    type: field.type,
  })
}

/**
 * A partition value in the form the Avro encoder writes for `avroTypeOf(field.type)`: uuid
 * strings become 16 bytes, decimal unscaled bigints become fixed two's-complement bytes;
 * everything else is already in Avro form (the encoder checks ranges and kinds).
 * @throws ValidationError `VALIDATION` when the value is not in the canonical form of the field's type.
 */
export function partitionValueToAvro(field: PartitionTypeField, value: IcebergValue | undefined): AvroValue {
  if (value === null || value === undefined) return null
  const parsed = parsePrimitive(field.type)
  switch (parsed.kind) {
    case 'uuid':
      if (typeof value !== 'string') throw wrongPartitionValue(field, value, 'a uuid string')
      return uuidToBytes(value)
    case 'decimal': {
      if (typeof value !== 'bigint') throw wrongPartitionValue(field, value, 'a bigint unscaled value')
      const bytes = fixedBigEndian(value, decimalRequiredBytes(parsed.precision))
      if (!bytes) throw wrongPartitionValue(field, value, `an unscaled value within precision ${parsed.precision}`)
      return bytes
    }
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      if (typeof value !== 'bigint') throw wrongPartitionValue(field, value, 'a bigint')
      return value
    case 'int':
    case 'date':
      if (typeof value !== 'number') throw wrongPartitionValue(field, value, 'a number')
      return value
    default:
      if (value instanceof Map || Array.isArray(value) || (typeof value === 'object' && !(value instanceof Uint8Array))) {
        throw wrongPartitionValue(field, value, 'a primitive value')
      }
      return value
  }
}

/**
 * A value read with Avro `schema` in canonical in-memory form, driven by the file's own
 * schema: fixed/uuid → uuid string, decimal (fixed or bytes) → bigint unscaled value, other
 * fixed and bytes → Uint8Array, int/date → number, long/time/timestamps → bigint.
 */
export function partitionValueFromAvro(schema: AvroSchema, value: AvroValue): IcebergValue {
  if (value === null) return null
  if (Array.isArray(schema)) {
    const branch = schema.find((b) => b !== 'null')
    return branch === undefined ? null : partitionValueFromAvro(branch, value)
  }
  const logicalType = typeof schema === 'object' && 'logicalType' in schema ? schema.logicalType : undefined
  if (logicalType !== undefined && value instanceof Uint8Array) {
    if (logicalType === 'uuid' && value.length === 16) return uuidFromBytes(value)
    if (logicalType === 'decimal') return fromBigEndian(value)
  }
  return value as IcebergValue
}
