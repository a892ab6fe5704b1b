/**
 * TableFiles (key-index-sync.ts) over the scan planner and the delete readers (edge-safe: FileIO). A data
 * file's deletes are its deletion vector, or else the position-delete files that may hold its rows (as
 * the planner applies them); each is one DeleteRef, so the sync can tell which it has applied.
 */
import type { IcebergValue, NestedField } from '../iceberg/types.ts'
import type { ApplicableDeletes, LiveFile } from '../deletes/delete-index.ts'
import { createDeleteLoader } from '../deletes/delete-loader.ts'
import type { Decompressors } from '../parquet/read.ts'
import { readParquetColumns } from '../parquet/read.ts'
import { planScan } from '../query/plan.ts'
import type { FileIO } from '../storage/file-io.ts'
import type { DeleteRef, TableFiles } from './key-index-sync.ts'
import { deleteRefId } from './upsert-table.ts'

interface PlannedDelete extends DeleteRef {
  live: LiveFile
  vector: boolean
}

/** The table reader key indexes sync through. Throws what planning and reading throw (an equality delete: UNSUPPORTED_DELETES). */
export function tableFiles(io: FileIO, decompressors: Decompressors = {}): TableFiles<PlannedDelete> {
  const loader = createDeleteLoader(io, { decompressors })
  const refs = (deletes: ApplicableDeletes | undefined): PlannedDelete[] => {
    if (!deletes) return []
    if (deletes.deletionVector) return [{ id: deleteRefId(deletes.deletionVector.file), live: deletes.deletionVector, vector: true }]
    return deletes.positionDeletes.map((live) => ({ id: deleteRefId(live.file), live, vector: false }))
  }
  return {
    async liveFiles(metadata) {
      const plan = await planScan({ io, metadata })
      return plan.files.map((planned) => ({ path: planned.dataFile['file-path'], deletes: refs(planned.deletes) }))
    },
    async readKeyColumns(_metadata, path, fields: NestedField[]) {
      const read = await readParquetColumns(await io.read(path), fields, { decompressors, namesWithoutIds: true })
      return read.columns as (IcebergValue | undefined)[][]
    },
    async deletedPositions(ref, path) {
      const deletes: ApplicableDeletes = ref.vector ? { deletionVector: ref.live, positionDeletes: [], equalityDeletes: [] } : { positionDeletes: [ref.live], equalityDeletes: [] }
      return new Set(await loader.positions(path, deletes))
    },
  }
}
