import { describe, expect, test } from 'bun:test'
import { configIssues } from './config-issues.ts'
import { parseConfig } from '../../src/config/config.ts'

const issues = (raw: unknown): string[] => configIssues(raw)

const withTables = (...kafka: Record<string, unknown>[]) => ({
  kafka: { brokers: ['k1:9092'] },
  tables: kafka.map((source, index) => ({ name: `a.t${index}`, schema: 'id long', kafka: source })),
})

describe('tables sharing a Kafka consumer group', () => {
  test('a topic routed to two tables of one group is refused, naming both tables, the topic and the group', () => {
    expect(issues(withTables({ topics: ['events'] }, { topics: ['other', 'events'] }))).toEqual([
      'tables.1.kafka.topics: topic "events" of table a.t1 is already routed to table a.t0 in group "iceberg-ingest"; one group delivers each message once, so a topic feeds one table per group — give this table its own kafka.groupId to fan the topic out to both tables',
    ])
    expect(issues(withTables({ topics: ['events'], groupId: 'g' }, { topics: ['events'], groupId: 'g' }))[0]).toContain('in group "g"')
  })

  test('the same topic in two groups is fan-out and accepted', () => {
    const config = parseConfig(withTables({ topics: ['events'] }, { topics: ['events'], groupId: 'audit' }), {})
    expect(config.tables.map((t) => [t.kafka?.groupId, t.kafka?.topics])).toEqual([
      ['iceberg-ingest', ['events']],
      ['audit', ['events']],
    ])
  })

  test('tables of one group with different startFrom are refused, saying which value is the default', () => {
    expect(issues(withTables({ topics: ['a'] }, { topics: ['b'], startFrom: 'latest' }))).toEqual([
      'tables.1.kafka.startFrom: "latest" for table a.t1, but table a.t0 in the same group "iceberg-ingest" has "earliest" (not set: the default); the group\'s one consumer starts every partition without an offset the same way — set the same startFrom on both, or give this table its own kafka.groupId',
    ])
    const both = issues(withTables({ topics: ['a'], startFrom: 'latest' }, { topics: ['b'], startFrom: 'earliest' }))
    expect(both).toHaveLength(1)
    expect(both[0]).toContain('"earliest" for table a.t1, but table a.t0 in the same group "iceberg-ingest" has "latest";')
  })

  test('the same startFrom in one group, set or left at its default, and different ones across groups are fine', () => {
    expect(issues(withTables({ topics: ['a'] }, { topics: ['b'], startFrom: 'earliest' }))).toEqual([])
    expect(issues(withTables({ topics: ['a'], startFrom: 'latest' }, { topics: ['b'], startFrom: 'latest' }))).toEqual([])
    expect(issues(withTables({ topics: ['a'] }, { topics: ['b'], startFrom: 'latest', groupId: 'tail' }))).toEqual([])
  })
})
