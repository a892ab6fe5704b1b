/**
 * A table's schema as the intake sees it, following the data (iceberg/schema-evolution.ts). A record
 * with a field the table lacks, or (add-and-widen) a value its column is too narrow for, first
 * commits the schema change — `add-schema` + `set-current-schema`, asserting the schema and last
 * column id it was built on — and only then lands: a data file never holds a column the table's
 * current schema lacks. A change that loses a race is built again on the winner's schema (same name
 * and a compatible type: their column, their id). Schemas another engine sets are followed after
 * each commit; renamed columns keep being filled by their former names.
 */
import type { Catalog, LoadedTable } from '../catalog/catalog.ts'
import { IngestError } from '../errors.ts'
import type { TableBatcher } from '../batcher/table-batcher.ts'
import { applySchemaChanges, changesForRecord, changesForStruct, type EvolutionMode, type FieldAliases, fieldAliases, type SchemaChange } from '../iceberg/schema-evolution.ts'
import { currentSchema } from '../iceberg/table-metadata.ts'
import type { Schema, StructType } from '../iceberg/types.ts'
import { createRecordCoercer, type RecordCoercer } from '../records/coerce.ts'
import { commitLoop } from '../transaction/commit-loop.ts'
import type { Admission } from './intake.ts'

export interface EvolvingTableOptions {
  catalog: Catalog
  /** `namespace.table`, for log lines and reasons. */
  name: string
  mode: EvolutionMode
  /** With mode `off`: what a record with unknown fields gets. */
  extraFields: 'dead-letter' | 'ignore'
  /** Holds the table's metadata as last seen, and takes rows of each new schema. */
  batcher: TableBatcher
  log: (line: string) => void
}

/** The schema change a record needs could not be committed (code SCHEMA_CHANGE_FAILED, retryable: HTTP answers 503). */
export class SchemaChangeError extends IngestError {
  constructor(table: string, cause: Error) {
    super('SCHEMA_CHANGE_FAILED', `table ${table}: the schema change a record needs could not be committed (${cause.message}); retry shortly`, { retryable: true, cause })
  }
}

const changeKey = (change: SchemaChange) =>
  change.kind === 'add' ? `add ${[...change.path, change.field.name].join('.')}` : `widen ${change.path.join('.')} to ${change.to}`

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

export class EvolvingTable {
  readonly #options: EvolvingTableOptions
  #schema!: Schema
  #aliases!: FieldAliases
  #coerce!: RecordCoercer
  /** Changes that committed nothing while the schema stayed the same (see #commit): never proposed again. */
  readonly #ineffective = new Set<string>()
  /** Schema changes commit one at a time, in the order records asked for them. */
  #evolution: Promise<void> = Promise.resolve()

  constructor(options: EvolvingTableOptions) {
    this.#options = options
    this.#use(options.batcher.table)
  }

  /** The coercer of the current schema (unknown fields dropped and flagged; `admit` decides what they mean). */
  readonly coerce: RecordCoercer = (input) => this.#coerce(input)

  /** The record's row; or a reason; or the schema change it needs, being committed (admit again once it settles). */
  admit(record: unknown): Admission {
    const result = this.#coerce(record)
    if (result.ok && result.extra === undefined) return result
    if (!isObject(record)) return result
    const { mode } = this.#options
    if (mode === 'off') {
      if (!result.ok || this.#options.extraFields === 'ignore') return result
      const unknown = changesForRecord(this.#schema, record, 'add-columns', this.#aliases).flatMap((c) => (c.kind === 'add' ? [[...c.path, c.field.name].join('.')] : []))
      // Unknown keys with null values carry nothing to lose.
      if (!unknown.length) return result
      return { ok: false, reason: `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => JSON.stringify(n)).join(', ')}: table ${this.#options.name} has no such column and its schemaEvolution is "off"` }
    }
    const changes = changesForRecord(this.#schema, record, mode, this.#aliases).filter((change) => !this.#ineffective.has(changeKey(change)))
    if (!changes.length) return result
    return { ok: false, evolving: this.#evolve(changes) }
  }

  /** Evolves the table to hold a writer schema's fields (matched by name), as the mode allows. */
  evolveTo(fields: StructType): Promise<void> {
    const changes = changesForStruct(this.#schema, fields, this.#options.mode, this.#aliases)
    return changes.length ? this.#evolve(changes) : Promise.resolve()
  }

  /** After a commit of the batcher: a schema another engine set (or ours, via a retry) becomes the one records meet. */
  follow(): void {
    const table = this.#options.batcher.table
    if (table.metadata['current-schema-id'] === this.#schema['schema-id']) return
    this.#adopt(table, `now at schema ${table.metadata['current-schema-id']}, set by another writer`)
  }

  #evolve(changes: SchemaChange[]): Promise<void> {
    const run = this.#evolution.then(() =>
      this.#commit(changes).catch((error: Error) => {
        throw new SchemaChangeError(this.#options.name, error)
      }),
    )
    // A failed change must not block the next; its own callers see the failure.
    this.#evolution = run.catch(() => {})
    return run
  }

  async #commit(changes: SchemaChange[]): Promise<void> {
    let described: string[] = []
    const result = await commitLoop<undefined>({ catalog: this.#options.catalog, log: this.#options.log }, this.#options.batcher.table, {
      label: `schema change of ${this.#options.name}`,
      async build(metadata) {
        const evolved = applySchemaChanges(currentSchema(metadata), changes, metadata['last-column-id'])
        // Already there: an earlier change in the chain, or another writer, made it.
        if (!evolved) return { settled: undefined }
        described = evolved.described
        const schemaId = Math.max(...metadata.schemas.map((s) => s['schema-id'])) + 1
        return {
          requirements: [
            { type: 'assert-table-uuid', uuid: metadata['table-uuid'] },
            { type: 'assert-current-schema-id', 'current-schema-id': metadata['current-schema-id'] },
            { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': metadata['last-column-id'] },
          ],
          updates: [
            { action: 'add-schema', schema: { ...evolved.schema, 'schema-id': schemaId }, 'last-column-id': evolved.lastColumnId },
            { action: 'set-current-schema', 'schema-id': -1 },
          ],
        }
      },
      // After a conflict or an unknown outcome the change is built again on what the catalog holds: there, it settles.
      landed: () => undefined,
      committed: () => undefined,
    })
    const settled = result.table
    if (settled.metadata['current-schema-id'] !== this.#schema['schema-id']) {
      this.#adopt(settled, described.length ? `added ${described.join(', ')}` : `now at schema ${settled.metadata['current-schema-id']}, set by another writer`)
      return
    }
    // Nothing changed and the schema records meet is the table's: asking again would loop. These changes are
    // dropped from later proposals, so such a record lands as the coercer has it (or as a dead letter).
    for (const change of changes) this.#ineffective.add(changeKey(change))
    this.#options.log(`table ${this.#options.name}: schema change ${changes.map(changeKey).join('; ')} had no effect on schema ${this.#schema['schema-id']}; records that asked for it land as they fit`)
  }

  #adopt(table: LoadedTable, what: string): void {
    this.#use(table)
    this.#options.batcher.adoptSchema(table, this.#schema)
    this.#options.log(`table ${this.#options.name}: schema ${this.#schema['schema-id']}: ${what}`)
  }

  #use(table: LoadedTable): void {
    this.#ineffective?.clear()
    this.#schema = currentSchema(table.metadata)
    this.#aliases = fieldAliases(this.#schema, table.metadata.schemas)
    this.#coerce = createRecordCoercer(this.#schema, { extraFields: 'report', aliases: this.#aliases })
  }
}
