/** Iceberg v2 and v3 manifest files (spec: "Manifests"): ManifestEntry[] <-> Avro object container bytes (v1 read too). */
import { readContainer, writeContainer } from '../avro/container.ts'
import { fieldsById, fieldValue, recordSchemaOf, toSafeNumber } from '../avro/fields.ts'
import type { AvroRecord, AvroRecordValue, AvroValue } from '../avro/schema.ts'
import { IngestError, ValidationError } from '../errors.ts'
import {
  avroName,
  manifestEntrySchema,
  partitionValueFromAvro,
  partitionValueToAvro,
  type PartitionTypeField,
} from './avro-schemas.ts'
import type { DataFile, FileFormat, IcebergValue, ManifestEntry, PartitionSpec, Schema } from './types.ts'

// File = Avro OCF whose records are `manifest_entry` (avro-schemas.ts) and whose header carries,
// as Java writes them: schema, schema-id, partition-spec (fields array), partition-spec-id,
// format-version "2" | "3", content "data" | "deletes", plus avro.schema and avro.codec.

export interface EncodeManifestInput {
  /** Table schema the files were written with (stored as the `schema` metadata key). */
  schema: Schema
  spec: PartitionSpec
  /** The spec's partition tuple type, in spec-field order (see partition-type.ts). */
  partitionType: PartitionTypeField[]
  entries: ManifestEntry[]
  /** 2 (default) or 3: v3 manifests carry first_row_id and the deletion-vector fields (142-145). */
  formatVersion?: 2 | 3
  /** 0 data (default), 1 deletes. */
  content?: 0 | 1
  compression?: 'deflate' | 'null'
}

export interface DecodedManifest {
  /** Every header key, `avro.schema` and `avro.codec` included. */
  metadata: Record<string, string>
  entries: ManifestEntry[]
}

function checkInput(input: EncodeManifestInput): void {
  const { spec, partitionType } = input
  const version = input.formatVersion ?? 2
  if (version !== 2 && version !== 3) {
    throw new ValidationError(`only format version 2 and 3 manifests are written, got ${String(input.formatVersion)}`)
  }
  const specIds = spec.fields.map((f) => f['field-id'])
  const typeIds = partitionType.map((f) => f.fieldId)
  if (specIds.join(',') !== typeIds.join(',')) {
    throw new ValidationError(`partition type field ids [${typeIds}] do not match spec ${spec['spec-id']} field ids [${specIds}]`, {
      specId: spec['spec-id'],
    })
  }
  const content = input.content ?? 0
  for (const entry of input.entries) {
    const file = entry['data-file']
    if (file.partition.length !== partitionType.length) {
      throw new ValidationError(`${file['file-path']}: partition tuple has ${file.partition.length} values, spec ${spec['spec-id']} has ${partitionType.length} fields`, {
        file: file['file-path'],
      })
    }
    if (version === 2 && (file['first-row-id'] !== undefined || file['referenced-data-file'] !== undefined || file['content-offset'] !== undefined || file['content-size-in-bytes'] !== undefined)) {
      throw new ValidationError(`${file['file-path']}: first-row-id, referenced-data-file and content offsets/sizes need a v3 manifest`, { file: file['file-path'] })
    }
    // Spec: a manifest holds data files or delete files, never both.
    if ((content === 0) !== (file.content === 0)) {
      throw new ValidationError(`${file['file-path']}: content ${file.content} cannot go in a ${content === 0 ? 'data' : 'delete'} manifest`, {
        file: file['file-path'],
      })
    }
  }
}

function mapToArray(map: Map<number, number | Uint8Array> | undefined): AvroValue {
  if (map === undefined) return null
  const items: AvroValue[] = []
  for (const [key, value] of map) items.push({ key, value })
  return items
}

function entryToAvro(entry: ManifestEntry, partitionType: PartitionTypeField[], formatVersion: 2 | 3): AvroRecordValue {
  const file = entry['data-file']
  const partition: AvroRecordValue = {}
  partitionType.forEach((field, i) => {
    partition[avroName(field.name)] = partitionValueToAvro(field, file.partition[i])
  })
  return {
    status: entry.status,
    snapshot_id: entry['snapshot-id'] ?? null,
    sequence_number: entry['sequence-number'] ?? null,
    file_sequence_number: entry['file-sequence-number'] ?? null,
    data_file: {
      content: file.content,
      file_path: file['file-path'],
      file_format: file['file-format'],
      partition,
      record_count: file['record-count'],
      file_size_in_bytes: file['file-size-in-bytes'],
      column_sizes: mapToArray(file['column-sizes']),
      value_counts: mapToArray(file['value-counts']),
      null_value_counts: mapToArray(file['null-value-counts']),
      nan_value_counts: mapToArray(file['nan-value-counts']),
      lower_bounds: mapToArray(file['lower-bounds']),
      upper_bounds: mapToArray(file['upper-bounds']),
      key_metadata: null,
      split_offsets: file['split-offsets'] ?? null,
      equality_ids: null,
      sort_order_id: file['sort-order-id'] ?? null,
      ...(formatVersion === 3
        ? {
            // Spec "Row Lineage": only data files have row ids; null on new files means "inherit from the manifest".
            first_row_id: file.content === 0 ? (file['first-row-id'] ?? null) : null,
            referenced_data_file: file['referenced-data-file'] ?? null,
            content_offset: file['content-offset'] ?? null,
            content_size_in_bytes: file['content-size-in-bytes'] ?? null,
          }
        : {}),
    },
  }
}

/**
 * Encode a v2 or v3 manifest. Snapshot ids are written as exact 64-bit longs from bigint.
 * @throws ValidationError `VALIDATION` when the partition type does not match the spec, a tuple has
 *   the wrong arity, a file's content does not match the manifest's, or a value does not fit its type.
 */
export async function encodeManifest(input: EncodeManifestInput): Promise<Uint8Array> {
  checkInput(input)
  const formatVersion = input.formatVersion ?? 2
  return writeContainer(
    input.entries.map((entry) => entryToAvro(entry, input.partitionType, formatVersion)),
    {
      schema: manifestEntrySchema(input.partitionType, formatVersion),
      codec: input.compression ?? 'deflate',
      metadata: {
        schema: JSON.stringify(input.schema),
        'schema-id': String(input.schema['schema-id']),
        'partition-spec': JSON.stringify(input.spec.fields),
        'partition-spec-id': String(input.spec['spec-id']),
        'format-version': String(formatVersion),
        content: (input.content ?? 0) === 1 ? 'deletes' : 'data',
      },
    },
  )
}

function invalid(message: string): IngestError {
  return new IngestError('MANIFEST_INVALID', message)
}

function toBigInt(value: AvroValue | undefined, what: string): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
  throw invalid(`${what} is not a long`)
}

function intMap<V>(value: AvroValue | undefined, what: string, convert: (v: AvroValue | undefined) => V): Map<number, V> | undefined {
  if (value === null || value === undefined) return undefined
  if (!Array.isArray(value)) throw invalid(`${what} is not an array of key/value records`)
  const map = new Map<number, V>()
  for (const item of value) {
    const kv = item as AvroRecordValue
    map.set(toSafeNumber(kv.key, `${what} key`), convert(kv.value))
  }
  return map
}

const FORMATS: Record<string, FileFormat> = { parquet: 'PARQUET', avro: 'AVRO', orc: 'ORC', puffin: 'PUFFIN' }

function dataFileFromAvro(value: AvroRecordValue, schema: AvroRecord): DataFile {
  const fields = fieldsById(schema)
  const get = (id: number): AvroValue | undefined => fieldValue(value, fields, id)
  const path = get(100)
  if (typeof path !== 'string') throw invalid('data_file.file_path (100) is missing')
  const format = FORMATS[String(get(101)).toLowerCase()]
  if (!format) throw invalid(`${path}: unknown file_format ${JSON.stringify(get(101))}`)
  // v1 files have no content field: they are data files (spec, Appendix E).
  const content = get(134) === undefined ? 0 : toSafeNumber(get(134), 'data_file.content')
  if (content !== 0 && content !== 1 && content !== 2) throw invalid(`${path}: unknown content ${content}`)

  const partitionSchema = recordSchemaOf(fields.get(102)?.type)
  const partitionValue = get(102) as AvroRecordValue | undefined
  const partition: IcebergValue[] = (partitionSchema?.fields ?? []).map((field) =>
    partitionValueFromAvro(field.type, partitionValue?.[field.name] ?? null),
  )
  const count = (v: AvroValue | undefined): number => toSafeNumber(v, `${path} metric`)
  const bytes = (v: AvroValue | undefined): Uint8Array => {
    if (!(v instanceof Uint8Array)) throw invalid(`${path}: bound is not bytes`)
    return v
  }
  const file: DataFile = {
    content,
    'file-path': path,
    'file-format': format,
    partition,
    'record-count': toSafeNumber(get(103), `${path} record_count`),
    'file-size-in-bytes': toSafeNumber(get(104), `${path} file_size_in_bytes`),
  }
  const columnSizes = intMap(get(108), 'column_sizes', count)
  if (columnSizes) file['column-sizes'] = columnSizes
  const valueCounts = intMap(get(109), 'value_counts', count)
  if (valueCounts) file['value-counts'] = valueCounts
  const nullCounts = intMap(get(110), 'null_value_counts', count)
  if (nullCounts) file['null-value-counts'] = nullCounts
  const nanCounts = intMap(get(137), 'nan_value_counts', count)
  if (nanCounts) file['nan-value-counts'] = nanCounts
  const lower = intMap(get(125), 'lower_bounds', bytes)
  if (lower) file['lower-bounds'] = lower
  const upper = intMap(get(128), 'upper_bounds', bytes)
  if (upper) file['upper-bounds'] = upper
  const splits = get(132)
  if (Array.isArray(splits)) file['split-offsets'] = splits.map((s) => toBigInt(s, `${path} split_offsets`))
  const sortOrder = get(140)
  if (sortOrder !== null && sortOrder !== undefined) file['sort-order-id'] = toSafeNumber(sortOrder, `${path} sort_order_id`)
  const firstRowId = get(142)
  if (firstRowId !== null && firstRowId !== undefined) file['first-row-id'] = toBigInt(firstRowId, `${path} first_row_id`)
  const referenced = get(143)
  if (typeof referenced === 'string') file['referenced-data-file'] = referenced
  const contentOffset = get(144)
  if (contentOffset !== null && contentOffset !== undefined) file['content-offset'] = toSafeNumber(contentOffset, `${path} content_offset`)
  const contentSize = get(145)
  if (contentSize !== null && contentSize !== undefined) file['content-size-in-bytes'] = toSafeNumber(contentSize, `${path} content_size_in_bytes`)
  return file
}

/**
 * Decode a manifest written by this toolkit, Java or PyIceberg. Fields are found by field id;
 * the partition tuple is read with the file's own `r102` schema, in its field order.
 * @throws IngestError `AVRO_DECODE` for malformed Avro, `MANIFEST_INVALID` when the records are
 *   not manifest entries (missing required fields, unknown status/content/format).
 */
export async function decodeManifest(bytes: Uint8Array): Promise<DecodedManifest> {
  const container = await readContainer(bytes)
  const entrySchema = recordSchemaOf(container.schema)
  if (!entrySchema) throw invalid('manifest schema is not a record')
  const fields = fieldsById(entrySchema)
  const dataFileSchema = recordSchemaOf(fields.get(2)?.type)
  if (!dataFileSchema) throw invalid('manifest_entry has no data_file record (field 2)')
  const entries = container.records.map((record): ManifestEntry => {
    const value = record as AvroRecordValue
    const get = (id: number): AvroValue | undefined => fieldValue(value, fields, id)
    const status = toSafeNumber(get(0), 'manifest_entry.status')
    if (status !== 0 && status !== 1 && status !== 2) throw invalid(`unknown manifest entry status ${status}`)
    const entry: ManifestEntry = { status, 'data-file': dataFileFromAvro(get(2) as AvroRecordValue, dataFileSchema) }
    const snapshotId = get(1)
    if (snapshotId !== null && snapshotId !== undefined) entry['snapshot-id'] = toBigInt(snapshotId, 'manifest_entry.snapshot_id')
    const sequence = get(3)
    if (sequence !== null && sequence !== undefined) entry['sequence-number'] = toSafeNumber(sequence, 'sequence_number')
    const fileSequence = get(4)
    if (fileSequence !== null && fileSequence !== undefined) entry['file-sequence-number'] = toSafeNumber(fileSequence, 'file_sequence_number')
    return entry
  })
  return { metadata: container.metadata, entries }
}
