/**
 * The Iceberg table format (v2) as plain data. Names and shapes follow the spec's JSON
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
  | 'string'
  | 'uuid'
  | 'binary'
  | `decimal(${number},${number})`
  | `fixed[${number}]`

export interface NestedField {
  id: number
  name: string
  required: boolean
  type: IcebergType
  doc?: string
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
 * timestamp, timestamptz (µs since epoch) → bigint; string → string; uuid → string (canonical
 * hyphenated, lower case); fixed, binary → Uint8Array; struct → object keyed by field name;
 * list → array; map → Map. Null is `null` (or a missing key in a struct).
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

// ---- Table metadata (spec: "Table Metadata Fields", format version 2) ----

export interface TableMetadata {
  'format-version': 2
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
}

// ---- Data files and manifests (spec: "Manifests") ----

export type FileFormat = 'PARQUET' | 'AVRO' | 'ORC'

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
}

// ---- Identifiers ----

export interface TableIdentifier {
  namespace: string[]
  name: string
}
