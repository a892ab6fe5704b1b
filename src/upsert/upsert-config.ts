/**
 * The upsert keys of the config (pure): `tables[].upsert.key` must name required primitive columns of
 * the table's schema, which is created with them as its identifier fields; the change envelopes
 * (`kafka.envelope: "debezium"`, `http.envelope: "op"`) need an upsert table — a delete has no
 * meaning in an append-only one. Called by config/config.ts for each table and route.
 */
import type { Schema } from '../iceberg/types.ts'
import { upsertKey, upsertKeyProblems, withIdentifierFields } from './upsert-key.ts'

interface UpsertTableShape {
  upsert?: { key: string[] }
  kafka?: { envelope?: 'none' | 'debezium' }
  http?: false | { envelope?: 'none' | 'op' }
}

/** Problems of one table (or route) entry, each at its key under the entry. */
export function upsertConfigProblems(table: UpsertTableShape, schema: Schema | undefined, isRoute = false): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = []
  if (table.upsert && isRoute) problems.push({ key: 'upsert', message: 'routed tables are append-only; declare an upsert table under tables[]' })
  else if (table.upsert && schema) for (const message of upsertKeyProblems(schema, table.upsert.key)) problems.push({ key: 'upsert.key', message })
  if (!table.upsert && table.kafka?.envelope === 'debezium') {
    problems.push({ key: 'kafka.envelope', message: '"debezium" carries updates and deletes, so it needs upsert: { key: [...] } on the table' })
  }
  if (!table.upsert && table.http && table.http.envelope === 'op') {
    problems.push({ key: 'http.envelope', message: '"op" carries updates and deletes, so it needs upsert: { key: [...] } on the table' })
  }
  return problems
}

/** The schema a table is created with: its key columns as identifier fields (unchanged without upsert or with key problems). */
export function upsertCreateSchema(table: UpsertTableShape, schema: Schema): Schema {
  if (!table.upsert || upsertKeyProblems(schema, table.upsert.key).length) return schema
  return withIdentifierFields(schema, upsertKey(schema, table.upsert.key))
}
