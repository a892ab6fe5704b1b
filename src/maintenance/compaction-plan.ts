/**
 * Bin-pack planning for compaction (pure): per partition, the live data files smaller than a
 * threshold — and every file with row-level deletes, whatever its size, so its deletes can be applied
 * and dropped — are packed first-fit-decreasing into bins of at most the target size; every bin of two
 * or more files, or holding a file with deletes, becomes one new file. Partitions with the most
 * candidates go first, until the per-run byte budget is spent.
 */
import type { DataFile, IcebergValue, ManifestEntry } from '../iceberg/types.ts'

/** Default `write.target-file-size-bytes` (Iceberg's: 128 MiB). */
export const TARGET_FILE_BYTES_DEFAULT = 128 * 1024 * 1024
/** Files under this share of the target are rewritten (Java's RewriteDataFiles default). */
export const MIN_FILE_RATIO_DEFAULT = 0.75

export interface CompactionPlanOptions {
  targetFileBytes: number
  /** Files smaller than this are candidates. */
  minFileBytes: number
  /** A partition is rewritten only when it has at least this many candidates. */
  minInputFiles: number
  /** Input bytes rewritten per run at most (the first bin is always taken). */
  maxBytesPerRun: number
}

export interface LiveDataFile {
  specId: number
  entry: ManifestEntry
  /** Row-level deletes (DVs, position deletes) apply to the file: rewrite it even when large or alone. */
  hasDeletes?: boolean
}

export interface CompactionGroup {
  specId: number
  partition: IcebergValue[]
  /** Identity of the partition within the plan (spec id + tuple). */
  key: string
  /** Each bin (two or more files) is rewritten into one file. */
  bins: DataFile[][]
}

/** A stable text key for a partition tuple (bigint and bytes included). */
export function partitionKey(specId: number, partition: IcebergValue[]): string {
  const json = JSON.stringify(partition, (_k, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `x${Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('')}` : v,
  )
  return `${specId}:${json}`
}

/** Options from the table's properties, overridden by `overrides`. */
export function compactionOptions(properties: Record<string, string>, overrides: Partial<CompactionPlanOptions> = {}): CompactionPlanOptions {
  const fromProperty = Number.parseInt(properties['write.target-file-size-bytes'] ?? '', 10)
  const targetFileBytes = overrides.targetFileBytes ?? (fromProperty > 0 ? fromProperty : TARGET_FILE_BYTES_DEFAULT)
  return {
    targetFileBytes,
    minFileBytes: overrides.minFileBytes ?? Math.floor(targetFileBytes * MIN_FILE_RATIO_DEFAULT),
    minInputFiles: Math.max(2, overrides.minInputFiles ?? 2),
    maxBytesPerRun: overrides.maxBytesPerRun ?? Number.POSITIVE_INFINITY,
  }
}

function binPack(files: DataFile[], capacity: number, withDeletes: ReadonlySet<DataFile>): DataFile[][] {
  const sorted = [...files].sort((a, b) => b['file-size-in-bytes'] - a['file-size-in-bytes'] || (a['file-path'] < b['file-path'] ? -1 : 1))
  const bins: { size: number; files: DataFile[] }[] = []
  for (const file of sorted) {
    const size = file['file-size-in-bytes']
    const bin = bins.find((b) => b.size + size <= capacity)
    if (bin) {
      bin.files.push(file)
      bin.size += size
    } else bins.push({ size, files: [file] })
  }
  return bins.filter((b) => b.files.length > 1 || b.files.some((f) => withDeletes.has(f))).map((b) => b.files)
}

/** The groups to rewrite. Only data files (content 0) are considered. A partition whose only candidates are small files without deletes needs `minInputFiles` of them. */
export function planCompaction(files: LiveDataFile[], options: CompactionPlanOptions): CompactionGroup[] {
  const byPartition = new Map<string, { specId: number; partition: IcebergValue[]; files: DataFile[] }>()
  const withDeletes = new Set<DataFile>()
  for (const { specId, entry, hasDeletes } of files) {
    const file = entry['data-file']
    if (file.content !== 0 || entry.status === 2) continue
    if (hasDeletes) withDeletes.add(file)
    else if (file['file-size-in-bytes'] >= options.minFileBytes) continue
    const key = partitionKey(specId, file.partition)
    let group = byPartition.get(key)
    if (!group) byPartition.set(key, (group = { specId, partition: file.partition, files: [] }))
    group.files.push(file)
  }
  const candidates = [...byPartition.entries()]
    .filter(([, g]) => g.files.length >= options.minInputFiles || g.files.some((f) => withDeletes.has(f)))
    .sort((a, b) => b[1].files.length - a[1].files.length || (a[0] < b[0] ? -1 : 1))
  const groups: CompactionGroup[] = []
  let budget = options.maxBytesPerRun
  let taken = 0
  for (const [key, group] of candidates) {
    const bins: DataFile[][] = []
    for (const bin of binPack(group.files, options.targetFileBytes, withDeletes)) {
      const bytes = bin.reduce((sum, f) => sum + f['file-size-in-bytes'], 0)
      if (taken > 0 && bytes > budget) break
      bins.push(bin)
      budget -= bytes
      taken++
    }
    if (bins.length) groups.push({ specId: group.specId, partition: group.partition, key, bins })
    if (budget <= 0) break
  }
  return groups
}
