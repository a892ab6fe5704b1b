/** A table identifier and its dotted name (`ns.table`, `a.b.table`), as configs, logs and the CLI write it. */
import type { TableIdentifier } from './types.ts'

/** The dotted name of `id`. */
export const tableName = (id: TableIdentifier): string => [...id.namespace, id.name].join('.')

/** The identifier of a dotted name: the last part is the table. Checking the name is the caller's (config schema, CLI). */
export function tableIdentifier(name: string): TableIdentifier {
  const parts = name.split('.')
  return { namespace: parts.slice(0, -1), name: parts.at(-1)! }
}
