/**
 * The worker's per-table `maintenance` settings: one valibot schema, the source of truth for the
 * type and defaults. Unset sizes and retention fall back to the table's own Iceberg properties
 * (`write.target-file-size-bytes`, `history.expire.*`, `commit.manifest.*`).
 */
import * as v from 'valibot'
import { ConfigError } from '../errors.ts'

const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1))
const nonNegativeInt = v.pipe(v.number(), v.integer(), v.minValue(0))
const HOUR = 3_600_000

const CompactionSchema = v.object({
  /** Default: the table's `write.target-file-size-bytes`, else 128 MiB. */
  targetFileBytes: v.optional(positiveInt),
  /** Files below this are rewritten; default 75% of the target. */
  minFileBytes: v.optional(positiveInt),
  minInputFiles: v.optional(v.pipe(v.number(), v.integer(), v.minValue(2)), 5),
  /** Input bytes rewritten per run; bounds memory and CPU taken from ingest. */
  maxBytesPerRun: v.optional(positiveInt, 128 * 1024 * 1024),
})

const ExpirySchema = v.object({
  /** Default: `history.expire.min-snapshots-to-keep`, else 1. */
  retainLast: v.optional(positiveInt),
  /** Default: `history.expire.max-snapshot-age-ms`, else 5 days. */
  maxSnapshotAgeMs: v.optional(nonNegativeInt),
  /** Keep snapshots that were current this recently: ingest batchers may still build on them. */
  headGraceMs: v.optional(nonNegativeInt, 60_000),
})

const ManifestsSchema = v.object({
  /** Default: `commit.manifest.min-count-to-merge`, else 100. */
  minCountToMerge: v.optional(v.pipe(v.number(), v.integer(), v.minValue(2))),
  /** Default: `commit.manifest.target-size-bytes`, else 8 MiB. */
  targetBytes: v.optional(positiveInt),
})

const OrphansSchema = v.object({
  olderThanMs: v.optional(positiveInt, 72 * HOUR),
  /** Orphan scans list the whole table location: far less often than the other tasks. */
  intervalMs: v.optional(positiveInt, 24 * HOUR),
})

/** `false` turns a task off; `{}` runs it with defaults. */
const task = <T extends v.GenericSchema>(schema: T) => v.union([v.literal(false), schema])

export const MaintenanceConfigSchema = v.object({
  enabled: v.optional(v.boolean(), true),
  /** Pause between rounds (compaction → manifests → expiry → orphans when due) of one table. */
  intervalMs: v.optional(positiveInt, 5 * 60_000),
  compaction: v.optional(task(CompactionSchema), {}),
  manifests: v.optional(task(ManifestsSchema), {}),
  expiry: v.optional(task(ExpirySchema), {}),
  /** Off by default: deleting unreferenced files unattended is a choice to make per deployment. */
  orphans: v.optional(task(OrphansSchema), false),
})

export type MaintenanceConfig = v.InferOutput<typeof MaintenanceConfigSchema>

/** Parses one table's settings, defaults filled in. Throws ConfigError (code CONFIG) listing every problem. */
export function maintenanceConfig(raw: unknown = {}): MaintenanceConfig {
  const result = v.safeParse(MaintenanceConfigSchema, raw)
  if (result.success) return result.output
  throw new ConfigError(result.issues.map((issue) => `maintenance.${issue.path?.map((p) => String(p.key)).join('.') ?? '(root)'}: ${issue.message}`))
}
