/** WAL segment files: naming, listing, validating and cutting on open, and the append handle with fdatasync; host-only. */

import { mkdir, open, readdir, readFile, rename, truncate, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { WalError } from './errors.ts'
import { decodeFrames, surveyBeyond, type DecodedFrames, type FramesBeyond } from './frame.ts'

/*
 * Layout: a directory of segment files named `<first seq, 20 digits zero-padded>.wal`
 * (e.g. `00000000000000000042.wal`), each a run of frames (see frame.ts) whose seqs start at the name
 * and go up by one. Twenty digits hold any u64, so the name order is the seq order.
 */

const NAME = /^(\d{20})\.wal$/

export function segmentFileName(firstSeq: bigint): string {
  return `${firstSeq.toString().padStart(20, '0')}.wal`
}

/** The first seq a segment file name carries, or undefined when the name is not a segment's. */
export function parseSegmentFileName(name: string): bigint | undefined {
  const m = NAME.exec(name)
  return m ? BigInt(m[1]!) : undefined
}

export interface SegmentEntry {
  firstSeq: bigint
  path: string
}

/**
 * Segment files in `dir`, oldest first. Other files are ignored.
 * @throws WalError `WAL_IO` when the directory cannot be read.
 */
export async function listSegments(dir: string): Promise<SegmentEntry[]> {
  const names = await io('readdir', dir, () => readdir(dir))
  const entries: SegmentEntry[] = []
  for (const name of names) {
    const firstSeq = parseSegmentFileName(name)
    if (firstSeq !== undefined) entries.push({ firstSeq, path: join(dir, name) })
  }
  return entries.sort((a, b) => (a.firstSeq < b.firstSeq ? -1 : a.firstSeq > b.firstSeq ? 1 : 0))
}

export interface SegmentScan extends DecodedFrames {
  /** Size of the file as found, before any cut. */
  fileBytes: number
  /** Checksummed frames after a corrupt stop point (none when clean or torn). */
  beyond: FramesBeyond
}

/**
 * Reads a whole segment and decodes its frames; the first must carry `firstSeq`.
 * @throws WalError `WAL_IO` when the file cannot be read.
 */
export async function scanSegment(entry: SegmentEntry, maxRecordBytes: number): Promise<SegmentScan> {
  const bytes = await readSegment(entry.path)
  const decoded = decodeFrames(bytes, 0, { maxRecordBytes, expectSeq: entry.firstSeq })
  const beyond =
    decoded.tail === 'corrupt'
      ? surveyBeyond(bytes, decoded.validBytes, maxRecordBytes)
      : { records: 0, maxSeq: undefined }
  return { ...decoded, fileBytes: bytes.length, beyond }
}

/**
 * The first `length` bytes of a segment (all of it when omitted).
 * @throws WalError `WAL_IO` when the file cannot be read.
 */
export async function readSegment(path: string, length?: number): Promise<Uint8Array> {
  // node:fs rather than Bun.file, so the WAL runs unchanged on Deno too.
  const bytes = await io('read', path, async () => {
    const all = new Uint8Array(await readFile(path))
    return length === undefined ? all : all.subarray(0, length)
  })
  if (length !== undefined && bytes.length !== length) {
    throw new WalError('WAL_IO', `read ${path}: expected ${length} bytes, got ${bytes.length}`, { context: { path } })
  }
  return bytes
}

/**
 * Creates `dir` (and parents) when missing.
 * @throws WalError `WAL_IO` when it cannot be created.
 */
export async function ensureDirectory(dir: string): Promise<void> {
  await io('mkdir', dir, () => mkdir(dir, { recursive: true }))
}

/**
 * Cuts a segment to `length` bytes; with `sync`, makes the cut durable.
 * @throws WalError `WAL_IO` when the truncate or fsync fails.
 */
export async function cutSegment(path: string, length: number, sync: boolean): Promise<void> {
  const handle = await io('open', path, () => open(path, 'r+'))
  try {
    await io('ftruncate', path, () => handle.truncate(length))
    // The cut must reach disk before new frames are written after it: otherwise a crash could bring the
    // old bad bytes back behind good ones, and the next recovery would cut records that were acknowledged.
    if (sync) await io('fsync', path, () => handle.sync())
  } finally {
    await handle.close()
  }
}

/**
 * Deletes a segment file. The caller fsyncs the directory afterwards.
 * @throws WalError `WAL_IO` when unlink fails.
 */
export async function deleteSegment(path: string): Promise<void> {
  await io('unlink', path, () => unlink(path))
}

/** A segment no longer in the log whose blocks are still being released (releaseFile): `<segment name>.deleting`. */
const DELETING = '.deleting'

/**
 * Takes a segment out of the log at once: renamed to `<name>.deleting`, which listSegments ignores. The
 * caller fsyncs the directory afterwards, then releases the file's blocks (releaseFile).
 * @throws WalError `WAL_IO` when the rename fails.
 */
export async function retireSegment(path: string): Promise<string> {
  const retired = `${path}${DELETING}`
  await io('rename', path, () => rename(path, retired))
  return retired
}

/** Files retireSegment left that a crash kept from being released, oldest first. */
export async function listRetired(dir: string): Promise<string[]> {
  const names = await io('readdir', dir, () => readdir(dir))
  return names.filter((name) => name.endsWith(DELETING) && parseSegmentFileName(name.slice(0, -DELETING.length)) !== undefined).sort().map((name) => join(dir, name))
}

/** Bytes a release frees per step, and the pause between steps. */
const RELEASE_STEP_BYTES = 4 * 1024 * 1024
const RELEASE_PAUSE_MS = 2

/**
 * Frees a file's blocks a few MiB at a time, then unlinks it. Why: on ext4, one unlink of a 64 MiB
 * segment held every concurrent append's fdatasync for ~40 ms behind the journal's release of its
 * extents — the worst HTTP acks; 4 MiB steps hold them a few ms at most.
 * @throws WalError `WAL_IO` when a truncate or the unlink fails.
 */
export async function releaseFile(path: string, bytes: number): Promise<void> {
  for (let size = bytes - RELEASE_STEP_BYTES; size > 0; size -= RELEASE_STEP_BYTES) {
    await io('truncate', path, () => truncate(path, size))
    await new Promise((resolve) => setTimeout(resolve, RELEASE_PAUSE_MS))
  }
  await io('unlink', path, () => unlink(path))
}

/**
 * Makes creations and deletions of files in `dir` durable (fsync on a directory fd; Linux semantics).
 * @throws WalError `WAL_IO` when the directory cannot be opened or synced.
 */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await io('open', dir, () => open(dir, 'r'))
  try {
    await io('fsync', dir, () => handle.sync())
  } finally {
    await handle.close()
  }
}

/** The open, writable tail of a segment: positioned writes at its end, each followed by fdatasync. */
export class SegmentWriter {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private position: number,
  ) {}

  /**
   * Opens an existing segment for appends at `position` (its valid length), or creates a new empty one.
   * A new file is not durable until the caller fsyncs the directory.
   * @throws WalError `WAL_IO` when the file cannot be opened, or (create) already exists.
   */
  static async open(path: string, position: number, create: boolean): Promise<SegmentWriter> {
    const handle = await io('open', path, () => open(path, create ? 'wx' : 'r+'))
    return new SegmentWriter(path, handle, position)
  }

  get bytes(): number {
    return this.position
  }

  /**
   * Writes `bytes` at the end and, with `sync`, waits for fdatasync: only then are the records durable.
   * fdatasync rather than fsync: it flushes the data and the file size (needed to read the data back),
   * skipping timestamps, which recovery does not need.
   * @throws WalError `WAL_IO` on a failed or short write, or a failed fdatasync.
   */
  async append(bytes: Uint8Array, sync: boolean): Promise<void> {
    let done = 0
    while (done < bytes.length) {
      const at = this.position + done
      const { bytesWritten } = await io('write', this.path, () =>
        this.handle.write(bytes, done, bytes.length - done, at),
      )
      if (bytesWritten <= 0) throw new WalError('WAL_IO', `write ${this.path} at ${at}: wrote ${bytesWritten} bytes`)
      done += bytesWritten
    }
    if (sync) await io('fdatasync', this.path, () => this.handle.datasync())
    this.position += bytes.length
  }

  /**
   * Cuts the file back to `length` (≤ what was written) and, with `sync`, waits for fdatasync; later appends
   * go there. Used to take back a write that failed part-way: shrinking a file needs no free space.
   * @throws WalError `WAL_IO` when the truncate or fdatasync fails.
   */
  async truncate(length: number, sync: boolean): Promise<void> {
    await io('ftruncate', this.path, () => this.handle.truncate(length))
    if (sync) await io('fdatasync', this.path, () => this.handle.datasync())
    this.position = length
  }

  /**
   * With `sync`, a full fsync (data and metadata); then closes the handle.
   * @throws WalError `WAL_IO` when fsync or close fails.
   */
  async close(sync: boolean): Promise<void> {
    try {
      if (sync) await io('fsync', this.path, () => this.handle.sync())
    } finally {
      await io('close', this.path, () => this.handle.close())
    }
  }
}

/** Runs a file-system call, turning its failure into a `WAL_IO` error that names the call and the path. */
async function io<T>(call: string, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (cause) {
    if (cause instanceof WalError) throw cause
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new WalError('WAL_IO', `${call} ${path}: ${reason}`, { cause, context: { call, path } })
  }
}
