/**
 * One upsert batch against the key index (pure): the last change per key wins, in the batch's order
 * (which is each Kafka partition's order, and the WAL's); a key whose live row is in a data file has
 * that position deleted, whether its last change is a new image or a delete.
 */
import { partitionValues } from '../iceberg/transforms.ts'
import type { DataFile, IcebergValue, PartitionSpec, Row, Schema } from '../iceberg/types.ts'
import { IngestError } from '../errors.ts'
import { isDelete } from './change.ts'
import type { KeyIndex } from './key-index.ts'
import { keyString, type UpsertKey } from './upsert-key.ts'

export interface BatchResolution {
  /** The new images to write, one per key, and their keys. */
  rows: Row[]
  keys: string[]
  /** Keys whose last change is a delete. */
  deletedKeys: string[]
  /** Data file → sorted positions of the rows this batch replaces or deletes. */
  deletes: Map<string, number[]>
  /** Changes the batch held (rows and deletes), before last-write-wins. */
  changes: number
}

/** A batch's changes in order: row `i`, and whether it is a delete (the key columns alone) rather than a new image. */
export interface BatchChanges {
  readonly length: number
  row(i: number): Row
  deleted(i: number): boolean
}

/** Rows as they leave the intake: deletes marked by markDelete. */
export const markedChanges = (rows: readonly Row[]): BatchChanges => ({ length: rows.length, row: (i) => rows[i]!, deleted: (i) => isDelete(rows[i]!) })

/** Resolves the changes of one batch against `index`. */
export function resolveBatch(key: UpsertKey, changes: BatchChanges, index: KeyIndex): BatchResolution {
  const last = new Map<string, number>()
  const rows: Row[] = new Array(changes.length)
  for (let i = 0; i < changes.length; i++) last.set(keyString(key, (rows[i] = changes.row(i))), i)
  const resolution: BatchResolution = { rows: [], keys: [], deletedKeys: [], deletes: new Map(), changes: changes.length }
  for (const [k, i] of last) {
    const row = rows[i]!
    if (changes.deleted(i)) resolution.deletedKeys.push(k)
    else {
      resolution.rows.push(row)
      resolution.keys.push(k)
    }
    for (const live of index.locations(k)) {
      let positions = resolution.deletes.get(live.file)
      if (!positions) resolution.deletes.set(live.file, (positions = []))
      positions.push(live.position)
    }
  }
  for (const positions of resolution.deletes.values()) positions.sort((a, b) => a - b)
  return resolution
}

const tupleKey = (values: readonly IcebergValue[]) =>
  JSON.stringify(values, (_, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Array.from(v) : v))

/**
 * Where each of `rows` landed: writeDataFiles groups rows by partition in first-seen order and
 * splits each group into files in row order, so row i is at its rank within its partition, counted
 * through that partition's files (in the order returned) by record count. Throws IngestError
 * UPSERT_POSITIONS when the files do not add up to the rows (the writer's order changed: a key
 * pointing at the wrong row would delete someone else's).
 */
export function rowPositions(schema: Schema, spec: PartitionSpec, rows: readonly Row[], dataFiles: readonly DataFile[]): { file: string; position: number }[] {
  const filesByPartition = new Map<string, DataFile[]>()
  for (const file of dataFiles) {
    const k = tupleKey(file.partition)
    let list = filesByPartition.get(k)
    if (!list) filesByPartition.set(k, (list = []))
    list.push(file)
  }
  const cursor = new Map<string, { file: number; position: number }>()
  const out: { file: string; position: number }[] = new Array(rows.length)
  const partitioned = spec.fields.length > 0
  for (let i = 0; i < rows.length; i++) {
    const k = partitioned ? tupleKey(partitionValues(spec, schema, rows[i]!)) : '[]'
    const files = filesByPartition.get(k)
    let at = cursor.get(k)
    if (!at) cursor.set(k, (at = { file: 0, position: 0 }))
    while (files && at.file < files.length && at.position >= files[at.file]!['record-count']) (at.file++, (at.position = 0))
    const file = files?.[at.file]
    if (!file) throw new IngestError('UPSERT_POSITIONS', `row ${i} of the batch (partition ${k}) is in none of the ${dataFiles.length} files written`)
    out[i] = { file: file['file-path'], position: at.position++ }
  }
  const placed = dataFiles.reduce((sum, f) => sum + f['record-count'], 0)
  if (placed !== rows.length) throw new IngestError('UPSERT_POSITIONS', `${rows.length} rows resolved, ${placed} written`)
  return out
}
