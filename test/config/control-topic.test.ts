/** tables[].kafka.controlTopic: shared commits are opt-in per table, refused on upsert tables, not a route key. */
import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../src/config/config.ts'
import { electionPartition, handoffTimeoutMs } from '../../src/worker/shared-commits.ts'
import { configIssues } from './config-issues.ts'

const kafka = { brokers: ['k:9092'] }
const table = { name: 'ns.events', schema: 'id long not null' }

describe('kafka.controlTopic', () => {
  test('is taken on a table and kept as given; absent, the table commits on its own', () => {
    const config = parseConfig({ kafka, tables: [{ ...table, kafka: { topics: ['events', 'more'], controlTopic: 'events-control' } }, { ...table, name: 'ns.other', kafka: { topics: ['other'] } }] })
    expect(config.tables.map((t) => t.kafka?.controlTopic)).toEqual(['events-control', undefined])
    // The committer is the owner of partition 0 of the first topic.
    expect(electionPartition(config.tables[0]!.kafka!.topics)).toEqual({ topic: 'events', partition: 0 })
    // Senders wait out the group's session timeout plus four intervals before committing themselves.
    expect(handoffTimeoutMs(config.kafka!.sessionTimeoutMs, config.tables[0]!.roll.intervalMs)).toBe(10_000 + 4 * 60_000)
  })

  test('an upsert table cannot share commits, and says why', () => {
    expect(configIssues({ kafka, tables: [{ ...table, upsert: { key: ['id'] }, kafka: { topics: ['events'], controlTopic: 'c' } }] })).toEqual([
      'tables.0.kafka.controlTopic: an upsert table commits row deltas resolved against its own key index, which a shared commit cannot fold; drop controlTopic (each worker commits the table on its own)',
    ])
  })

  test('consume: false (a worker that only shares the commits, for its HTTP rows) needs the control topic; true unless set', () => {
    const config = parseConfig({ kafka, tables: [{ ...table, kafka: { topics: ['events'], controlTopic: 'c', consume: false } }, { ...table, name: 'ns.other', kafka: { topics: ['other'] } }] })
    expect(config.tables.map((t) => t.kafka?.consume)).toEqual([false, true])
    expect(configIssues({ kafka, tables: [{ ...table, kafka: { topics: ['events'], consume: false } }] })).toEqual([
      "tables.0.kafka.consume: false reads nothing from Kafka: it is for a worker that only shares the table's commits, which needs kafka.controlTopic",
    ])
  })

  test('an empty name is refused; routes do not take it', () => {
    expect(configIssues({ kafka, tables: [{ ...table, kafka: { topics: ['events'], controlTopic: '' } }] })[0]).toStartWith('tables.0.kafka.controlTopic:')
    const route = { route: { field: 'kind', table: 'ns.$1' }, schema: 'id long not null, kind string', kafka: { topics: ['mixed'], controlTopic: 'c' } }
    expect(configIssues({ kafka, routes: [route] })[0]).toStartWith('routes.0.kafka.controlTopic: unknown key')
  })
})
