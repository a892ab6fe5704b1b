// "The named table does not exist": one error, one message shape and one exit status for every command that names a table.
import type { Catalog } from '../../src/catalog/catalog.ts'
import { NoSuchEntityError } from '../../src/errors.ts'
import { tableName } from '../../src/iceberg/table-identifier.ts'
import type { TableIdentifier } from '../../src/iceberg/types.ts'

/**
 * Exit status of `tables`, `query`, `maintain` and `produce --http` when the table they name does not exist.
 * Not 1 (something failed) nor 2 (the command line or config is wrong): a script can tell "create it first" apart.
 */
export const EXIT_MISSING_TABLE = 3

/** The exit statuses, for each command's --help. */
export const EXIT_HELP = `Exit status: 0 done, 1 failed (the message names the error code), 2 wrong usage or config,
${EXIT_MISSING_TABLE} the named table does not exist.`

const LIST_HINT = 'see `bun run tables list`'

/**
 * A NoSuchEntityError (code NO_SUCH_TABLE) that knows the command, the table and where it was looked up, so every
 * command prints `<command>: table ns.t does not exist in catalog <name>; <hint>` and exits {@link EXIT_MISSING_TABLE}.
 * Still a NoSuchEntityError, so code below the CLI that handles a missing table sees what it always saw.
 */
export class MissingTableError extends NoSuchEntityError {
  constructor(
    readonly command: string,
    readonly table: string,
    /** `catalog rest:http://…`, or `the ingest worker at http://…` for `produce --http`. */
    readonly where: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super('table', table, { cause: options.cause })
    // NoSuchEntityError words its own message; the CLI's names the command and the place looked in.
    this.message = `${command}: table ${table} does not exist in ${where}; ${options.hint ?? LIST_HINT}`
    Object.assign(this.context, { table, where })
  }
}

/** The MissingTableError in `error` or its chain of causes (a query wraps the catalog's answer), else undefined. */
export function missingTableIn(error: unknown): MissingTableError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof MissingTableError) return e
  }
  return undefined
}

/**
 * `catalog` whose table calls (load, commit, drop) turn the catalog's "no such table" — or "no such namespace", which
 * for a table means the same — into a MissingTableError naming `command`, the identifier asked for and the catalog.
 * Commands open it once, so a missing table reads alike whichever call found it, including inside a query.
 */
export function namingMissingTables(command: string, catalog: Catalog): Catalog {
  const missing = (id: TableIdentifier) => (error: unknown): never => {
    if (error instanceof NoSuchEntityError && !(error instanceof MissingTableError)) {
      throw new MissingTableError(command, tableName(id), `catalog ${catalog.name}`, { cause: error })
    }
    throw error
  }
  return {
    name: catalog.name,
    listNamespaces: (parent) => catalog.listNamespaces(parent),
    createNamespace: (namespace, properties) => catalog.createNamespace(namespace, properties),
    loadNamespaceProperties: (namespace) => catalog.loadNamespaceProperties(namespace),
    dropNamespace: (namespace) => catalog.dropNamespace(namespace),
    listTables: (namespace) => catalog.listTables(namespace),
    createTable: (namespace, request) => catalog.createTable(namespace, request),
    loadTable: (id) => catalog.loadTable(id).catch(missing(id)),
    tableExists: (id) => catalog.tableExists(id),
    commitTable: (id, request) => catalog.commitTable(id, request).catch(missing(id)),
    dropTable: (id, options) => catalog.dropTable(id, options).catch(missing(id)),
  }
}
