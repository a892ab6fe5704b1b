/** Iceberg v2 and v3 manifest lists (spec: "Manifest Lists"): ManifestFile[] <-> Avro bytes, and partition field summaries. */
import { readContainer, writeContainer } from '../avro/container.ts'
import { arrayItemsOf, fieldsById, fieldValue, recordSchemaOf, toSafeNumber } from '../avro/fields.ts'
import type { AvroRecordValue, AvroValue } from '../avro/schema.ts'
import { IngestError, ValidationError } from '../errors.ts'
import { fieldSummarySchema, manifestFileSchema, type PartitionTypeField } from './avro-schemas.ts'
import { compareValues } from './single-value.ts'
import type { FieldSummary, IcebergValue, ManifestFile, PrimitiveType } from './types.ts'

// File = Avro OCF of `manifest_file` records (avro-schemas.ts); header keys as Java writes them:
// snapshot-id, parent-snapshot-id ("null" when there is none), sequence-number, format-version "2" | "3"; v3 adds
// first-row-id (the snapshot's).

export interface EncodeManifestListInput {
  snapshotId: bigint
  parentSnapshotId?: bigint
  /** The snapshot's sequence number; no listed manifest may be newer. */
  sequenceNumber: number
  manifests: ManifestFile[]
  compression?: 'deflate' | 'null'
  /** 2 (default) or 3; v3 lists carry each data manifest's first_row_id (see row-lineage.ts). */
  formatVersion?: 2 | 3
  /** v3: the snapshot's first-row-id, stored in the header as Java does. */
  firstRowId?: bigint
}

function summaryToAvro(summary: FieldSummary): AvroRecordValue {
  return {
    contains_null: summary['contains-null'],
    contains_nan: summary['contains-nan'] ?? null,
    lower_bound: summary['lower-bound'] ?? null,
    upper_bound: summary['upper-bound'] ?? null,
  }
}

function manifestToAvro(manifest: ManifestFile, formatVersion: 2 | 3): AvroRecordValue {
  return {
    manifest_path: manifest['manifest-path'],
    manifest_length: manifest['manifest-length'],
    partition_spec_id: manifest['partition-spec-id'],
    content: manifest.content,
    sequence_number: manifest['sequence-number'],
    min_sequence_number: manifest['min-sequence-number'],
    added_snapshot_id: manifest['added-snapshot-id'],
    added_files_count: manifest['added-files-count'],
    existing_files_count: manifest['existing-files-count'],
    deleted_files_count: manifest['deleted-files-count'],
    added_rows_count: manifest['added-rows-count'],
    existing_rows_count: manifest['existing-rows-count'],
    deleted_rows_count: manifest['deleted-rows-count'],
    partitions: manifest.partitions?.map(summaryToAvro) ?? null,
    key_metadata: null,
    ...(formatVersion === 3 ? { first_row_id: manifest['first-row-id'] ?? null } : {}),
  }
}

/**
 * Encode a v2 or v3 manifest list. Snapshot ids are written as exact 64-bit longs from bigint.
 * @throws ValidationError `VALIDATION` when a manifest's sequence number exceeds the snapshot's or a
 *   value does not fit its Avro type.
 */
export async function encodeManifestList(input: EncodeManifestListInput): Promise<Uint8Array> {
  for (const manifest of input.manifests) {
    if (manifest['sequence-number'] > input.sequenceNumber) {
      throw new ValidationError(
        `manifest ${manifest['manifest-path']} has sequence number ${manifest['sequence-number']}, newer than snapshot sequence number ${input.sequenceNumber}`,
        { manifest: manifest['manifest-path'] },
      )
    }
  }
  const formatVersion = input.formatVersion ?? 2
  if (formatVersion === 2 && input.manifests.some((m) => m['first-row-id'] !== undefined)) {
    throw new ValidationError('manifest first-row-id needs a v3 manifest list')
  }
  return writeContainer(
    input.manifests.map((m) => manifestToAvro(m, formatVersion)),
    {
      schema: manifestFileSchema(formatVersion),
      codec: input.compression ?? 'deflate',
      metadata: {
        'snapshot-id': String(input.snapshotId),
        'parent-snapshot-id': input.parentSnapshotId === undefined ? 'null' : String(input.parentSnapshotId),
        'sequence-number': String(input.sequenceNumber),
        ...(formatVersion === 3 && input.firstRowId !== undefined ? { 'first-row-id': String(input.firstRowId) } : {}),
        'format-version': String(formatVersion),
      },
    },
  )
}

function invalid(message: string): IngestError {
  return new IngestError('MANIFEST_LIST_INVALID', message)
}

function optionalBytes(value: AvroValue | undefined): Uint8Array | undefined {
  return value instanceof Uint8Array ? value : undefined
}

/**
 * Decode a manifest list written by this toolkit, Java or PyIceberg; fields are found by id.
 * @throws IngestError `AVRO_DECODE` for malformed Avro, `MANIFEST_LIST_INVALID` when records are
 *   not manifest_file entries.
 */
export async function decodeManifestList(bytes: Uint8Array): Promise<ManifestFile[]> {
  const container = await readContainer(bytes)
  const schema = recordSchemaOf(container.schema)
  if (!schema) throw invalid('manifest list schema is not a record')
  const fields = fieldsById(schema)
  const summaryFields = fieldsById(recordSchemaOf(arrayItemsOf(fields.get(507)?.type)) ?? fieldSummarySchema())
  return container.records.map((record): ManifestFile => {
    const value = record as AvroRecordValue
    const get = (id: number): AvroValue | undefined => fieldValue(value, fields, id)
    const path = get(500)
    if (typeof path !== 'string') throw invalid('manifest_file.manifest_path (500) is missing')
    const num = (id: number, name: string, fallback?: number): number =>
      fallback !== undefined && get(id) === undefined ? fallback : toSafeNumber(get(id), `${path} ${name}`)
    const content = num(517, 'content', 0)
    if (content !== 0 && content !== 1) throw invalid(`${path}: unknown manifest content ${content}`)
    const addedSnapshotId = get(503)
    if (typeof addedSnapshotId !== 'bigint') throw invalid(`${path}: added_snapshot_id (503) is missing`)
    const manifest: ManifestFile = {
      'manifest-path': path,
      'manifest-length': num(501, 'manifest_length'),
      'partition-spec-id': num(502, 'partition_spec_id'),
      content,
      // v1 lists have no sequence numbers: read as 0 (spec, "Manifest Lists").
      'sequence-number': num(515, 'sequence_number', 0),
      'min-sequence-number': num(516, 'min_sequence_number', 0),
      'added-snapshot-id': addedSnapshotId,
      'added-files-count': num(504, 'added_files_count'),
      'existing-files-count': num(505, 'existing_files_count'),
      'deleted-files-count': num(506, 'deleted_files_count'),
      'added-rows-count': num(512, 'added_rows_count'),
      'existing-rows-count': num(513, 'existing_rows_count'),
      'deleted-rows-count': num(514, 'deleted_rows_count'),
    }
    const firstRowId = get(520)
    if (typeof firstRowId === 'bigint') manifest['first-row-id'] = firstRowId
    else if (typeof firstRowId === 'number') manifest['first-row-id'] = BigInt(firstRowId)
    const partitions = get(507)
    if (Array.isArray(partitions)) {
      manifest.partitions = partitions.map((item): FieldSummary => {
        const s = item as AvroRecordValue
        const summary: FieldSummary = { 'contains-null': fieldValue(s, summaryFields, 509) === true }
        const nan = fieldValue(s, summaryFields, 518)
        if (typeof nan === 'boolean') summary['contains-nan'] = nan
        const lower = optionalBytes(fieldValue(s, summaryFields, 510))
        if (lower) summary['lower-bound'] = lower
        const upper = optionalBytes(fieldValue(s, summaryFields, 511))
        if (upper) summary['upper-bound'] = upper
        return summary
      })
    }
    return manifest
  })
}

// ---- Partition summaries (spec: "Manifest Lists", field_summary) ----

/**
 * One field_summary per partition field over the partition tuples of a manifest's files:
 * contains-null, contains-nan (always set; only float/double can be NaN, as Java writes it), and
 * lower/upper bounds of the non-null, non-NaN values in Iceberg order (signed numbers, -0 before
 * +0, strings by code point, binary unsigned) serialized with `encodeBound` (Iceberg's single-value
 * binary form, spec Appendix D; pass `encodeSingleValue`).
 * @throws ValidationError `VALIDATION` when a tuple has the wrong arity or values of mixed kinds.
 */
export function summarizePartitions(
  partitionType: PartitionTypeField[],
  partitions: IcebergValue[][],
  encodeBound: (type: PrimitiveType, value: IcebergValue) => Uint8Array,
): FieldSummary[] {
  for (const tuple of partitions) {
    if (tuple.length !== partitionType.length) {
      throw new ValidationError(`partition tuple has ${tuple.length} values, the spec has ${partitionType.length} fields`)
    }
  }
  return partitionType.map((field, i) => {
    let containsNull = false
    let containsNaN = false
    let lower: IcebergValue = null
    let upper: IcebergValue = null
    for (const tuple of partitions) {
      const value = tuple[i] ?? null
      if (value === null) containsNull = true
      else if (typeof value === 'number' && Number.isNaN(value)) containsNaN = true
      else {
        if (lower === null || compareValues(field.type, value, lower) < 0) lower = value
        if (upper === null || compareValues(field.type, value, upper) > 0) upper = value
      }
    }
    const summary: FieldSummary = { 'contains-null': containsNull, 'contains-nan': containsNaN }
    if (lower !== null) summary['lower-bound'] = encodeBound(field.type, lower)
    if (upper !== null) summary['upper-bound'] = encodeBound(field.type, upper)
    return summary
  })
}
