/** Snapshots and snapshot refs <-> JSON (spec: "Snapshots", "Snapshot References", Appendix C); ids stay exact bigints. */
import type { Snapshot, SnapshotOperation, SnapshotRef, SnapshotSummary } from '../types.ts'
import { asObject, invalid, optInt, optLong, reqInt, reqLong, reqString, stringMap } from './read-json.ts'

const OPERATIONS: ReadonlySet<string> = new Set<SnapshotOperation>(['append', 'replace', 'overwrite', 'delete'])

/**
 * Reads a snapshot; `snapshot-id` / `parent-snapshot-id` may arrive as number or bigint.
 * A missing `sequence-number` reads as 0, as for v1 snapshots; v3's `first-row-id` / `added-rows` are kept.
 * A v1 summary without `operation` reads as `overwrite` (spec: v1 summaries are optional; Java assumes overwrite).
 * Throws ValidationError (code VALIDATION) naming the field at fault, and for v1 snapshots with inline `manifests`.
 */
export function snapshotFromJson(json: unknown, path = 'snapshot'): Snapshot {
  const obj = asObject(json, path)
  if (obj['manifest-list'] === undefined && obj.manifests !== undefined) {
    throw invalid(`${path}.manifest-list`, 'a manifest list location (v1 snapshots with inline manifests are not supported)', undefined)
  }
  const summaryJson = obj.summary === undefined || obj.summary === null ? { operation: 'overwrite' } : stringMap(obj.summary, `${path}.summary`)
  const operation = summaryJson.operation
  if (operation === undefined || !OPERATIONS.has(operation)) throw invalid(`${path}.summary.operation`, 'append, replace, overwrite or delete', operation)
  const snapshot: Snapshot = {
    'snapshot-id': reqLong(obj, 'snapshot-id', path),
    'sequence-number': optInt(obj, 'sequence-number', path) ?? 0,
    'timestamp-ms': reqInt(obj, 'timestamp-ms', path),
    'manifest-list': reqString(obj, 'manifest-list', path),
    summary: summaryJson as SnapshotSummary,
  }
  const parent = optLong(obj, 'parent-snapshot-id', path)
  if (parent !== undefined) snapshot['parent-snapshot-id'] = parent
  const schemaId = optInt(obj, 'schema-id', path)
  if (schemaId !== undefined) snapshot['schema-id'] = schemaId
  const firstRowId = optLong(obj, 'first-row-id', path)
  if (firstRowId !== undefined) snapshot['first-row-id'] = firstRowId
  const addedRows = optLong(obj, 'added-rows', path)
  if (addedRows !== undefined) snapshot['added-rows'] = addedRows
  return snapshot
}

/** A snapshot in Java's key order; ids stay bigint for stringifyJson. */
export function snapshotToJson(snapshot: Snapshot): unknown {
  const out: Record<string, unknown> = { 'snapshot-id': snapshot['snapshot-id'] }
  if (snapshot['parent-snapshot-id'] !== undefined) out['parent-snapshot-id'] = snapshot['parent-snapshot-id']
  out['sequence-number'] = snapshot['sequence-number']
  out['timestamp-ms'] = snapshot['timestamp-ms']
  out.summary = { ...snapshot.summary }
  out['manifest-list'] = snapshot['manifest-list']
  if (snapshot['schema-id'] !== undefined) out['schema-id'] = snapshot['schema-id']
  if (snapshot['first-row-id'] !== undefined) out['first-row-id'] = snapshot['first-row-id']
  if (snapshot['added-rows'] !== undefined) out['added-rows'] = snapshot['added-rows']
  return out
}

/** Reads a snapshot ref. Throws ValidationError (code VALIDATION). */
export function snapshotRefFromJson(json: unknown, path = 'ref'): SnapshotRef {
  const obj = asObject(json, path)
  const type = reqString(obj, 'type', path)
  if (type !== 'branch' && type !== 'tag') throw invalid(`${path}.type`, '"branch" or "tag"', type)
  const ref: SnapshotRef = { 'snapshot-id': reqLong(obj, 'snapshot-id', path), type }
  const minSnapshots = optInt(obj, 'min-snapshots-to-keep', path)
  if (minSnapshots !== undefined) ref['min-snapshots-to-keep'] = minSnapshots
  const maxSnapshotAge = optInt(obj, 'max-snapshot-age-ms', path)
  if (maxSnapshotAge !== undefined) ref['max-snapshot-age-ms'] = maxSnapshotAge
  const maxRefAge = optInt(obj, 'max-ref-age-ms', path)
  if (maxRefAge !== undefined) ref['max-ref-age-ms'] = maxRefAge
  return ref
}

export function snapshotRefToJson(ref: SnapshotRef): unknown {
  const out: Record<string, unknown> = { 'snapshot-id': ref['snapshot-id'], type: ref.type }
  if (ref['min-snapshots-to-keep'] !== undefined) out['min-snapshots-to-keep'] = ref['min-snapshots-to-keep']
  if (ref['max-snapshot-age-ms'] !== undefined) out['max-snapshot-age-ms'] = ref['max-snapshot-age-ms']
  if (ref['max-ref-age-ms'] !== undefined) out['max-ref-age-ms'] = ref['max-ref-age-ms']
  return out
}
