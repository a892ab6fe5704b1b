/**
 * An upsert table's key index across commits: loaded from its file beside the WAL at the first
 * commit, synced to the snapshot each attempt builds on (key-index-sync.ts), advanced by our own
 * commits without reading anything back, and stored again — at most every `persistEveryMs`, and at
 * stop — so a restart catches up from a recent snapshot instead of reading the whole table. The
 * table is the truth: a missing, torn or foreign file is rebuilt from it.
 */
import type { DataFile, TableMetadata } from '../iceberg/types.ts'
import { decodeKeyIndex, encodeKeyIndex, type KeyIndexIdentity } from './key-index-codec.ts'
import { KeyIndex } from './key-index.ts'
import { syncKeyIndex, type TableFiles } from './key-index-sync.ts'
import type { BatchResolution } from './batch-resolution.ts'
import type { UpsertKey } from './upsert-key.ts'

/** Where an index is kept between runs (src/worker/key-index-file.ts: a file beside the WAL, replaced atomically). */
export interface KeyIndexStore {
  /** The stored bytes, or undefined when there are none. */
  load(): Promise<Uint8Array | undefined>
  /** Replaces the stored bytes whole: after a crash either the old or the new bytes are there. */
  save(bytes: Uint8Array): Promise<void>
}

export interface UpsertTableOptions {
  key: UpsertKey
  files: TableFiles
  store?: KeyIndexStore
  /** Table name for log lines. */
  name: string
  log: (line: string) => void
  /**
   * Stores at most this often (default 5 s), and never more often than 20 times the last encoding took:
   * encoding runs on the intake thread (~0.6 s per million keys, bench/upsert.bench.ts), so it stays under 5% of it.
   */
  persistEveryMs?: number
  now?: () => number
}

/** The id a delete file has in the index (key-index-sync.ts DeleteRef): its path, `#<offset>` for a deletion vector blob. */
export const deleteRefId = (deleteFile: Pick<DataFile, 'file-path' | 'content-offset'>): string =>
  deleteFile['content-offset'] === undefined ? deleteFile['file-path'] : `${deleteFile['file-path']}#${deleteFile['content-offset']}`

export class UpsertTable {
  readonly key: UpsertKey
  readonly #options: UpsertTableOptions
  #index: KeyIndex | undefined
  #identity: KeyIndexIdentity | undefined
  #persistedAt = -Infinity
  #encodeMs = 0
  #dirty = false
  #persisting: Promise<void> = Promise.resolve()

  constructor(options: UpsertTableOptions) {
    this.#options = options
    this.key = options.key
  }

  /** Keys in the index (0 before the first commit loads it). */
  get keys(): number {
    return this.#index?.size ?? 0
  }

  /** The index as of `metadata`'s current snapshot: loaded once, then synced. Throws what reading the table throws. */
  async synced(metadata: TableMetadata): Promise<KeyIndex> {
    const index = this.#index ?? (this.#index = await this.#load(metadata))
    const started = (this.#options.now ?? Date.now)()
    const report = await syncKeyIndex(index, metadata, this.key, this.#options.files)
    if (report.changed) {
      this.#dirty = true
      this.#options.log(
        `table ${this.#options.name}: key index synced to snapshot ${index.snapshotId ?? 'none'} (${index.size} keys; ${report.filesRead} files read, ${report.filesDropped} dropped, ${report.deletesApplied} deletes applied${report.duplicateKeys ? `, ${report.duplicateKeys} keys live twice` : ''}; ${(this.#options.now ?? Date.now)() - started} ms)`,
      )
    }
    return index
  }

  /**
   * Our snapshot `snapshotId` committed `resolution`: its deleted keys are gone, its new rows are at
   * `positions`, and the delete files it added (and the deletion vectors it replaced by merged ones,
   * `removed`) now apply to the data files it deleted from.
   */
  committed(snapshotId: bigint, resolution: BatchResolution, positions: { file: string; position: number }[], added: readonly DataFile[], removed: readonly DataFile[]): void {
    const index = this.#index!
    const gone = new Set(removed.map(deleteRefId))
    for (const key of resolution.deletedKeys) index.delete(key)
    for (const file of resolution.deletes.keys()) {
      const kept = (index.file(file)?.deletes ?? []).filter((id) => !gone.has(id))
      // A file-scoped delete names its data file; one position-delete file for several names none.
      const fresh = added.filter((d) => d['referenced-data-file'] === undefined || d['referenced-data-file'] === file).map(deleteRefId)
      index.setDeletes(file, [...kept, ...fresh])
    }
    for (const { file } of positions) if (!index.file(file)) index.addFile(file)
    resolution.keys.forEach((key, i) => index.set(key, positions[i]!.file, positions[i]!.position))
    index.snapshotId = snapshotId
    this.#dirty = true
    this.#persistSoon()
  }

  /** Our snapshot landed without this process seeing what it applied (an unknown outcome): the next sync diffs. */
  landedUnseen(): void {
    if (this.#index) this.#index.snapshotId = undefined
  }

  /** Stores the index now (at stop), after any store under way. */
  async persist(): Promise<void> {
    await this.#persisting
    if (this.#dirty) await (this.#persisting = this.#save())
  }

  #persistSoon(): void {
    const now = (this.#options.now ?? Date.now)()
    if (!this.#options.store || now - this.#persistedAt < Math.max(this.#options.persistEveryMs ?? 5_000, 20 * this.#encodeMs)) return
    this.#persistedAt = now
    this.#persisting = this.#persisting.then(() => this.#save())
  }

  async #save(): Promise<void> {
    const store = this.#options.store
    if (!store || !this.#index || !this.#identity || !this.#dirty) return
    this.#dirty = false
    try {
      // Encoded now, in one go: the index goes on changing once this awaits.
      const now = this.#options.now ?? Date.now
      const started = now()
      const bytes = await encodeKeyIndex(this.#index, this.#identity)
      this.#encodeMs = now() - started
      await store.save(bytes)
    } catch (error) {
      // A cache: the next start rebuilds or catches up from the table, so a failed store is only logged.
      this.#dirty = true
      this.#options.log(`table ${this.#options.name}: storing the key index failed (the next start syncs from the table): ${(error as Error).message}`)
    }
  }

  async #load(metadata: TableMetadata): Promise<KeyIndex> {
    this.#identity = { tableUuid: metadata['table-uuid'], keyFieldIds: this.key.fields.map((f) => f.id) }
    const store = this.#options.store
    const bytes = await store?.load().catch((error: Error) => {
      this.#options.log(`table ${this.#options.name}: reading the stored key index failed (${error.message}); rebuilding it from the table`)
      return undefined
    })
    if (!bytes) return new KeyIndex()
    const decoded = await decodeKeyIndex(bytes, this.#identity)
    if ('index' in decoded) {
      this.#options.log(`table ${this.#options.name}: key index loaded (${decoded.index.size} keys at snapshot ${decoded.index.snapshotId ?? 'none'})`)
      return decoded.index
    }
    this.#options.log(`table ${this.#options.name}: the stored key index is not usable (${decoded.reason}); rebuilding it from the table`)
    return new KeyIndex()
  }
}
