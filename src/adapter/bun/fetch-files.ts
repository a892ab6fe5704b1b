/** HOST-ONLY: puts planned data files where DuckDB can read them — local paths as they are, others fetched to a temp dir. */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { normalizeLocation, type FileIO } from '../../storage/file-io.ts'

export interface FetchProgress {
  done: number
  total: number
  bytes: number
}

// read_parquet treats paths as glob patterns: only plain paths are handed over as they are.
const PLAIN_PATH = /^\/[\w\-./=%+:@,~]+$/

/**
 * Local paths for `locations` (same order): local locations (`file:///p`, and `file:/p` or `/p` as other engines write
 * them) with plain paths are used in place (the path is the normalized URI's text after `file://`, as the fs store
 * writes it); every other location is read through `io` into `dir`,
 * `concurrency` at a time. StorageError from `io` propagates (the message names the location).
 */
export async function fetchDataFiles(
  io: FileIO,
  locations: readonly string[],
  dir: string,
  options: { concurrency?: number; onProgress?: (progress: FetchProgress) => void } = {},
): Promise<{ paths: string[]; bytes: number }> {
  const paths: string[] = new Array(locations.length)
  let next = 0
  let done = 0
  let bytes = 0
  await mkdir(dir, { recursive: true })
  const worker = async () => {
    while (next < locations.length) {
      const index = next++
      const location = locations[index]!
      const normalized = normalizeLocation(location)
      const local = normalized.startsWith('file://') ? normalized.slice('file://'.length) : undefined
      if (local !== undefined && PLAIN_PATH.test(local)) {
        paths[index] = local
      } else {
        const body = await io.read(location)
        const path = join(dir, `${String(index).padStart(6, '0')}.parquet`)
        await writeFile(path, body)
        paths[index] = path
        bytes += body.length
      }
      done++
      options.onProgress?.({ done, total: locations.length, bytes })
    }
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 6, locations.length) }, worker))
  return { paths, bytes }
}
