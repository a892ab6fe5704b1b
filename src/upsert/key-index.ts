/**
 * The primary-key index of an upsert table: key → (data file, row position) of the key's live row,
 * as of one snapshot of the table (pure, in memory). The table is the truth and this a cache of it:
 * key-index-sync.ts brings it to a snapshot by diffing the files it covers against the table's, and
 * key-index-codec.ts stores it beside the WAL between runs.
 *
 * Memory: one Map entry per key, the value packing the file's ordinal and the position into one
 * double (ordinal * 2^32 + position; exact below 2^53), so a key costs its string and one number
 * (bench/upsert.bench.ts measures it). Files are kept once, in `files`, with the delete files the
 * index has applied to each: what the sync compares with the table. A key live in more than one
 * row (another engine appended it again) keeps its other rows in a side map, so the next change of
 * that key deletes every one of them.
 */
import { IngestError } from '../errors.ts'

/** A data file the index covers, and the delete files (by deleteRefId) whose positions it has applied. */
export interface IndexedFile {
  path: string
  deletes: string[]
}

export interface RowLocation {
  file: string
  position: number
}

const POSITION_SPAN = 2 ** 32
/** Ordinals stay below 2^21 so that ordinal * 2^32 + position is an exact double. */
const MAX_ORDINALS = 2 ** 21

const ordinalOf = (packed: number) => Math.floor(packed / POSITION_SPAN)

export class KeyIndex {
  /** The snapshot the index describes; undefined for a table without snapshots (or an index not yet synced). */
  snapshotId: bigint | undefined
  readonly #entries = new Map<string, number>()
  /** Keys live in more than one row: their rows beyond the one in #entries. Empty in a table only upserts wrote. */
  readonly #extra = new Map<string, number[]>()
  /** By ordinal; a dropped file leaves undefined until compactOrdinals. */
  #files: (IndexedFile | undefined)[] = []
  readonly #ordinals = new Map<string, number>()

  /** Keys with a live row. */
  get size(): number {
    return this.#entries.size
  }

  /** Keys live in more than one row. */
  get duplicated(): number {
    return this.#extra.size
  }

  /** The files the index covers (live in its snapshot). */
  files(): IndexedFile[] {
    return this.#files.filter((f): f is IndexedFile => f !== undefined)
  }

  file(path: string): IndexedFile | undefined {
    const ordinal = this.#ordinals.get(path)
    return ordinal === undefined ? undefined : this.#files[ordinal]
  }

  /**
   * Starts covering `path` (no keys yet); `deletes` are the delete files already applied to what will be set.
   * Throws IngestError KEY_INDEX for a path covered already, or past 2^21 live files.
   */
  addFile(path: string, deletes: string[] = []): void {
    if (this.#ordinals.has(path)) throw new IngestError('KEY_INDEX', `key index: data file ${path} is indexed already`)
    if (this.#files.length >= MAX_ORDINALS) this.#compactOrdinals()
    if (this.#files.length >= MAX_ORDINALS) throw new IngestError('KEY_INDEX', `key index: more than ${MAX_ORDINALS} live data files; compact the table`)
    this.#ordinals.set(path, this.#files.length)
    this.#files.push({ path, deletes: [...deletes] })
  }

  #location(packed: number): RowLocation {
    const ordinal = ordinalOf(packed)
    return { file: this.#files[ordinal]!.path, position: packed - ordinal * POSITION_SPAN }
  }

  #pack(file: string, position: number): number {
    const ordinal = this.#ordinals.get(file)
    if (ordinal === undefined) throw new IngestError('KEY_INDEX', `key index: data file ${file} is not indexed`)
    if (!Number.isInteger(position) || position < 0 || position >= POSITION_SPAN) throw new IngestError('KEY_INDEX', `key index: row position ${position} out of range`)
    return ordinal * POSITION_SPAN + position
  }

  /** The key's live row (one of them, if another engine left it live twice: see locations). */
  get(key: string): RowLocation | undefined {
    const packed = this.#entries.get(key)
    return packed === undefined ? undefined : this.#location(packed)
  }

  /** Every live row of the key: one, or none; more only when another engine appended the key again. */
  locations(key: string): RowLocation[] {
    const packed = this.#entries.get(key)
    if (packed === undefined) return []
    const extra = this.#extra.get(key)
    return extra ? [packed, ...extra].map((p) => this.#location(p)) : [this.#location(packed)]
  }

  /** The key's one live row is now at `position` of `file`: its other rows were deleted. Throws IngestError KEY_INDEX for a file not added or a position past 2^32. */
  set(key: string, file: string, position: number): void {
    this.#entries.set(key, this.#pack(file, position))
    this.#extra.delete(key)
  }

  /** The key has a live row at `position` of `file` besides any it had (what a sync finds in a file). Throws like `set`. */
  add(key: string, file: string, position: number): void {
    const packed = this.#pack(file, position)
    const first = this.#entries.get(key)
    if (first === undefined) return void this.#entries.set(key, packed)
    const extra = this.#extra.get(key)
    if (extra) extra.push(packed)
    else this.#extra.set(key, [packed])
  }

  delete(key: string): void {
    this.#entries.delete(key)
    this.#extra.delete(key)
  }

  /** Forgets the rows for which `gone(packed)` holds, keeping a key alive while any of its rows is. */
  #forget(gone: (packed: number) => boolean): void {
    for (const [key, extra] of this.#extra) {
      const kept = extra.filter((p) => !gone(p))
      if (kept.length) this.#extra.set(key, kept)
      else this.#extra.delete(key)
    }
    for (const [key, packed] of this.#entries) {
      if (!gone(packed)) continue
      const extra = this.#extra.get(key)
      if (!extra) this.#entries.delete(key)
      else {
        this.#entries.set(key, extra.shift()!)
        if (!extra.length) this.#extra.delete(key)
      }
    }
  }

  /** Stops covering these files and forgets every key whose row was in one of them (one pass over the keys). */
  dropFiles(paths: Iterable<string>): void {
    const dropped = new Set<number>()
    for (const path of paths) {
      const ordinal = this.#ordinals.get(path)
      if (ordinal === undefined) continue
      dropped.add(ordinal)
      this.#ordinals.delete(path)
      this.#files[ordinal] = undefined
    }
    if (dropped.size) this.#forget((packed) => dropped.has(ordinalOf(packed)))
  }

  /**
   * Applies delete files: per data file, the positions they delete and their refs. Keys whose row sits
   * at one of those positions are forgotten (one pass over all keys, however many files), and the refs
   * join each file's applied deletes.
   */
  dropPositions(byFile: ReadonlyMap<string, { positions: ReadonlySet<number>; refs: readonly string[] }>): void {
    const byOrdinal = new Map<number, ReadonlySet<number>>()
    for (const [path, { positions, refs }] of byFile) {
      const ordinal = this.#ordinals.get(path)
      if (ordinal === undefined) continue
      const entry = this.#files[ordinal]!
      for (const ref of refs) if (!entry.deletes.includes(ref)) entry.deletes.push(ref)
      if (positions.size) byOrdinal.set(ordinal, positions)
    }
    if (!byOrdinal.size) return
    this.#forget((packed) => {
      const ordinal = ordinalOf(packed)
      return byOrdinal.get(ordinal)?.has(packed - ordinal * POSITION_SPAN) === true
    })
  }

  /** Replaces the delete files recorded for `file` (a v3 deletion vector supersedes the one before it). */
  setDeletes(file: string, deleteRefs: string[]): void {
    const entry = this.file(file)
    if (entry) entry.deletes = [...deleteRefs]
  }

  /** Every live row, for the codec: key, file ordinal among files(), position (a key live twice appears twice). */
  *entries(): IterableIterator<[string, number, number]> {
    const renumbered = new Map<number, number>()
    this.#files.forEach((f, ordinal) => f && renumbered.set(ordinal, renumbered.size))
    const entry = (key: string, packed: number): [string, number, number] => {
      const ordinal = ordinalOf(packed)
      return [key, renumbered.get(ordinal)!, packed - ordinal * POSITION_SPAN]
    }
    for (const [key, packed] of this.#entries) yield entry(key, packed)
    for (const [key, extra] of this.#extra) for (const packed of extra) yield entry(key, packed)
  }

  /** Files dropped over time leave holes in the ordinals; renumber so they do not run out. */
  #compactOrdinals(): void {
    const renumbered = new Map<number, number>()
    const files: IndexedFile[] = []
    this.#files.forEach((f, ordinal) => {
      if (!f) return
      renumbered.set(ordinal, files.length)
      this.#ordinals.set(f.path, files.length)
      files.push(f)
    })
    const moved = (packed: number) => renumbered.get(ordinalOf(packed))! * POSITION_SPAN + (packed % POSITION_SPAN)
    for (const [key, packed] of this.#entries) this.#entries.set(key, moved(packed))
    for (const [key, extra] of this.#extra) this.#extra.set(key, extra.map(moved))
    this.#files = files
  }
}
