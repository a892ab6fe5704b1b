/** WAL recovery on open: validate every segment, cut each at its last whole record, and report what was cut; host-only. */

import { basename } from 'node:path'
import { WalError } from './errors.ts'
import { MAX_RECORD_BYTES } from './frame.ts'
import { cutSegment, listSegments, scanSegment } from './segment.ts'

/** A segment as the log tracks it: `lastSeq` is `firstSeq - 1` while it holds no record. */
export interface SegmentState {
  firstSeq: bigint
  lastSeq: bigint
  bytes: number
  path: string
}

/** What open found: segment and record counts after the cuts, bytes cut, and the last whole record's seq (0 if none). */
export interface WalRecovery {
  segments: number
  records: number
  truncatedBytes: number
  lastSeq: bigint
}

export interface RecoveredSegments {
  segments: SegmentState[]
  recovery: WalRecovery
  /** Lowest seq the next record may take: above every seq seen, including checksummed frames lost in a cut. */
  nextSeq: bigint
}

/**
 * Scans the segments of `dir` oldest first and cuts each one at its first torn or corrupt frame.
 *
 * Choice on a corrupt frame with valid frames after it in the same segment: everything from the bad frame to
 * the end of that segment is cut and reported (bytes, and how many checksummed frames are lost). Skipping
 * the bad frame is not safe: a damaged length field misaligns every frame after it, and replay promises a
 * gapless run per segment. The seqs of the lost frames still raise `nextSeq`, so a seq once handed out is
 * never handed out again (the batcher may already have committed it). Later segments are kept: they are
 * whole and checksummed; the gap between segments is logged.
 *
 * @throws WalError `WAL_CORRUPT` when two segments overlap in seq (no safe cut exists; an operator must look),
 *   `WAL_IO` when a file cannot be read, cut or synced.
 */
export async function recoverSegments(
  dir: string,
  sync: boolean,
  log: (line: string) => void,
): Promise<RecoveredSegments> {
  const segments: SegmentState[] = []
  const recovery: WalRecovery = { segments: 0, records: 0, truncatedBytes: 0, lastSeq: 0n }
  let nextSeq = 1n
  let previous: SegmentState | undefined

  for (const entry of await listSegments(dir)) {
    const name = basename(entry.path)
    if (previous && entry.firstSeq <= previous.lastSeq) {
      const message = `wal ${dir}: segment ${name} starts at seq ${entry.firstSeq} but ${basename(previous.path)} reaches seq ${previous.lastSeq}`
      throw new WalError('WAL_CORRUPT', message, { context: { dir, segment: name } })
    }
    if (previous && entry.firstSeq > previous.lastSeq + 1n) {
      log(`wal ${dir}: seqs ${previous.lastSeq + 1n}..${entry.firstSeq - 1n} missing before segment ${name}`)
    }

    const scan = await scanSegment(entry, MAX_RECORD_BYTES)
    const last = scan.records.at(-1)
    const state: SegmentState = {
      firstSeq: entry.firstSeq,
      lastSeq: last ? last.seq : entry.firstSeq - 1n,
      bytes: scan.validBytes,
      path: entry.path,
    }
    if (scan.tail !== 'clean') {
      const cut = scan.fileBytes - scan.validBytes
      const { records: lostRecords, maxSeq: lostMaxSeq } = scan.beyond
      const lost = lostRecords > 0 ? `, ${lostRecords} checksummed records after it lost (seq up to ${lostMaxSeq})` : ''
      const kept = `kept ${scan.records.length} records`
      log(`wal ${dir}: segment ${name} ${scan.tail} at offset ${scan.validBytes}, cut ${cut} bytes, ${kept}${lost} (${scan.detail})`)
      // Cut now, before any append: the writer continues at validBytes, and a stale tail left behind new
      // frames would read as corruption at the next open and take acknowledged records with it.
      await cutSegment(entry.path, scan.validBytes, sync)
      recovery.truncatedBytes += cut
    }
    if (scan.beyond.maxSeq !== undefined && scan.beyond.maxSeq >= nextSeq) nextSeq = scan.beyond.maxSeq + 1n
    if (state.lastSeq + 1n > nextSeq) nextSeq = state.lastSeq + 1n
    // An empty segment's name is a seq floor too: it is how the next seq survives deleting every record.
    if (entry.firstSeq > nextSeq) nextSeq = entry.firstSeq
    if (last) recovery.lastSeq = last.seq
    recovery.records += scan.records.length
    segments.push(state)
    previous = state
  }
  recovery.segments = segments.length
  return { segments, recovery, nextSeq }
}
