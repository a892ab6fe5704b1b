/**
 * The tables a worker serves: each configured table, created on first use when missing, with its
 * `<name>_dead_letters` table beside it. One place for the WAL-backed pipeline and the edge's
 * direct appends (src/adapter/workerd/direct-append.ts) alike.
 */
import { AlreadyExistsError, NoSuchEntityError } from '../errors.ts'
import { tableName } from '../iceberg/table-identifier.ts'
import type { TableIdentifier } from '../iceberg/types.ts'
import { createTable, loadTable, type CreateTableOptions, type Table, type TableOptions } from '../table/table.ts'
import { DEAD_LETTER_SUFFIX, deadLetterSchema } from './dead-letters.ts'

/** The dead-letter table that sits beside `identifier`. */
export const deadLetterTableIdentifier = (identifier: TableIdentifier): TableIdentifier => ({
  namespace: identifier.namespace,
  name: `${identifier.name}${DEAD_LETTER_SUFFIX}`,
})

/** What a dead-letter table is created with. */
export const deadLetterTableCreate = (): CreateTableOptions => ({ schema: deadLetterSchema, properties: {} })

/**
 * Loads `identifier`, or creates it (and its namespace) with `create` when it does not exist. A
 * create that loses a race with another writer (ALREADY_EXISTS) loads the winner's table: an
 * existing table always keeps its own schema. Throws catalog errors other than those two.
 */
export async function loadOrCreateTable(options: TableOptions, identifier: TableIdentifier, create: CreateTableOptions, log: (line: string) => void): Promise<Table> {
  try {
    return await loadTable(options, identifier)
  } catch (error) {
    if (!(error instanceof NoSuchEntityError)) throw error
  }
  log(`creating table ${tableName(identifier)}`)
  try {
    return await createTable(options, identifier, { ...create, createNamespace: true })
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error
    return loadTable(options, identifier)
  }
}
