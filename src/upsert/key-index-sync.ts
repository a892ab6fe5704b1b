/**
 * Brings a key index to a table's current snapshot (edge-safe: reads through the TableFiles port).
 * The index records which data files it covers and which delete files it applied to each, so the
 * sync is a diff of that against the table — whatever happened in between, by whomever: our own
 * commits the index missed (a crash before it was stored), appends and deletes by other engines,
 * compaction, expiry of the snapshot the index was stamped with, even a rollback. An empty index
 * diffs into a full rebuild. Only files that changed are read, and of them only the key columns.
 *
 *   data file gone                         its keys are forgotten
 *   applied delete gone (rollback, or a    the file is read again, minus its current deletes
 *     v3 deletion vector superseded)
 *   new delete on a covered file           its positions are forgotten
 *   new data file                          its keys are read, minus its deletes
 */
import type { IcebergValue, NestedField, TableMetadata } from '../iceberg/types.ts'
import type { KeyIndex } from './key-index.ts'
import { keyStringOf, type UpsertKey } from './upsert-key.ts'

/** A delete file (or one deletion vector inside a Puffin file) as it applies to one data file. */
export interface DeleteRef {
  /** Stable and unique: the file path, with `#<offset>` for a deletion vector blob. */
  id: string
}

export interface LiveDataFile {
  path: string
  /** The delete files that apply to it in the snapshot (by sequence number and partition, per the spec). */
  deletes: DeleteRef[]
}

/** How the sync reads a table; the implementation over the query planner and the delete readers is table-files.ts. */
export interface TableFiles<Ref extends DeleteRef = DeleteRef> {
  /** The live data files of the current snapshot of `metadata`, each with the deletes that apply to it. */
  liveFiles(metadata: TableMetadata): Promise<(LiveDataFile & { deletes: Ref[] })[]>
  /** The key columns of data file `path`, one array per field, in row-position order. */
  readKeyColumns(metadata: TableMetadata, path: string, fields: NestedField[]): Promise<(IcebergValue | undefined)[][]>
  /** The positions `ref` deletes in data file `path`. */
  deletedPositions(ref: Ref, path: string): Promise<Set<number>>
}

export interface SyncReport {
  /** Whether anything was read (false: the index was at the current snapshot already). */
  changed: boolean
  filesRead: number
  filesDropped: number
  deletesApplied: number
  /** Rows of keys found live already (another engine appended a key again): the next change of the key deletes them all. */
  duplicateKeys: number
}

async function union<Ref extends DeleteRef>(files: TableFiles<Ref>, refs: Ref[], path: string): Promise<Set<number>> {
  const all = new Set<number>()
  for (const ref of refs) for (const position of await files.deletedPositions(ref, path)) all.add(position)
  return all
}

/** Syncs `index` to `metadata`'s current snapshot (see the module comment). Throws what the reads throw. */
export async function syncKeyIndex<Ref extends DeleteRef>(index: KeyIndex, metadata: TableMetadata, key: UpsertKey, files: TableFiles<Ref>): Promise<SyncReport> {
  const report: SyncReport = { changed: false, filesRead: 0, filesDropped: 0, deletesApplied: 0, duplicateKeys: 0 }
  const current = metadata['current-snapshot-id']
  if (current !== undefined && index.snapshotId === current) return report
  report.changed = true
  const live = current === undefined ? [] : await files.liveFiles(metadata)
  const liveByPath = new Map(live.map((f) => [f.path, f]))

  const stale = new Set<string>()
  for (const covered of index.files()) {
    const now = liveByPath.get(covered.path)
    if (!now) stale.add(covered.path)
    else {
      const ids = new Set(now.deletes.map((d) => d.id))
      if (covered.deletes.some((id) => !ids.has(id))) stale.add(covered.path)
    }
  }
  report.filesDropped = stale.size
  index.dropFiles(stale)

  const newDeletes = new Map<string, { positions: Set<number>; refs: string[] }>()
  for (const covered of index.files()) {
    const applied = new Set(covered.deletes)
    const fresh = liveByPath.get(covered.path)!.deletes.filter((d) => !applied.has(d.id))
    if (!fresh.length) continue
    report.deletesApplied += fresh.length
    newDeletes.set(covered.path, { positions: await union(files, fresh, covered.path), refs: fresh.map((d) => d.id) })
  }
  index.dropPositions(newDeletes)

  for (const file of live) {
    if (index.file(file.path)) continue
    report.filesRead++
    const deleted = await union(files, file.deletes, file.path)
    const columns = await files.readKeyColumns(metadata, file.path, key.fields)
    index.addFile(file.path, file.deletes.map((d) => d.id))
    const rows = columns[0]?.length ?? 0
    const values = new Array<IcebergValue | undefined>(columns.length)
    for (let position = 0; position < rows; position++) {
      if (deleted.has(position)) continue
      for (let c = 0; c < columns.length; c++) values[c] = columns[c]![position]
      const k = keyStringOf(key, values)
      if (index.get(k)) report.duplicateKeys++
      index.add(k, file.path, position)
    }
  }
  index.snapshotId = current
  return report
}
