/**
 * Row lineage (spec "Row Lineage", format v3): how row ids are handed out at commit time and inherited on read.
 * Pure functions over the model; the commit loop and the manifest readers call them.
 */
import { ValidationError } from '../errors.ts'
import type { ManifestEntry, ManifestFile, TableMetadata } from './types.ts'

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
