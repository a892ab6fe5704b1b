/** Table metadata: creation with fresh ids, lookups, and the metadata log (spec: "Table Metadata"). */
import { ValidationError } from '../errors.ts'
import { assignFreshIds, checkSchemaForFormat, indexById, indexByName, isPrimitive, maxFieldId, validateSchema } from './schema.ts'
import { canTransform } from './transforms.ts'
import type { PartitionSpec, Schema, Snapshot, SortOrder, TableMetadata } from './types.ts'

export { applyUpdate, applyUpdates, newApplyContext, type ApplyContext } from './apply-update.ts'
export { checkRequirement, checkRequirements } from './check-requirement.ts'

/** Partition field ids start here (spec: "Partition Evolution"); an unpartitioned table's last-partition-id is one below. */
export const PARTITION_FIELD_ID_START = 1000
export const METADATA_PREVIOUS_VERSIONS_MAX = 'write.metadata.previous-versions-max'
const METADATA_PREVIOUS_VERSIONS_MAX_DEFAULT = 100

/** The REST spec's CreateTableRequest (the fields the toolkit sends): what newTableMetadata builds a table from. */
export interface CreateTableRequest {
  name: string
  schema: Schema
  'partition-spec'?: PartitionSpec
  'write-order'?: SortOrder
  location?: string
  properties?: Record<string, string>
}

/** Maps a source id of the request's schema to the fresh schema's id by column name, as Java does. */
function freshSourceId(requestSchema: Schema, freshByName: ReturnType<typeof indexByName>, sourceId: number, what: string): number {
  const name = indexById(requestSchema).get(sourceId)?.name
  const fresh = name === undefined ? undefined : freshByName.get(name)
  if (!fresh) throw new ValidationError(`${what} refers to source id ${sourceId}, which is not in the schema`, { sourceId })
  return fresh.id
}

/** The `format-version` table property of a create request: 2 (the default) or 3. Throws ValidationError (code VALIDATION) for others. */
export function requestedFormatVersion(properties: Record<string, string> | undefined): 2 | 3 {
  const version = properties?.['format-version']
  if (version === undefined || version === '2') return 2
  if (version === '3') return 3
  throw new ValidationError(`format-version ${version} is not supported; create v2 or v3 tables`, { formatVersion: version })
}

/**
 * The metadata of a new v2 or v3 table, with ids assigned as Java / the REST catalog do: schema field ids
 * renumbered from 1 (schema-id 0), spec-id 0 with partition field ids from 1000, the sort order id 1
 * (0 when unsorted), last-sequence-number 0, no snapshots; v3 tables start with next-row-id 0. The
 * `format-version` property (2 by default, or 3) picks the version and is not stored. Throws
 * ValidationError (code VALIDATION) for an invalid schema, spec or sort order, another version, or v3
 * types / column defaults in a v2 table.
 */
export function newTableMetadata(request: CreateTableRequest, options: { location: string; tableUuid: string; nowMs: number }): TableMetadata {
  validateSchema(request.schema)
  const properties = { ...(request.properties ?? {}) }
  const formatVersion = requestedFormatVersion(properties)
  checkSchemaForFormat(request.schema, formatVersion)
  delete properties['format-version']

  const schema = assignFreshIds(request.schema, 0)
  const byName = indexByName(schema)
  const freshIndex = indexById(schema)
  const requestSpec = request['partition-spec'] ?? { 'spec-id': 0, fields: [] }
  const spec: PartitionSpec = {
    'spec-id': 0,
    fields: requestSpec.fields.map((field, i) => {
      const sourceId = freshSourceId(request.schema, byName, field['source-id'], `partition field ${field.name}`)
      const source = freshIndex.get(sourceId)
      if (!source || !isPrimitive(source.type) || source.inRepeated || !canTransform(field.transform, source.type)) {
        throw new ValidationError(`partition field ${field.name}: ${field.transform} does not apply to column ${source?.name} (${JSON.stringify(source?.type)})`, { field: field.name })
      }
      return { 'source-id': sourceId, 'field-id': PARTITION_FIELD_ID_START + i, name: field.name, transform: field.transform }
    }),
  }
  const names = new Set(spec.fields.map((f) => f.name))
  if (names.size !== spec.fields.length) throw new ValidationError('partition field names must be unique', { fields: spec.fields.map((f) => f.name) })

  const requestOrder = request['write-order']
  const sortOrder: SortOrder =
    requestOrder === undefined || requestOrder.fields.length === 0
      ? { 'order-id': 0, fields: [] }
      : {
          'order-id': 1,
          fields: requestOrder.fields.map((f) => ({ ...f, 'source-id': freshSourceId(request.schema, byName, f['source-id'], `sort field ${f.transform}`) })),
        }

  return {
    'format-version': formatVersion,
    ...(formatVersion === 3 ? { 'next-row-id': 0n } : {}),
    'table-uuid': options.tableUuid,
    location: options.location.replace(/\/+$/, ''),
    'last-sequence-number': 0,
    'last-updated-ms': options.nowMs,
    'last-column-id': maxFieldId(schema),
    schemas: [schema],
    'current-schema-id': 0,
    'partition-specs': [spec],
    'default-spec-id': 0,
    'last-partition-id': PARTITION_FIELD_ID_START - 1 + spec.fields.length,
    properties,
    snapshots: [],
    'snapshot-log': [],
    'metadata-log': [],
    'sort-orders': [sortOrder],
    'default-sort-order-id': sortOrder['order-id'],
    refs: {},
  }
}

/**
 * Records the metadata file being replaced in `metadata-log`, keeping the newest
 * `write.metadata.previous-versions-max` entries (default 100, at least 1). Pure.
 */
export function withMetadataLog(metadata: TableMetadata, previousLocation: string, previousTimestampMs: number): TableMetadata {
  const configured = Number.parseInt(metadata.properties[METADATA_PREVIOUS_VERSIONS_MAX] ?? '', 10)
  const max = Math.max(1, Number.isNaN(configured) ? METADATA_PREVIOUS_VERSIONS_MAX_DEFAULT : configured)
  const log = [...metadata['metadata-log'], { 'metadata-file': previousLocation, 'timestamp-ms': previousTimestampMs }]
  return { ...metadata, 'metadata-log': log.slice(Math.max(0, log.length - max)) }
}

/** The snapshot with this id, or undefined. */
export function snapshotById(metadata: TableMetadata, id: bigint): Snapshot | undefined {
  return metadata.snapshots.find((s) => s['snapshot-id'] === id)
}

/** The current snapshot of main, or undefined for a table without data. */
export function currentSnapshot(metadata: TableMetadata): Snapshot | undefined {
  const id = metadata['current-snapshot-id']
  return id === undefined ? undefined : snapshotById(metadata, id)
}

/** Throws ValidationError (code VALIDATION) when current-schema-id names no schema. */
export function currentSchema(metadata: TableMetadata): Schema {
  const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id'])
  if (!schema) throw new ValidationError(`current schema ${metadata['current-schema-id']} is not in the metadata`, { schemaId: metadata['current-schema-id'] })
  return schema
}

/** Throws ValidationError (code VALIDATION) when default-spec-id names no spec. */
export function defaultSpec(metadata: TableMetadata): PartitionSpec {
  const spec = metadata['partition-specs'].find((s) => s['spec-id'] === metadata['default-spec-id'])
  if (!spec) throw new ValidationError(`default partition spec ${metadata['default-spec-id']} is not in the metadata`, { specId: metadata['default-spec-id'] })
  return spec
}

/** Throws ValidationError (code VALIDATION) when default-sort-order-id names no order. */
export function defaultSortOrder(metadata: TableMetadata): SortOrder {
  const order = metadata['sort-orders'].find((o) => o['order-id'] === metadata['default-sort-order-id'])
  if (!order) throw new ValidationError(`default sort order ${metadata['default-sort-order-id']} is not in the metadata`, { orderId: metadata['default-sort-order-id'] })
  return order
}

/** The snapshot and its ancestors, newest first, following parent ids until one is missing (expired). */
export function ancestorsOf(metadata: TableMetadata, snapshotId: bigint): Snapshot[] {
  const byId = new Map(metadata.snapshots.map((s) => [s['snapshot-id'], s]))
  const out: Snapshot[] = []
  const seen = new Set<bigint>()
  let next: bigint | undefined = snapshotId
  while (next !== undefined && !seen.has(next)) {
    const snapshot = byId.get(next)
    if (!snapshot) break
    out.push(snapshot)
    seen.add(next)
    next = snapshot['parent-snapshot-id']
  }
  return out
}
