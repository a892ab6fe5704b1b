/**
 * Orphan removal: files under the table location that no metadata references and that are older
 * than a safety age. Referenced = the current metadata file and its metadata-log, statistics files
 * it names, and every manifest list, manifest and data/delete file of every snapshot. The age
 * protects files of commits in flight (written, not yet referenced); the default is 3 days.
 */
import { parseJson } from '../iceberg/serde/json.ts'
import type { TableIdentifier } from '../iceberg/types.ts'
import { normalizeLocation } from '../storage/file-io.ts'
import { MaintenanceError } from './errors.ts'
import { mapConcurrent } from '../async/map-concurrent.ts'
import { createManifestReader } from './manifest-reader.ts'
import { reachableFiles } from './reachable.ts'
import { type MaintenanceContext } from './replace-commit.ts'
import { tableName } from '../iceberg/table-identifier.ts'

export const ORPHAN_AGE_DEFAULT_MS = 3 * 24 * 3600 * 1000

export interface OrphanOptions {
  /** Only files last modified longer ago than this are removed (default 3 days). */
  olderThanMs?: number
  /** Report only (default true: deleting must be asked for). */
  dryRun?: boolean
  concurrency?: number
}

export interface OrphanFile {
  location: string
  size: number
  lastModified: Date
}

export interface OrphanResult {
  table: string
  dryRun: boolean
  /** Objects listed under the table location. */
  scanned: number
  referenced: number
  /** Unreferenced and old enough: deleted (or would be, in a dry run). */
  orphans: OrphanFile[]
  /** Unreferenced but younger than the safety age: kept. */
  tooNew: number
  /** Under another table's location nested inside this one: kept. */
  foreign: number
  deleteFailures: string[]
}

/** `<root>/metadata/<name>.metadata.json` → root. */
const TABLE_ROOT = /^(.*)\/metadata\/[^/]+\.metadata\.json$/

/** Statistics and partition-statistics paths of a metadata file (the model does not keep them). */
async function statisticsPaths(context: MaintenanceContext, metadataLocation: string): Promise<string[]> {
  const raw = parseJson(new TextDecoder().decode(await context.io.read(metadataLocation))) as Record<string, unknown>
  const paths: string[] = []
  for (const key of ['statistics', 'partition-statistics']) {
    const list = raw[key]
    if (!Array.isArray(list)) continue
    for (const item of list) {
      const path = (item as Record<string, unknown>)['statistics-path']
      if (typeof path === 'string') paths.push(path)
    }
  }
  return paths
}

/**
 * Finds (and unless `dryRun`, deletes) orphan files of one table.
 * @throws MaintenanceError `PREFIX_MISMATCH` when the listing does not contain the table's own
 *   referenced files (a scheme or bucket alias mismatch would make everything look orphaned);
 *   storage and decode errors while reading metadata (before anything is deleted).
 */
export async function removeOrphanFiles(context: MaintenanceContext, identifier: TableIdentifier, options: OrphanOptions = {}): Promise<OrphanResult> {
  const now = context.now ?? Date.now
  const log = context.log ?? (() => {})
  const name = tableName(identifier)
  const dryRun = options.dryRun ?? true
  const concurrency = options.concurrency ?? 16
  const cutoff = now() - (options.olderThanMs ?? ORPHAN_AGE_DEFAULT_MS)
  const table = await context.catalog.loadTable(identifier)
  const metadata = table.metadata
  const location = normalizeLocation(metadata.location.replace(/\/+$/, ''))

  const reachable = await reachableFiles(createManifestReader(context.io), metadata.snapshots, concurrency)
  const referenced = new Set<string>([
    ...reachable.manifestLists,
    ...reachable.manifests,
    ...reachable.namedFiles,
    normalizeLocation(table.metadataLocation),
    ...metadata['metadata-log'].map((e) => normalizeLocation(e['metadata-file'])),
    ...(await statisticsPaths(context, table.metadataLocation)).map(normalizeLocation),
  ])

  const listed: OrphanFile[] = []
  for await (const object of context.io.list(`${location}/`)) listed.push({ ...object, location: normalizeLocation(object.location) })
  const listedSet = new Set(listed.map((o) => o.location))
  const referencedHere = [...referenced].filter((p) => p.startsWith(`${location}/`))
  // Why: if none of the table's own files shows up, the listing names them differently (scheme,
  // bucket alias, endpoint); every file would then look unreferenced. Refuse rather than guess.
  if (referencedHere.length > 0 && !referencedHere.some((p) => listedSet.has(p))) {
    throw new MaintenanceError('PREFIX_MISMATCH', `table ${name}: none of its ${referencedHere.length} referenced files under ${location} appears in the listing; refusing to delete`, {
      context: { location },
    })
  }
  // Why: a table whose location lies inside this one (e.g. namespace a.b, table c under table a.b's
  // directory) has its own metadata; its files are not ours to judge.
  const foreignRoots = new Set<string>()
  for (const object of listed) {
    const root = TABLE_ROOT.exec(object.location)?.[1]
    if (root && root !== location && root.startsWith(`${location}/`)) foreignRoots.add(`${root}/`)
  }

  const result: OrphanResult = { table: name, dryRun, scanned: listed.length, referenced: referenced.size, orphans: [], tooNew: 0, foreign: 0, deleteFailures: [] }
  for (const object of listed) {
    if (referenced.has(object.location)) continue
    if ([...foreignRoots].some((root) => object.location.startsWith(root))) {
      result.foreign++
      continue
    }
    if (object.lastModified.getTime() >= cutoff) {
      result.tooNew++
      continue
    }
    result.orphans.push(object)
  }
  if (!dryRun) {
    await mapConcurrent(result.orphans, concurrency, async (orphan) => {
      try {
        await context.io.delete(orphan.location)
      } catch (error) {
        result.deleteFailures.push(orphan.location)
        log(`orphans ${name}: delete ${orphan.location} failed: ${(error as Error).message}`)
      }
    })
    log(`removed ${result.orphans.length - result.deleteFailures.length} orphan files of table ${name} (${result.tooNew} too new to judge)`)
  }
  return result
}
