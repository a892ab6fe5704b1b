/** Table metadata <-> JSON as Java, PyIceberg and REST catalogs write it (spec: "Table Metadata Fields", Appendix C). */
import { ValidationError } from '../../errors.ts'
import { PARTITION_FIELD_ID_START } from '../table-metadata.ts'
import type { FormatVersion, MetadataLogEntry, SnapshotLogEntry, SnapshotRef, TableMetadata } from '../types.ts'
import { asArray, asObject, invalid, reqInt, reqLong, reqString, stringMap, toLong } from './read-json.ts'
import { partitionSpecFromJson, partitionSpecToJson, schemaFromJson, schemaToJson, sortOrderFromJson, sortOrderToJson } from './schema.ts'
import { snapshotFromJson, snapshotRefFromJson, snapshotRefToJson, snapshotToJson } from './snapshot.ts'
import { partitionStatisticsFileFromJson, partitionStatisticsFileToJson, statisticsFileFromJson, statisticsFileToJson } from './statistics.ts'

export { snapshotFromJson, snapshotRefFromJson, snapshotRefToJson, snapshotToJson } from './snapshot.ts'
export { tableRequirementFromJson, tableRequirementToJson, tableUpdateFromJson, tableUpdateToJson } from './table-update.ts'

const PATH = 'metadata'

function list(obj: Record<string, unknown>, key: string): unknown[] {
  // Optional lists may be missing or null in what other writers produce; both read as empty.
  const value = obj[key]
  return value === undefined || value === null ? [] : asArray(value, `${PATH}.${key}`)
}

function formatVersionOf(value: unknown): FormatVersion {
  if (value === 1 || value === 2 || value === 3) return value
  throw invalid(`${PATH}.format-version`, '1, 2 or 3', value)
}

/**
 * v1 metadata (spec "Table Metadata Fields", the v1 column) may lack what v2 requires: `schemas` (a single `schema`,
 * perhaps without schema-id), `partition-specs` (a single `partition-spec` field list, perhaps without field ids),
 * sort orders and last-sequence-number. Fills them in as Java's TableMetadataParser does, so the rest reads as v2.
 */
function v1AsV2(obj: Record<string, unknown>): Record<string, unknown> {
  const out = { ...obj }
  out['last-sequence-number'] ??= 0
  if (out.schemas === undefined || out.schemas === null) {
    const schema = asObject(obj.schema, `${PATH}.schema`)
    out.schemas = [{ ...schema, 'schema-id': schema['schema-id'] ?? 0 }]
    out['current-schema-id'] ??= schema['schema-id'] ?? 0
  } else {
    out.schemas = asArray(out.schemas, `${PATH}.schemas`).map((s) => ({ 'schema-id': 0, ...asObject(s, `${PATH}.schemas[]`) }))
  }
  if (out['partition-specs'] === undefined || out['partition-specs'] === null) {
    const fields = asArray(obj['partition-spec'] ?? [], `${PATH}.partition-spec`)
    out['partition-specs'] = [{ 'spec-id': 0, fields }]
    out['default-spec-id'] ??= 0
  }
  out['partition-specs'] = asArray(out['partition-specs'], `${PATH}.partition-specs`).map((s, i) => {
    const spec = asObject(s, `${PATH}.partition-specs[${i}]`)
    // v1 partition fields without ids got 1000, 1001, ... in order (spec "Partition Evolution").
    const fields = asArray(spec.fields, `${PATH}.partition-specs[${i}].fields`).map((f, j) => ({ 'field-id': PARTITION_FIELD_ID_START + j, ...asObject(f, `${PATH}.partition-specs[${i}].fields[${j}]`) }))
    return { ...spec, fields }
  })
  if (out['last-partition-id'] === undefined || out['last-partition-id'] === null) {
    const ids = (out['partition-specs'] as { fields: { 'field-id': number }[] }[]).flatMap((s) => s.fields.map((f) => f['field-id']))
    out['last-partition-id'] = Math.max(PARTITION_FIELD_ID_START - 1, ...ids)
  }
  if (out['sort-orders'] === undefined || out['sort-orders'] === null) {
    out['sort-orders'] = [{ 'order-id': 0, fields: [] }]
    out['default-sort-order-id'] ??= 0
  }
  return out
}

/**
 * Reads table metadata JSON (after parseJson) into the model. 64-bit ids arrive as number or bigint
 * and become bigint; `current-snapshot-id` of -1 or null means none; missing optional lists read as
 * empty; a missing `main` ref gets the branch at the current snapshot, as Java does.
 * Statistics and partition statistics are kept as data (we never read the files, but other engines do).
 * v1 metadata is read with v2's fields filled in (v1AsV2) and keeps format-version 1 (commits refuse it);
 * v3 metadata must carry `next-row-id`.
 * Throws ValidationError (code VALIDATION) naming the missing or malformed field, for a format-version
 * other than 1, 2 or 3, or when current schema / default spec / default sort order / current snapshot are not in their lists.
 */
export function tableMetadataFromJson(json: unknown): TableMetadata {
  const raw = asObject(json, PATH)
  const formatVersion = formatVersionOf(raw['format-version'])
  const obj = formatVersion === 1 ? v1AsV2(raw) : raw
  const currentRaw = obj['current-snapshot-id']
  const current = currentRaw === undefined || currentRaw === null ? undefined : toLong(currentRaw, `${PATH}.current-snapshot-id`)
  const metadata: TableMetadata = {
    'format-version': formatVersion,
    'table-uuid': reqString(obj, 'table-uuid', PATH),
    location: reqString(obj, 'location', PATH),
    'last-sequence-number': reqInt(obj, 'last-sequence-number', PATH),
    'last-updated-ms': reqInt(obj, 'last-updated-ms', PATH),
    'last-column-id': reqInt(obj, 'last-column-id', PATH),
    schemas: asArray(obj.schemas, `${PATH}.schemas`).map((s, i) => schemaFromJson(s, `${PATH}.schemas[${i}]`)),
    'current-schema-id': reqInt(obj, 'current-schema-id', PATH),
    'partition-specs': asArray(obj['partition-specs'], `${PATH}.partition-specs`).map((s, i) => partitionSpecFromJson(s, `${PATH}.partition-specs[${i}]`)),
    'default-spec-id': reqInt(obj, 'default-spec-id', PATH),
    'last-partition-id': reqInt(obj, 'last-partition-id', PATH),
    properties: obj.properties === undefined || obj.properties === null ? {} : stringMap(obj.properties, `${PATH}.properties`),
    snapshots: list(obj, 'snapshots').map((s, i) => snapshotFromJson(s, `${PATH}.snapshots[${i}]`)),
    'snapshot-log': list(obj, 'snapshot-log').map((e, i): SnapshotLogEntry => {
      const at = `${PATH}.snapshot-log[${i}]`
      const entry = asObject(e, at)
      return { 'snapshot-id': reqLong(entry, 'snapshot-id', at), 'timestamp-ms': reqInt(entry, 'timestamp-ms', at) }
    }),
    'metadata-log': list(obj, 'metadata-log').map((e, i): MetadataLogEntry => {
      const at = `${PATH}.metadata-log[${i}]`
      const entry = asObject(e, at)
      return { 'metadata-file': reqString(entry, 'metadata-file', at), 'timestamp-ms': reqInt(entry, 'timestamp-ms', at) }
    }),
    'sort-orders': asArray(obj['sort-orders'], `${PATH}.sort-orders`).map((s, i) => sortOrderFromJson(s, `${PATH}.sort-orders[${i}]`)),
    'default-sort-order-id': reqInt(obj, 'default-sort-order-id', PATH),
    refs: {},
  }
  // Java wrote -1 for "no current snapshot" in v1/v2 metadata; treat it as absent.
  if (current !== undefined && current !== -1n) metadata['current-snapshot-id'] = current
  if (obj.refs !== undefined && obj.refs !== null) {
    for (const [name, ref] of Object.entries(asObject(obj.refs, `${PATH}.refs`))) metadata.refs[name] = snapshotRefFromJson(ref, `${PATH}.refs.${name}`)
  }
  if (metadata.refs.main === undefined && metadata['current-snapshot-id'] !== undefined) {
    metadata.refs.main = { 'snapshot-id': metadata['current-snapshot-id'], type: 'branch' }
  }
  const statistics = list(obj, 'statistics').map((f, i) => statisticsFileFromJson(f, `${PATH}.statistics[${i}]`))
  if (statistics.length) metadata.statistics = statistics
  const partitionStatistics = list(obj, 'partition-statistics').map((f, i) => partitionStatisticsFileFromJson(f, `${PATH}.partition-statistics[${i}]`))
  if (partitionStatistics.length) metadata['partition-statistics'] = partitionStatistics
  if (formatVersion >= 3) metadata['next-row-id'] = reqLong(obj, 'next-row-id', PATH)
  checkReferences(metadata)
  return metadata
}

function checkReferences(m: TableMetadata): void {
  const missing = (what: string, id: number | bigint): ValidationError =>
    new ValidationError(`invalid table metadata: ${what} ${id} is not in the metadata`, { field: what, value: String(id) })
  if (!m.schemas.some((s) => s['schema-id'] === m['current-schema-id'])) throw missing('current-schema-id', m['current-schema-id'])
  if (!m['partition-specs'].some((s) => s['spec-id'] === m['default-spec-id'])) throw missing('default-spec-id', m['default-spec-id'])
  if (!m['sort-orders'].some((o) => o['order-id'] === m['default-sort-order-id'])) throw missing('default-sort-order-id', m['default-sort-order-id'])
  const current = m['current-snapshot-id']
  if (current !== undefined && !m.snapshots.some((s) => s['snapshot-id'] === current)) throw missing('current-snapshot-id', current)
  const main = m.refs.main
  if (main !== undefined && main['snapshot-id'] !== current) {
    throw new ValidationError(`invalid table metadata: refs.main is at snapshot ${main['snapshot-id']} but current-snapshot-id is ${current ?? 'none'}`, {
      field: 'refs.main',
    })
  }
}

function refsToJson(refs: Record<string, SnapshotRef>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, ref] of Object.entries(refs)) out[name] = snapshotRefToJson(ref)
  return out
}

/**
 * The JSON object of table metadata, in Java's key order, ready for stringifyJson (ids stay bigint).
 * No current snapshot is written as `-1`, as Java does for v2 tables (PyIceberg reads it as none).
 */
export function tableMetadataToJson(m: TableMetadata): unknown {
  return {
    'format-version': m['format-version'],
    'table-uuid': m['table-uuid'],
    location: m.location,
    'last-sequence-number': m['last-sequence-number'],
    ...(m['format-version'] >= 3 ? { 'next-row-id': m['next-row-id'] ?? 0n } : {}),
    'last-updated-ms': m['last-updated-ms'],
    'last-column-id': m['last-column-id'],
    'current-schema-id': m['current-schema-id'],
    schemas: m.schemas.map(schemaToJson),
    'default-spec-id': m['default-spec-id'],
    'partition-specs': m['partition-specs'].map(partitionSpecToJson),
    'last-partition-id': m['last-partition-id'],
    'default-sort-order-id': m['default-sort-order-id'],
    'sort-orders': m['sort-orders'].map(sortOrderToJson),
    properties: { ...m.properties },
    'current-snapshot-id': m['current-snapshot-id'] ?? -1,
    refs: refsToJson(m.refs),
    snapshots: m.snapshots.map(snapshotToJson),
    statistics: (m.statistics ?? []).map(statisticsFileToJson),
    'partition-statistics': (m['partition-statistics'] ?? []).map(partitionStatisticsFileToJson),
    'snapshot-log': m['snapshot-log'].map((e) => ({ 'timestamp-ms': e['timestamp-ms'], 'snapshot-id': e['snapshot-id'] })),
    'metadata-log': m['metadata-log'].map((e) => ({ 'timestamp-ms': e['timestamp-ms'], 'metadata-file': e['metadata-file'] })),
  }
}
