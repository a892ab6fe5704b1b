// `namespace.table` on the command line → a table identifier, with the fix spelled out when it is wrong.
import type { TableIdentifier } from '../../src/iceberg/types.ts'
import { UsageError } from './usage.ts'

const PART = /^[A-Za-z_][\w-]*$/

/** Parses `ns.table` or `a.b.table`. Throws UsageError (code USAGE) saying what to write instead. */
export function parseTableName(command: string, text: string | undefined): TableIdentifier {
  if (text === undefined || text === '') throw new UsageError(`${command}: name the table as namespace.table, e.g. learning.sensor_readings`)
  const parts = text.split('.')
  if (parts.length < 2) throw new UsageError(`${command}: table name ${JSON.stringify(text)} has no namespace; write namespace.table, e.g. learning.${text}`)
  const bad = parts.find((p) => !PART.test(p))
  if (bad !== undefined) {
    throw new UsageError(`${command}: ${JSON.stringify(text)}: each part of a table name starts with a letter or _ and has letters, digits, _ or - (bad part ${JSON.stringify(bad)})`)
  }
  return { namespace: parts.slice(0, -1), name: parts.at(-1)! }
}
