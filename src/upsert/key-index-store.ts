/**
 * The key index's file: one object per table in an ObjectStore — on the worker, the fs store on
 * `<dataDir>/upsert-index/`, beside the WAL, whose puts are atomic (temp file + fsync + rename), so
 * after a crash the file is the old index or the new one, never half of each.
 */
import { NotFoundError } from '../errors.ts'
import type { ObjectStore } from '../storage/object-store.ts'
import type { KeyIndexStore } from './upsert-table.ts'

/** The index of table `name` (`namespace.table`) in `store`, as `<name>.pkix`. */
export function keyIndexStore(store: ObjectStore, name: string): KeyIndexStore {
  const key = `${name}.pkix`
  return {
    async load() {
      try {
        return await store.get(key)
      } catch (error) {
        if (error instanceof NotFoundError) return undefined
        throw error
      }
    },
    save: (bytes) => store.put(key, bytes),
  }
}
