// What `tables describe` and `tables snapshots` print: schema, spec, properties, current snapshot, file and row counts.
import type { LoadedTable } from '../../src/catalog/catalog.ts'
import { formatTimestamp } from '../../src/iceberg/datetime.ts'
import { decodeManifestList } from '../../src/iceberg/manifest-list.ts'
import { formatPartitionSpec, formatSchema } from '../../src/iceberg/schema-dsl.ts'
import { currentSchema, currentSnapshot, defaultSpec } from '../../src/iceberg/table-metadata.ts'
import type { NestedField, Schema, Snapshot, TableMetadata } from '../../src/iceberg/types.ts'
import type { FileIO } from '../../src/storage/file-io.ts'
import { formatBytes, textTable } from './text-table.ts'

const iso = (ms: number) => formatTimestamp(BigInt(ms) * 1000n, false).replace(/(\.\d{3})\d*$/, '$1') + 'Z'
const thousands = (n: number) => n.toLocaleString('en-US')

export interface TableTotals {
  files: number
  records: number
  bytes: number | undefined
}

/** Live data files, rows and bytes of a snapshot: from its summary totals, else by summing its manifest list. */
export async function snapshotTotals(io: FileIO, snapshot: Snapshot | undefined): Promise<TableTotals> {
  if (!snapshot) return { files: 0, records: 0, bytes: 0 }
  const s = snapshot.summary
  const files = Number(s['total-data-files'])
  const records = Number(s['total-records'])
  if (Number.isSafeInteger(files) && Number.isSafeInteger(records) && s['total-data-files'] !== undefined && s['total-records'] !== undefined) {
    return { files, records, bytes: s['total-files-size'] === undefined ? undefined : Number(s['total-files-size']) }
  }
  const manifests = (await decodeManifestList(await io.read(snapshot['manifest-list']))).filter((m) => m.content === 0)
  return {
    files: manifests.reduce((n, m) => n + m['added-files-count'] + m['existing-files-count'], 0),
    records: manifests.reduce((n, m) => n + m['added-rows-count'] + m['existing-rows-count'], 0),
    bytes: undefined,
  }
}

/** A column's type in the schema DSL (`string`, `list<long>`), without its name and modifiers. */
function typeText(schema: Schema, field: NestedField): string {
  if (typeof field.type === 'string') return field.type
  const text = formatSchema({ ...schema, fields: [{ id: field.id, name: 'x', required: false, type: field.type }] })
  return text.slice(2)
}

/** The `tables describe` text of a loaded table. */
export async function describeTable(table: LoadedTable, catalogName: string, io: FileIO): Promise<string> {
  const m: TableMetadata = table.metadata
  const schema = currentSchema(m)
  const spec = defaultSpec(m)
  const current = currentSnapshot(m)
  const totals = await snapshotTotals(io, current)
  const lines = [
    `table       ${[...table.identifier.namespace, table.identifier.name].join('.')}`,
    `catalog     ${catalogName}`,
    `location    ${m.location}`,
    `uuid        ${m['table-uuid']}   format v${m['format-version']}`,
    `schema      ${formatSchema(schema)}`,
    textTable(
      ['  id', 'column', 'type', 'required'],
      schema.fields.map((f) => [`  ${f.id}`, f.name, typeText(schema, f), f.required ? 'yes' : 'no']),
    ),
    `partitioned ${spec.fields.length ? `by ${formatPartitionSpec(spec, schema)}` : 'no (unpartitioned)'}  (spec ${spec['spec-id']})`,
    `properties  ${Object.keys(m.properties).length ? '' : '(none)'}`,
    ...Object.entries(m.properties).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k} = ${v}`),
    current
      ? `snapshot    ${current['snapshot-id']} (${current.summary.operation}, ${iso(current['timestamp-ms'])}); ${m.snapshots.length} snapshot${m.snapshots.length === 1 ? '' : 's'} in all`
      : 'snapshot    none: the table has no data yet',
    `files       ${thousands(totals.files)} data file${totals.files === 1 ? '' : 's'}${totals.bytes === undefined ? '' : `, ${formatBytes(totals.bytes)}`}`,
    `rows        ${thousands(totals.records)}`,
  ]
  return lines.join('\n')
}

/** The `tables snapshots` text: one line per snapshot, oldest first, the current one marked. */
export function snapshotsTable(metadata: TableMetadata): string {
  const current = metadata['current-snapshot-id']
  const snapshots = [...metadata.snapshots].sort((a, b) => a['sequence-number'] - b['sequence-number'] || a['timestamp-ms'] - b['timestamp-ms'])
  if (!snapshots.length) return 'no snapshots: the table has no data yet'
  const rows = snapshots.map((s) => [
    `${s['snapshot-id']}${s['snapshot-id'] === current ? ' *' : ''}`,
    iso(s['timestamp-ms']),
    s.summary.operation,
    s.summary['added-data-files'] ?? '',
    s.summary['added-records'] ?? '',
    s.summary['total-records'] ?? '',
    s['parent-snapshot-id'] === undefined ? '' : String(s['parent-snapshot-id']),
  ])
  return `${textTable(['snapshot_id', 'committed_at', 'operation', 'added_files', 'added_rows', 'total_rows', 'parent_id'], rows, [3, 4, 5])}\n(* = current)`
}

/**
 * The table's schema versions, oldest first: id, field count, the columns (DSL), and what changed from
 * the version before (columns added, renamed, dropped, retyped — by field id).
 */
export function schemasTable(metadata: TableMetadata): string {
  const current = metadata['current-schema-id']
  const schemas = [...metadata.schemas].sort((a, b) => a['schema-id'] - b['schema-id'])
  const rows = schemas.map((schema, i) => {
    const before = schemas[i - 1]
    const byId = new Map((before?.fields ?? []).map((f) => [f.id, f]))
    const changes: string[] = []
    for (const field of schema.fields) {
      const old = byId.get(field.id)
      if (!old) changes.push(`+${field.name}`)
      else if (old.name !== field.name) changes.push(`${old.name}→${field.name}`)
      else if (JSON.stringify(old.type) !== JSON.stringify(field.type)) changes.push(`${field.name}: ${typeof old.type === 'string' ? old.type : old.type.type}→${typeof field.type === 'string' ? field.type : field.type.type}`)
      byId.delete(field.id)
    }
    for (const dropped of byId.values()) changes.push(`-${dropped.name}`)
    return [`${schema['schema-id']}${schema['schema-id'] === current ? ' *' : ''}`, before ? changes.join(', ') || '(nested fields)' : '(created)', formatSchema(schema)]
  })
  return `${textTable(['schema_id', 'change', 'columns'], rows)}\n(* = current)`
}
