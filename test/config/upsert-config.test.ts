/** tables[].upsert and the change envelopes in the config: key columns checked against the schema, identifier fields set, envelopes only on upsert tables. */
import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../src/config/config.ts'
import { configIssues } from './config-issues.ts'

const table = (extra: Record<string, unknown>) => ({ name: 'cdc.users', schema: 'id long not null, email string, n int', ...extra })

describe('upsert config', () => {
  test('the key columns become the schema identifier fields; envelopes default to none', () => {
    const config = parseConfig({ kafka: { brokers: ['k:9092'] }, tables: [table({ upsert: { key: ['id'] }, kafka: { topics: ['t'], envelope: 'debezium' }, http: { envelope: 'op' } })] })
    const [t] = config.tables
    expect(t!.resolved.schema['identifier-field-ids']).toEqual([1])
    expect(t!.kafka!.envelope).toBe('debezium')
    expect(t!.http !== false && t!.http.envelope).toBe('op')
    const plain = parseConfig({ tables: [table({})] }).tables[0]!
    expect(plain.resolved.schema['identifier-field-ids']).toBeUndefined()
    expect(plain.http !== false && plain.http.envelope).toBe('none')
  })

  test('a key column missing, optional or not primitive is a problem at upsert.key', () => {
    expect(configIssues({ tables: [table({ upsert: { key: ['nope'] } })] })).toEqual(['tables.0.upsert.key: key column "nope" is not a column of the schema (columns: id, email, n)'])
    expect(configIssues({ tables: [table({ upsert: { key: ['email'] } })] })).toEqual(['tables.0.upsert.key: key column "email" must be required (declare it "email string not null")'])
    expect(configIssues({ tables: [table({ upsert: { key: [] } })] })[0]).toMatch(/^tables\.0\.upsert\.key: /)
  })

  test('an envelope without upsert, and upsert on a route, are refused', () => {
    expect(configIssues({ kafka: { brokers: ['k:9092'] }, tables: [table({ kafka: { topics: ['t'], envelope: 'debezium' } })] })).toEqual([
      'tables.0.kafka.envelope: "debezium" carries updates and deletes, so it needs upsert: { key: [...] } on the table',
    ])
    expect(configIssues({ tables: [table({ http: { envelope: 'op' } })] })).toEqual(['tables.0.http.envelope: "op" carries updates and deletes, so it needs upsert: { key: [...] } on the table'])
    expect(configIssues({ routes: [{ route: { field: 'kind', table: 'ev.$1' }, schema: 'id long not null', upsert: { key: ['id'] } }] }).join('\n')).toContain('upsert')
  })
})
