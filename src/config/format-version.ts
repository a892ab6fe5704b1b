/** tables[].formatVersion / routes[].formatVersion: checked against the columns and the properties, then folded into the create properties. */
import { checkSchemaForFormat } from '../iceberg/schema.ts'
import type { Schema } from '../iceberg/types.ts'

interface FormatVersioned {
  formatVersion: 2 | 3
  properties: Record<string, string>
}

/** What is wrong with an entry's formatVersion: a `format-version` property saying otherwise, or v3 columns in a v2 table. */
export function formatVersionProblems(entry: FormatVersioned, schema: Schema | undefined): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = []
  const property = entry.properties['format-version']
  if (property !== undefined && property !== String(entry.formatVersion)) {
    problems.push({ key: 'properties.format-version', message: `says ${property} but formatVersion is ${entry.formatVersion}; set formatVersion only` })
  }
  try {
    if (schema) checkSchemaForFormat(schema, entry.formatVersion)
  } catch (error) {
    problems.push({ key: 'schema', message: `${(error as Error).message}; set formatVersion: 3` })
  }
  return problems
}

/** The properties a table is created with: v3 asks the catalog for it by the standard `format-version` property. */
export function createProperties(entry: FormatVersioned): Record<string, string> {
  return entry.formatVersion === 3 ? { ...entry.properties, 'format-version': '3' } : entry.properties
}
