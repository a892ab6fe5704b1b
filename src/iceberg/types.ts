/**
 * The Iceberg table format (v1 read, v2 and v3 read and written) as plain data. Names and shapes follow the spec's JSON
 * serialization (format/spec.md, "Appendix C: JSON serialization") verbatim, so the model
 * is also the wire form; the only difference is that 64-bit ids are `bigint` here.
 */

// ---- Types (spec: "Schemas and Data Types") ----

export type PrimitiveType =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  /** v3: nanoseconds since the epoch (Parquet TIMESTAMP(NANOS)). */
  | 'timestamp_ns'
  | 'timestamptz_ns'
  | 'string'
  | 'uuid'
  | 'binary'
  | `decimal(${number},${number})`
  | `fixed[${number}]`
  /** v3: semi-structured values (any JSON-like value), stored in Parquet as the variant encoding (metadata + value). */
  | 'variant'

/** A JSON value as serde/json.ts parseJson returns it (integers past 2^53 as bigint); column defaults keep this form. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue }

export interface NestedField {
  id: number
  name: string
  required: boolean
  type: IcebergType
  doc?: string
  /**
   * v3 (spec "Default values"): the value of this field for rows written before it existed, in the
   * JSON single-value serialization of its type (spec Appendix D); set only when the field is added.
   */
  'initial-default'?: JsonValue
  /** v3: the value writers use when a row gives none for this field; JSON single-value form. */
  'write-default'?: JsonValue
}

export interface StructType {
  type: 'struct'
  fields: NestedField[]
}

export interface ListType {
  type: 'list'
  'element-id': number
  element: IcebergType
  'element-required': boolean
}

export interface MapType {
  type: 'map'
  'key-id': number
  key: IcebergType
  'value-id': number
  value: IcebergType
  'value-required': boolean
}

export type IcebergType = PrimitiveType | StructType | ListType | MapType

export interface Schema extends StructType {
  'schema-id': number
  'identifier-field-ids'?: number[]
}

// ---- Row values ----
/**
 * How a value of each Iceberg type is held in memory (the canonical form every encoder,
 * transform and writer in this toolkit consumes; sources coerce input into it):
 * boolean → boolean; int, date (days since epoch) → number; long → bigint;
 * float, double → number; decimal(P,S) → bigint unscaled value; time (µs since midnight),
 * timestamp, timestamptz (µs since epoch), timestamp_ns, timestamptz_ns (ns since epoch) → bigint; string → string; uuid → string (canonical
 * hyphenated, lower case); fixed, binary → Uint8Array; struct → object keyed by field name;
 * list → array; map → Map; variant → the JSON-like value itself (null, boolean, number, bigint,
 * string, Uint8Array, arrays and plain objects; a top-level null is a null column value, nulls inside
 * are variant nulls). Null is `null` (or a missing key in a struct).
 */
export type IcebergValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | IcebergValue[]
  | Map<IcebergValue, IcebergValue>
  | Row

export interface Row {
  [name: string]: IcebergValue | undefined
}

// ---- Partitioning (spec: "Partitioning", "Partition Transforms") ----

/** `identity`, `bucket[N]`, `truncate[W]`, `year`, `month`, `day`, `hour`, `void`. */
export type Transform =
  | 'identity'
  | 'year'
  | 'month'
  | 'day'
  | 'hour'
  | 'void'
  | `bucket[${number}]`
  | `truncate[${number}]`

export interface PartitionField {
  'source-id': number
  'field-id': number
  name: string
  transform: Transform
}

export interface PartitionSpec {
  'spec-id': number
  fields: PartitionField[]
}

export interface SortField {
  transform: Transform
  'source-id': number
  direction: 'asc' | 'desc'
  'null-order': 'nulls-first' | 'nulls-last'
}

export interface SortOrder {
  'order-id': number
  fields: SortField[]
}

// ---- Snapshots (spec: "Snapshots") ----

export type SnapshotOperation = 'append' | 'replace' | 'overwrite' | 'delete'

export interface SnapshotSummary {
  operation: SnapshotOperation
  [key: string]: string
}

export interface Snapshot {
  'snapshot-id': bigint
  'parent-snapshot-id'?: bigint
  'sequence-number': number
  'timestamp-ms': number
  'manifest-list': string
  summary: SnapshotSummary
  'schema-id'?: number
  /** v3 row lineage: the first row id assigned to this snapshot's new rows (the table's next-row-id at commit). */
  'first-row-id'?: bigint
  /** v3 row lineage: how many row ids this snapshot reserved (next-row-id advances by this much). */
  'added-rows'?: bigint
}

export interface SnapshotRef {
  'snapshot-id': bigint
  type: 'branch' | 'tag'
  'max-ref-age-ms'?: number
  'max-snapshot-age-ms'?: number
  'min-snapshots-to-keep'?: number
}

export interface SnapshotLogEntry {
  'snapshot-id': bigint
  'timestamp-ms': number
}

export interface MetadataLogEntry {
  'metadata-file': string
  'timestamp-ms': number
}

/** spec: "Table Statistics" — a Puffin file of one snapshot's statistics (written by other engines; kept, not read). */
export interface StatisticsFile {
  'snapshot-id': bigint
  'statistics-path': string
  'file-size-in-bytes': bigint
  'file-footer-size-in-bytes': bigint
  'key-metadata'?: string
  'blob-metadata': BlobMetadata[]
}

export interface BlobMetadata {
  type: string
  'snapshot-id': bigint
  'sequence-number': bigint
  fields: number[]
  properties?: Record<string, string>
}

/** spec: "Partition Statistics" — one snapshot's partition statistics file. */
export interface PartitionStatisticsFile {
  'snapshot-id': bigint
  'statistics-path': string
  'file-size-in-bytes': bigint
}

// ---- Table metadata (spec: "Table Metadata Fields") ----

/** 1 is read only (tables written by others); 2 and 3 are read and written. */
export type FormatVersion = 1 | 2 | 3

export interface TableMetadata {
  'format-version': FormatVersion
  'table-uuid': string
  location: string
  'last-sequence-number': number
  'last-updated-ms': number
  'last-column-id': number
  schemas: Schema[]
  'current-schema-id': number
  'partition-specs': PartitionSpec[]
  'default-spec-id': number
  'last-partition-id': number
  properties: Record<string, string>
  'current-snapshot-id'?: bigint
  snapshots: Snapshot[]
  'snapshot-log': SnapshotLogEntry[]
  'metadata-log': MetadataLogEntry[]
  'sort-orders': SortOrder[]
  'default-sort-order-id': number
  refs: Record<string, SnapshotRef>
  /** Absent and empty are the same; other engines' statistics are carried through our commits. */
  statistics?: StatisticsFile[]
  'partition-statistics'?: PartitionStatisticsFile[]
  /** v3 row lineage (required there): the first row id the next snapshot's new rows get. */
  'next-row-id'?: bigint
}

// ---- Data files and manifests (spec: "Manifests") ----

/** PUFFIN: v3 deletion vectors (a blob inside a Puffin file, located by content-offset / content-size-in-bytes). */
export type FileFormat = 'PARQUET' | 'AVRO' | 'ORC' | 'PUFFIN'

/** content: 0 data, 1 position deletes, 2 equality deletes. Column maps are keyed by field id. */
export interface DataFile {
  content: 0 | 1 | 2
  'file-path': string
  'file-format': FileFormat
  /** Partition tuple in spec-field order, values in the transform's result form (see transforms). */
  partition: IcebergValue[]
  'record-count': number
  'file-size-in-bytes': number
  'column-sizes'?: Map<number, number>
  'value-counts'?: Map<number, number>
  'null-value-counts'?: Map<number, number>
  'nan-value-counts'?: Map<number, number>
  /** Single-value binary serialization (spec Appendix D). */
  'lower-bounds'?: Map<number, Uint8Array>
  'upper-bounds'?: Map<number, Uint8Array>
  'split-offsets'?: bigint[]
  'sort-order-id'?: number
  /**
   * v3 (field 142): the row id of the file's first row. Absent on newly added files, which inherit
   * it from their manifest's first-row-id (spec "Row Lineage"); readers see it made explicit.
   */
  'first-row-id'?: bigint
  /** v3 (field 143): for deletion vectors and position deletes of one file, the data file they apply to. */
  'referenced-data-file'?: string
  /** v3 (field 144): byte offset of a deletion vector blob within its Puffin file. */
  'content-offset'?: number
  /** v3 (field 145): byte length of that blob. */
  'content-size-in-bytes'?: number
}

/** status: 0 EXISTING, 1 ADDED, 2 DELETED. */
export interface ManifestEntry {
  status: 0 | 1 | 2
  'snapshot-id'?: bigint
  'sequence-number'?: number
  'file-sequence-number'?: number
  'data-file': DataFile
}

export interface FieldSummary {
  'contains-null': boolean
  'contains-nan'?: boolean
  'lower-bound'?: Uint8Array
  'upper-bound'?: Uint8Array
}

/** An entry of a manifest list (spec: "Manifest Lists"). content: 0 data, 1 deletes. */
export interface ManifestFile {
  'manifest-path': string
  'manifest-length': number
  'partition-spec-id': number
  content: 0 | 1
  'sequence-number': number
  'min-sequence-number': number
  'added-snapshot-id': bigint
  'added-files-count': number
  'existing-files-count': number
  'deleted-files-count': number
  'added-rows-count': number
  'existing-rows-count': number
  'deleted-rows-count': number
  partitions?: FieldSummary[]
  /** v3 (field 520), data manifests only: the first row id of the manifest's files that inherit one. */
  'first-row-id'?: bigint
}

// ---- Identifiers ----

export interface TableIdentifier {
  namespace: string[]
  name: string
}
