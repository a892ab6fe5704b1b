/**
 * Row lineage (spec "Row Lineage", format v3): how row ids are handed out at commit time and inherited on read.
 * Pure functions over the model; the commit loop and the manifest readers call them.
 */
import { ValidationError } from '../errors.ts'
import type { ManifestEntry, ManifestFile, NestedField, Schema, TableMetadata } from './types.ts'

/** Spec "Reserved Field IDs": the row-lineage metadata columns a rewrite writes into data files. */
export const ROW_ID_FIELD: NestedField = { id: 2147483540, name: '_row_id', required: false, type: 'long' }
export const LAST_UPDATED_SEQUENCE_NUMBER_FIELD: NestedField = { id: 2147483539, name: '_last_updated_sequence_number', required: false, type: 'long' }

/** `schema` plus the two row-lineage columns, as a rewrite of a v3 table writes its files (Java's MetadataColumns.schemaWithRowLineage). */
export function schemaWithRowLineage(schema: Schema): Schema {
  return { ...schema, fields: [...schema.fields, ROW_ID_FIELD, LAST_UPDATED_SEQUENCE_NUMBER_FIELD] }
}

/**
 * Fills the row-lineage columns of rows read from one data file, in file order, as the spec has readers derive them:
 * a null `_row_id` is the file's first-row-id + the row's position, a null `_last_updated_sequence_number` the file's
 * data sequence number. Values already written (by an earlier rewrite) are kept. Changes the arrays in place.
 */
export function materializeRowLineage(rowIds: (bigint | null)[], sequenceNumbers: (bigint | null)[], file: { firstRowId?: bigint; sequenceNumber?: number }): void {
  const base = file.firstRowId
  const sequence = file.sequenceNumber === undefined ? undefined : BigInt(file.sequenceNumber)
  for (let position = 0; position < rowIds.length; position++) {
    if (rowIds[position] === null && base !== undefined) rowIds[position] = base + BigInt(position)
    if (sequenceNumbers[position] === null && sequence !== undefined) sequenceNumbers[position] = sequence
  }
}

export interface AssignedRowIds {
  /** The snapshot's manifest list with first-row-id set on every data manifest that lacked one. */
  manifests: ManifestFile[]
  /** The snapshot's first-row-id: the table's next-row-id. */
  firstRowId: bigint
  /** How many ids the snapshot reserved; the table's next-row-id advances by this much. */
  addedRows: bigint
}

/**
 * Assigns row-id ranges to the data manifests of a new snapshot's manifest list, as Java's v3 ManifestListWriter
 * does: a data manifest without first-row-id gets the next free id, and the next id advances by its added and
 * existing row counts (existing rows of a manifest from before v3 may have no ids yet, so room is left for them).
 * Manifests that already have one keep it; delete manifests get none.
 * @throws ValidationError (code VALIDATION) when the v3 table has no next-row-id.
 */
export function assignRowIds(metadata: Pick<TableMetadata, 'format-version' | 'next-row-id'>, manifests: readonly ManifestFile[]): AssignedRowIds {
  const start = metadata['next-row-id']
  if (start === undefined) throw new ValidationError(`a format-version ${metadata['format-version']} table without next-row-id cannot assign row ids`)
  let next = start
  const assigned = manifests.map((manifest) => {
    if (manifest.content !== 0 || manifest['first-row-id'] !== undefined) return manifest
    const first = next
    next += BigInt(manifest['added-rows-count']) + BigInt(manifest['existing-rows-count'])
    return { ...manifest, 'first-row-id': first }
  })
  return { manifests: assigned, firstRowId: start, addedRows: next - start }
}

/**
 * A manifest's entries with inherited first-row-ids made explicit, as Java's ManifestReader does: live data
 * files (ADDED or EXISTING) without one take the manifest's first-row-id plus the record counts of the
 * inheriting live files before them. Entries of a manifest without first-row-id (v2, or a delete manifest)
 * are returned as they are. A file's rows then have ids first-row-id + position in the file.
 */
export function inheritRowIds(entries: readonly ManifestEntry[], manifestFirstRowId: bigint | undefined): ManifestEntry[] {
  if (manifestFirstRowId === undefined) return [...entries]
  let next = manifestFirstRowId
  return entries.map((entry) => {
    const file = entry['data-file']
    if (entry.status === 2 || file.content !== 0 || file['first-row-id'] !== undefined) return entry
    const first = next
    next += BigInt(file['record-count'])
    return { ...entry, 'data-file': { ...file, 'first-row-id': first } }
  })
}
