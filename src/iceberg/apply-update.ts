/** Table updates applied to metadata, pure, with the semantics of Java's TableMetadata.Builder (REST spec: `TableUpdate`). */
import { CommitConflictError, ValidationError } from '../errors.ts'
import { checkSchemaForFormat, fieldById, indexById, isPrimitive, maxFieldId, sameSchema, validateSchema } from './schema.ts'
import { canTransform } from './transforms.ts'
import type { PartitionSpec, Schema, Snapshot, SnapshotLogEntry, SnapshotRef, SortOrder, TableMetadata } from './types.ts'
import type { TableUpdate } from './updates.ts'

/** What earlier updates of the same commit did; `-1` ids and snapshot-log times depend on it. */
export interface ApplyContext {
  addedSnapshotIds: Set<bigint>
  /** Snapshots added in this commit and then made current on main (possibly superseded later). */
  mainSnapshotIds: Set<bigint>
  lastAddedSchemaId?: number
  lastAddedSpecId?: number
  lastAddedSortOrderId?: number
}

export function newApplyContext(): ApplyContext {
  return { addedSnapshotIds: new Set(), mainSnapshotIds: new Set() }
}

function lastAdded(id: number, added: number | undefined, what: string): number {
  if (id !== -1) return id
  if (added === undefined) throw new ValidationError(`cannot use ${what} -1 (last added): no ${what.split('-')[0]} was added in this commit`, { [what]: id })
  return added
}

function checkSpec(spec: PartitionSpec, schema: Schema): void {
  const names = new Set<string>()
  const index = indexById(schema)
  for (const field of spec.fields) {
    if (field.name === '' || names.has(field.name)) throw new ValidationError(`partition field name ${JSON.stringify(field.name)} is empty or repeated`, { field: field.name })
    names.add(field.name)
    const source = index.get(field['source-id'])
    if (!source || !isPrimitive(source.type) || source.inRepeated) {
      throw new ValidationError(`partition field ${field.name}: source id ${field['source-id']} is not a primitive column outside lists and maps of schema ${schema['schema-id']}`, { field: field.name })
    }
    if (!canTransform(field.transform, source.type)) {
      throw new ValidationError(`partition field ${field.name}: transform ${field.transform} cannot be applied to ${source.name} (${source.type})`, { field: field.name })
    }
  }
}

function checkSortOrder(order: SortOrder, schema: Schema): void {
  for (const field of order.fields) {
    const source = fieldById(schema, field['source-id'])
    if (!source || !isPrimitive(source.type) || !canTransform(field.transform, source.type)) {
      throw new ValidationError(`sort field ${field.transform}(${field['source-id']}) does not apply to a primitive column of schema ${schema['schema-id']}`, { sourceId: field['source-id'] })
    }
  }
}

// Specs compare without field ids and orders by every attribute, as Java's compatibleWith / sameOrder.
const specKey = (spec: PartitionSpec): string => JSON.stringify(spec.fields.map((f) => [f['source-id'], f.transform, f.name]))
const orderKey = (order: SortOrder): string => JSON.stringify(order.fields.map((f) => [f['source-id'], f.transform, f.direction, f['null-order']]))

function currentSchemaOf(m: TableMetadata): Schema {
  const schema = m.schemas.find((s) => s['schema-id'] === m['current-schema-id'])
  if (!schema) throw new ValidationError(`current schema ${m['current-schema-id']} is not in the metadata`, { schemaId: m['current-schema-id'] })
  return schema
}

/**
 * Spec "Row Lineage" (v3): a new snapshot must say which row ids it took (first-row-id, added-rows), starting at or
 * past the table's next-row-id, which then advances by added-rows. Behind means another commit took those ids first.
 */
function rowLineageAfter(m: TableMetadata, snapshot: Snapshot): Pick<TableMetadata, 'next-row-id'> {
  const first = snapshot['first-row-id']
  const added = snapshot['added-rows']
  const id = String(snapshot['snapshot-id'])
  if (first === undefined || added === undefined) {
    throw new ValidationError(`cannot add snapshot ${id} to a v3 table without first-row-id and added-rows (row lineage)`, { snapshotId: id })
  }
  const next = m['next-row-id'] ?? 0n
  if (first < next) {
    throw new CommitConflictError(`cannot add snapshot ${id}: its first-row-id ${first} is behind the table's next-row-id ${next}`, { context: { snapshotId: id } })
  }
  if (added < 0n) throw new ValidationError(`snapshot ${id} has negative added-rows ${added}`, { snapshotId: id })
  return { 'next-row-id': first + added }
}

/** Drops snapshot-log entries up to the last one whose snapshot is gone: history with gaps would mislead time travel. */
function pruneSnapshotLog(log: SnapshotLogEntry[], live: Set<bigint>): SnapshotLogEntry[] {
  let kept: SnapshotLogEntry[] = []
  for (const entry of log) {
    if (live.has(entry['snapshot-id'])) kept.push(entry)
    else kept = []
  }
  return kept
}

/**
 * Applies one update; returns new metadata (the input is not modified) with `last-updated-ms` = nowMs.
 * Pass the same `context` to successive calls of one commit (applyUpdates does) so `-1` ("last added")
 * ids resolve and a snapshot added in the commit is logged at its own timestamp.
 * Throws ValidationError (code VALIDATION) for an update that cannot apply (unknown snapshot, schema or
 * spec; tag as main; invalid schema or spec) and CommitConflictError (code COMMIT_CONFLICT) when an
 * added snapshot's sequence number is not above the table's last sequence number.
 */
export function applyUpdate(metadata: TableMetadata, update: TableUpdate, nowMs: number, context: ApplyContext = newApplyContext()): TableMetadata {
  const m: TableMetadata = { ...metadata, 'last-updated-ms': nowMs }
  switch (update.action) {
    case 'assign-uuid':
      return { ...m, 'table-uuid': update.uuid }
    case 'upgrade-format-version': {
      const version = update['format-version']
      const current = m['format-version']
      if (version === current) return m
      if (version < current) throw new ValidationError(`cannot downgrade format-version from ${current} to ${version}`, { formatVersion: version })
      if (version !== 2 && version !== 3) throw new ValidationError(`format-version ${version} is not supported; this toolkit writes v2 and v3 tables`, { formatVersion: version })
      // Spec "Row Lineage": a table upgraded to v3 starts assigning row ids at 0.
      return version === 3 ? { ...m, 'format-version': 3, 'next-row-id': m['next-row-id'] ?? 0n } : { ...m, 'format-version': version }
    }
    case 'add-schema': {
      validateSchema(update.schema)
      checkSchemaForFormat(update.schema, m['format-version'])
      const lastColumnId = Math.max(m['last-column-id'], update['last-column-id'] ?? 0, maxFieldId(update.schema))
      const existing = m.schemas.find((s) => sameSchema(s, update.schema))
      if (existing) {
        context.lastAddedSchemaId = existing['schema-id']
        return { ...m, 'last-column-id': lastColumnId }
      }
      // Java ignores the requested id: one above every id in use, never below the current one.
      const schemaId = Math.max(m['current-schema-id'], ...m.schemas.map((s) => s['schema-id'] + 1))
      context.lastAddedSchemaId = schemaId
      return { ...m, 'last-column-id': lastColumnId, schemas: [...m.schemas, { ...update.schema, 'schema-id': schemaId }] }
    }
    case 'set-current-schema': {
      const id = lastAdded(update['schema-id'], context.lastAddedSchemaId, 'schema-id')
      if (!m.schemas.some((s) => s['schema-id'] === id)) throw new ValidationError(`cannot set current schema to unknown schema ${id}`, { schemaId: id })
      return { ...m, 'current-schema-id': id }
    }
    case 'add-spec': {
      checkSpec(update.spec, currentSchemaOf(m))
      const existing = m['partition-specs'].find((s) => specKey(s) === specKey(update.spec))
      if (existing) {
        context.lastAddedSpecId = existing['spec-id']
        return m
      }
      const specId = Math.max(0, ...m['partition-specs'].map((s) => s['spec-id'] + 1))
      context.lastAddedSpecId = specId
      return {
        ...m,
        'partition-specs': [...m['partition-specs'], { 'spec-id': specId, fields: update.spec.fields.map((f) => ({ ...f })) }],
        'last-partition-id': Math.max(m['last-partition-id'], ...update.spec.fields.map((f) => f['field-id'])),
      }
    }
    case 'set-default-spec': {
      const id = lastAdded(update['spec-id'], context.lastAddedSpecId, 'spec-id')
      if (!m['partition-specs'].some((s) => s['spec-id'] === id)) throw new ValidationError(`cannot set default spec to unknown spec ${id}`, { specId: id })
      return { ...m, 'default-spec-id': id }
    }
    case 'add-sort-order': {
      const order = update['sort-order']
      checkSortOrder(order, currentSchemaOf(m))
      const existing = m['sort-orders'].find((o) => orderKey(o) === orderKey(order))
      if (existing) {
        context.lastAddedSortOrderId = existing['order-id']
        return m
      }
      // Order 0 is reserved for "unsorted"; sorted orders count from 1.
      const orderId = order.fields.length === 0 ? 0 : Math.max(1, ...m['sort-orders'].map((o) => o['order-id'] + 1))
      context.lastAddedSortOrderId = orderId
      return { ...m, 'sort-orders': [...m['sort-orders'], { 'order-id': orderId, fields: order.fields.map((f) => ({ ...f })) }] }
    }
    case 'set-default-sort-order': {
      const id = lastAdded(update['sort-order-id'], context.lastAddedSortOrderId, 'sort-order-id')
      if (!m['sort-orders'].some((o) => o['order-id'] === id)) throw new ValidationError(`cannot set default sort order to unknown order ${id}`, { orderId: id })
      return { ...m, 'default-sort-order-id': id }
    }
    case 'add-snapshot': {
      const snapshot = update.snapshot
      const id = snapshot['snapshot-id']
      if (m.snapshots.some((s) => s['snapshot-id'] === id)) throw new ValidationError(`snapshot ${id} already exists`, { snapshotId: String(id) })
      // A sequence number at or below the table's means another commit landed first: reload and retry.
      if (snapshot['parent-snapshot-id'] !== undefined && snapshot['sequence-number'] <= m['last-sequence-number']) {
        throw new CommitConflictError(
          `cannot add snapshot ${id} with sequence number ${snapshot['sequence-number']}: table last sequence number is ${m['last-sequence-number']}`,
          { context: { snapshotId: String(id) } },
        )
      }
      const lineage = m['format-version'] >= 3 ? rowLineageAfter(m, snapshot) : {}
      context.addedSnapshotIds.add(id)
      return {
        ...m,
        ...lineage,
        snapshots: [...m.snapshots, snapshot],
        'last-sequence-number': Math.max(m['last-sequence-number'], snapshot['sequence-number']),
      }
    }
    case 'set-snapshot-ref': {
      const { action: _action, 'ref-name': name, ...fields } = update
      const ref: SnapshotRef = { 'snapshot-id': fields['snapshot-id'], type: fields.type }
      if (fields['min-snapshots-to-keep'] !== undefined) ref['min-snapshots-to-keep'] = fields['min-snapshots-to-keep']
      if (fields['max-snapshot-age-ms'] !== undefined) ref['max-snapshot-age-ms'] = fields['max-snapshot-age-ms']
      if (fields['max-ref-age-ms'] !== undefined) ref['max-ref-age-ms'] = fields['max-ref-age-ms']
      const snapshot = m.snapshots.find((s) => s['snapshot-id'] === ref['snapshot-id'])
      if (!snapshot) throw new ValidationError(`cannot set ${name} to unknown snapshot ${ref['snapshot-id']}`, { ref: name, snapshotId: String(ref['snapshot-id']) })
      if (name === 'main' && ref.type !== 'branch') throw new ValidationError('cannot set main to a tag: it must be a branch', { ref: name })
      if (JSON.stringify(m.refs[name], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) === JSON.stringify(ref, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))) {
        return m
      }
      const next: TableMetadata = { ...m, refs: { ...m.refs, [name]: ref } }
      if (name !== 'main') return next
      const id = ref['snapshot-id']
      // A snapshot added by this commit became current when it was made; a rollback becomes current now.
      const timestamp = context.addedSnapshotIds.has(id) ? snapshot['timestamp-ms'] : nowMs
      if (context.addedSnapshotIds.has(id)) context.mainSnapshotIds.add(id)
      return { ...next, 'current-snapshot-id': id, 'snapshot-log': [...m['snapshot-log'], { 'timestamp-ms': timestamp, 'snapshot-id': id }] }
    }
    case 'remove-snapshots': {
      const remove = new Set(update['snapshot-ids'])
      const snapshots = m.snapshots.filter((s) => !remove.has(s['snapshot-id']))
      if (snapshots.length === m.snapshots.length) return m
      const live = new Set(snapshots.map((s) => s['snapshot-id']))
      // Refs to removed snapshots go with them, as Java drops dangling refs.
      const refs = Object.fromEntries(Object.entries(m.refs).filter(([, ref]) => live.has(ref['snapshot-id'])))
      const next: TableMetadata = { ...m, snapshots, refs, 'snapshot-log': pruneSnapshotLog(m['snapshot-log'], live) }
      if (refs.main === undefined) delete next['current-snapshot-id']
      // Statistics of removed snapshots go with them, as Java's removeSnapshots drops them.
      if (m.statistics) next.statistics = m.statistics.filter((f) => live.has(f['snapshot-id']))
      if (m['partition-statistics']) next['partition-statistics'] = m['partition-statistics'].filter((f) => live.has(f['snapshot-id']))
      return next
    }
    case 'remove-snapshot-ref': {
      const { [update['ref-name']]: _removed, ...refs } = m.refs
      const next: TableMetadata = { ...m, refs }
      if (update['ref-name'] === 'main') delete next['current-snapshot-id']
      return next
    }
    case 'set-location':
      return { ...m, location: update.location }
    case 'set-properties':
      return { ...m, properties: { ...m.properties, ...update.updates } }
    case 'remove-properties': {
      const properties = { ...m.properties }
      for (const key of update.removals) delete properties[key]
      return { ...m, properties }
    }
    // One statistics file per snapshot: setting replaces that snapshot's entry (as Java's builder does).
    case 'set-statistics': {
      const id = update.statistics['snapshot-id']
      if (!m.snapshots.some((s) => s['snapshot-id'] === id)) throw new ValidationError(`set-statistics: snapshot ${id} is not in the table`, { value: String(id) })
      return { ...m, statistics: [...(m.statistics ?? []).filter((f) => f['snapshot-id'] !== id), update.statistics] }
    }
    case 'remove-statistics':
      return { ...m, statistics: (m.statistics ?? []).filter((f) => f['snapshot-id'] !== update['snapshot-id']) }
    case 'set-partition-statistics': {
      const id = update['partition-statistics']['snapshot-id']
      if (!m.snapshots.some((s) => s['snapshot-id'] === id)) throw new ValidationError(`set-partition-statistics: snapshot ${id} is not in the table`, { value: String(id) })
      return { ...m, 'partition-statistics': [...(m['partition-statistics'] ?? []).filter((f) => f['snapshot-id'] !== id), update['partition-statistics']] }
    }
    case 'remove-partition-statistics':
      return { ...m, 'partition-statistics': (m['partition-statistics'] ?? []).filter((f) => f['snapshot-id'] !== update['snapshot-id']) }
    default: {
      const unknown: never = update
      throw new ValidationError(`unknown table update action ${(unknown as { action: string }).action}`, { update: unknown })
    }
  }
}

/**
 * Applies a commit's updates in order (pure). Afterwards, snapshots this commit added and made current
 * on main but then superseded are dropped from the snapshot log, as Java does for transactions.
 * Throws like applyUpdate.
 */
export function applyUpdates(metadata: TableMetadata, updates: readonly TableUpdate[], nowMs: number): TableMetadata {
  const context = newApplyContext()
  let m = metadata
  for (const update of updates) m = applyUpdate(m, update, nowMs, context)
  const current = m['current-snapshot-id']
  const intermediate = [...context.mainSnapshotIds].filter((id) => id !== current)
  if (intermediate.length === 0) return m
  return { ...m, 'snapshot-log': m['snapshot-log'].filter((e) => !intermediate.includes(e['snapshot-id'])) }
}
