/**
 * What the pipeline builds for an upsert table (pipeline.ts calls this when a table has `upsert`): the
 * key checked against the table as loaded (an existing table keeps its schema, so its key columns are
 * checked there too), its UpsertTable (key index), the commit attempt the batcher uses instead of an
 * append, and the intake that turns records into changes.
 */
import type { LoadedTable } from '../catalog/catalog.ts'
import { ConfigError } from '../errors.ts'
import { currentSchema } from '../iceberg/table-metadata.ts'
import type { Batch } from '../batcher/batch-buffer.ts'
import type { AttemptOutcome, CommitterOptions } from '../batcher/batch-committer.ts'
import type { Admission } from '../pipeline/intake.ts'
import type { TableFiles } from './key-index-sync.ts'
import { attemptUpsertCommit, type RowDeltaCommit } from './upsert-commit.ts'
import { createUpsertIntake, type HttpEnvelope, type KafkaEnvelope, type UpsertIntake } from './upsert-intake.ts'
import { upsertKeyProblems, upsertKey } from './upsert-key.ts'
import { type KeyIndexStore, UpsertTable } from './upsert-table.ts'

/** A table's upsert settings, from `tables[].upsert` and its envelopes. */
export interface UpsertTableConfig {
  key: string[]
  httpEnvelope: HttpEnvelope
  kafkaEnvelope: KafkaEnvelope
}

/** What upsert tables need from the host: the row-delta commit, how tables are read, where indexes are kept. */
export interface UpsertServices {
  rowDelta: RowDeltaCommit
  files: TableFiles
  /** The index file of table `name`; none: every start rebuilds from the table. */
  store?: (name: string) => KeyIndexStore
  persistEveryMs?: number
}

export interface UpsertParts {
  table: UpsertTable
  attempt: (committer: CommitterOptions, table: LoadedTable, batch: Batch) => Promise<AttemptOutcome>
  intake: (admit: (record: unknown) => Admission) => UpsertIntake
}

/**
 * The parts for table `name` as `loaded`. Throws ConfigError (code CONFIG) when the pipeline has no
 * upsert services, or when the table's schema cannot carry the key (an existing table created without it).
 */
export function upsertParts(config: UpsertTableConfig, loaded: LoadedTable, name: string, services: UpsertServices | undefined, log: (line: string) => void): UpsertParts {
  if (!services) throw new ConfigError([`table ${name}: upsert tables need the row-delta commit and table reader (this runtime does not provide them)`])
  const schema = currentSchema(loaded.metadata)
  const problems = upsertKeyProblems(schema, config.key)
  if (problems.length) throw new ConfigError(problems.map((problem) => `table ${name} (as it exists in the catalog): upsert.key: ${problem}`))
  const key = upsertKey(schema, config.key)
  const table = new UpsertTable({
    key,
    files: services.files,
    name,
    log,
    ...(services.store ? { store: services.store(name) } : {}),
    ...(services.persistEveryMs !== undefined ? { persistEveryMs: services.persistEveryMs } : {}),
  })
  return {
    table,
    attempt: (committer, current, batch) => attemptUpsertCommit({ ...committer, upsert: table, rowDelta: services.rowDelta }, current, batch),
    intake: (admit) => createUpsertIntake({ key, admit, httpEnvelope: config.httpEnvelope, kafkaEnvelope: config.kafkaEnvelope }),
  }
}
