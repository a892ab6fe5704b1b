// `bun run maintain NS.TABLE compact|expire|orphans|manifests [--dry-run]` — table maintenance through the configured catalog.
import { compactTable, type CompactionResult } from '../src/maintenance/compact.ts'
import { expireSnapshots, type ExpiryResult } from '../src/maintenance/expire.ts'
import { ORPHAN_AGE_DEFAULT_MS, removeOrphanFiles, type OrphanResult } from '../src/maintenance/orphans.ts'
import type { MaintenanceContext } from '../src/maintenance/replace-commit.ts'
import { rewriteManifests, type RewriteManifestsResult } from '../src/maintenance/rewrite-manifests.ts'
import { zstdCompress } from '../src/adapter/bun/zstd.ts'
import { CONFIG_HELP, loadConfig, openCatalog } from './cli/catalog.ts'
import { EXIT_HELP, namingMissingTables } from './cli/missing-table.ts'
import { parseTableName, } from './cli/table-name.ts'
import { didYouMean, intOption, parseCommand, runCommand, UsageError } from './cli/usage.ts'
import { tableName } from '../src/iceberg/table-identifier.ts'

const HELP = `Usage: bun run maintain NS.TABLE <operation> [options]

Table maintenance through the configured catalog (the one the ingest worker writes to). Each
operation that changes the table is one commit, safe beside a running worker.

Operations:
  compact     rewrite small data files of each partition into files near the target size
              (a "replace" snapshot; rows and ingest markers unchanged)
                --target-file-size BYTES  default write.target-file-size-bytes, else 128 MiB
                --min-input-files N       rewrite a partition with at least N small files (default 2)
                --max-bytes BYTES         input bytes rewritten at most (default: no limit)
  expire      remove snapshots outside retention, then the files only they reached
                --retain-last N           default history.expire.min-snapshots-to-keep, else 1
                --older-than AGE          default history.expire.max-snapshot-age-ms, else 5d
                --grace AGE               keep snapshots current this recently (default 1m)
  orphans     find files under the table location no metadata references; a dry run unless --delete
                --older-than AGE          only files older than this (default 3d)
                --delete                  delete them
  manifests   merge small manifests so planning reads few
                --min-count N             default commit.manifest.min-count-to-merge, else 100
                --target-size BYTES       default commit.manifest.target-size-bytes, else 8 MiB

Options:
      --dry-run       print what would be done; change nothing
      --json          print the result as JSON
${CONFIG_HELP}
  -h, --help          show this help

AGE: milliseconds, or a number with ms, s, m, h or d (0, 90s, 2h, 5d).

${EXIT_HELP}

Examples:
  bun run maintain learning.sensor_readings compact --dry-run
  bun run maintain learning.sensor_readings expire --retain-last 10 --older-than 1d
  bun run maintain learning.sensor_readings orphans --delete`

const OPERATIONS = ['compact', 'expire', 'orphans', 'manifests']
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

function age(command: string, name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim())
  if (!match) throw new UsageError(`${command}: --${name} takes an age like 0, 90s, 15m, 2h or 5d, got ${JSON.stringify(value)}`)
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']!)
}

const mb = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`
const duration = (ms: number) =>
  ms === 0 ? '0s' : ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${ms / 1000}s`

function compactReport(r: CompactionResult): string[] {
  const before = r.partitions.reduce((n, p) => n + p.filesBefore, 0)
  const after = r.partitions.reduce((n, p) => n + p.filesAfter, 0)
  const bytesBefore = r.partitions.reduce((n, p) => n + p.bytesBefore, 0)
  const bytesAfter = r.partitions.reduce((n, p) => n + p.bytesAfter, 0)
  if (r.partitions.length === 0) return [`compact ${r.table}: nothing to do (${r.tableFilesBefore} data files, none worth rewriting)`]
  const verb = r.dryRun ? 'would rewrite' : 'rewrote'
  const lines = [
    `compact ${r.table}: ${verb} ${before} files into ${after} in ${r.partitions.length} partitions (${mb(bytesBefore)} → ${r.dryRun ? '~' : ''}${mb(bytesAfter)}); table data files ${r.tableFilesBefore} → ${r.tableFilesAfter}` +
      (r.snapshotId === undefined ? '' : `; snapshot ${r.snapshotId} (${r.attempts} attempt${r.attempts === 1 ? '' : 's'})`),
  ]
  if (r.deleteFilesRemoved) lines.push(`  row-level deletes applied: ${r.deletedRows} deleted rows left out, ${r.deleteFilesRemoved} delete files (DVs, position deletes) dropped`)
  for (const p of r.partitions) lines.push(`  ${p.partition}: ${p.filesBefore} → ${p.filesAfter} files, ${mb(p.bytesBefore)} → ${mb(p.bytesAfter)}, ${p.records} rows`)
  for (const a of r.abandoned) lines.push(`  ${a}: skipped, a concurrent commit removed one of its files or added deletes to them`)
  return lines
}

function expireReport(r: ExpiryResult): string[] {
  if (r.expiredSnapshotIds.length === 0 && r.removedRefs.length === 0) return [`expire ${r.table}: nothing to expire (${r.keptSnapshotIds.length} snapshots kept)`]
  const f = r.files
  const statistics = f.statisticsFiles ? `, ${f.statisticsFiles} statistics files` : ''
  const files = `${f.dataFiles} data files, ${f.manifests} manifests, ${f.manifestLists} manifest lists${statistics} (${mb(f.bytes)})`
  const lines = [
    `expire ${r.table}: ${r.dryRun ? 'would expire' : 'expired'} ${r.expiredSnapshotIds.length} snapshots, ${r.keptSnapshotIds.length} kept` +
      (r.removedRefs.length ? `; refs removed: ${r.removedRefs.join(', ')}` : ''),
    r.filesKept ? `  files kept: ${r.filesKept}` : `  ${r.dryRun ? 'would delete' : 'deleted'} ${files}`,
  ]
  if (r.deleteFailures.length) lines.push(`  ${r.deleteFailures.length} deletes failed (left for \`maintain ${r.table} orphans\`)`)
  return lines
}

function orphanReport(r: OrphanResult, olderThanMs: number): string[] {
  const lines = [
    `orphans ${r.table}: ${r.orphans.length} unreferenced files older than ${duration(olderThanMs)} of ${r.scanned} listed (${mb(r.orphans.reduce((n, o) => n + o.size, 0))})` +
      `; ${r.tooNew} newer ones kept${r.foreign ? `; ${r.foreign} of a nested table kept` : ''}` +
      (r.dryRun ? ' — dry run, nothing deleted (pass --delete)' : `; deleted ${r.orphans.length - r.deleteFailures.length}`),
  ]
  for (const o of r.orphans) lines.push(`  ${o.location}  ${mb(o.size)}  ${o.lastModified.toISOString()}`)
  return lines
}

function manifestsReport(r: RewriteManifestsResult): string[] {
  if (r.replaced === 0 && r.dropped === 0) return [`manifests ${r.table}: nothing to merge (${r.manifestsBefore} manifests)`]
  const dropped = r.dropped ? `, ${r.dryRun ? 'would drop' : 'dropped'} ${r.dropped} without live files` : ''
  return [
    `manifests ${r.table}: ${r.dryRun ? 'would merge' : 'merged'} ${r.replaced} manifests into ${r.created}${dropped} (${r.manifestsBefore} → ${r.manifestsAfter}, ${r.entries} entries)` +
      (r.snapshotId === undefined ? '' : `; snapshot ${r.snapshotId}`),
  ]
}

const json = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v), 2)

await runCommand(async () => {
  const args = parseCommand('maintain', process.argv.slice(2), {
    config: { type: 'string', short: 'c' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    delete: { type: 'boolean' },
    'target-file-size': { type: 'string' },
    'min-input-files': { type: 'string' },
    'max-bytes': { type: 'string' },
    'retain-last': { type: 'string' },
    'older-than': { type: 'string' },
    grace: { type: 'string' },
    'min-count': { type: 'string' },
    'target-size': { type: 'string' },
  })
  if (args.values.help) {
    console.log(HELP)
    return 0
  }
  const [target, operation, ...extra] = args.positionals
  if (OPERATIONS.includes(target ?? '')) throw new UsageError(`maintain: name the table first: \`bun run maintain NS.TABLE ${target}\``)
  const id = parseTableName('maintain', target)
  if (operation === undefined) throw new UsageError(`maintain ${tableName(id)}: which operation? ${OPERATIONS.join(', ')} (see --help)`)
  if (!OPERATIONS.includes(operation)) throw new UsageError(`maintain: unknown operation ${JSON.stringify(operation)}${didYouMean(operation, OPERATIONS)}; operations are ${OPERATIONS.join(', ')}`)
  if (extra.length) throw new UsageError(`maintain ${operation}: unexpected ${extra.map((e) => JSON.stringify(e)).join(' ')}`)
  const name = `maintain ${operation}`
  const v = args.values
  const int = (key: keyof typeof v, min = 1) => (v[key] === undefined ? undefined : intOption(name, key, v[key] as string, min, min))
  const dryRun = v['dry-run'] === true
  if (v.delete && operation !== 'orphans') throw new UsageError(`${name}: --delete belongs to \`maintain NS.TABLE orphans\``)
  if (v.delete && dryRun) throw new UsageError(`${name}: --delete and --dry-run contradict each other; orphans is a dry run unless --delete`)

  const { config } = loadConfig(name, v.config, process.env)
  const { catalog, io, close } = openCatalog(config)
  const context: MaintenanceContext = { catalog: namingMissingTables(name, catalog), io, log: (line) => console.error(line) }
  let lines: string[]
  let result: unknown
  try {
    switch (operation) {
      case 'compact': {
        const r = await compactTable(context, id, {
          dryRun,
          compressors: { zstd: zstdCompress },
          decompressors: { ZSTD: (input) => Bun.zstdDecompressSync(input) },
          ...(int('target-file-size') === undefined ? {} : { targetFileBytes: int('target-file-size') }),
          ...(int('min-input-files', 2) === undefined ? {} : { minInputFiles: int('min-input-files', 2) }),
          ...(int('max-bytes') === undefined ? {} : { maxBytesPerRun: int('max-bytes') }),
        })
        ;[lines, result] = [compactReport(r), r]
        break
      }
      case 'expire': {
        const olderThan = age(name, 'older-than', v['older-than'])
        const grace = age(name, 'grace', v.grace)
        const r = await expireSnapshots(context, id, {
          dryRun,
          ...(int('retain-last') === undefined ? {} : { minSnapshotsToKeep: int('retain-last') }),
          ...(olderThan === undefined ? {} : { maxSnapshotAgeMs: olderThan }),
          ...(grace === undefined ? {} : { headGraceMs: grace }),
        })
        ;[lines, result] = [expireReport(r), r]
        break
      }
      case 'orphans': {
        const olderThan = age(name, 'older-than', v['older-than']) ?? ORPHAN_AGE_DEFAULT_MS
        const r = await removeOrphanFiles(context, id, { dryRun: v.delete !== true, olderThanMs: olderThan })
        ;[lines, result] = [orphanReport(r, olderThan), r]
        break
      }
      default: {
        const r = await rewriteManifests(context, id, {
          dryRun,
          ...(int('min-count', 2) === undefined ? {} : { minCountToMerge: int('min-count', 2) }),
          ...(int('target-size') === undefined ? {} : { targetBytes: int('target-size') }),
        })
        ;[lines, result] = [manifestsReport(r), r]
      }
    }
  } finally {
    close()
  }
  console.log(v.json ? json(result) : lines.join('\n'))
  return 0
})
