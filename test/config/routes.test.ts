/** routes[] in the config: what parseConfig resolves, and every refusal named by its key. */
import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../src/config/config.ts'
import { configIssues } from './config-issues.ts'

const kafka = { brokers: ['k1:9092'] }

describe('routes[]', () => {
  test('a field route resolves its template schema and its unrouted table; no fixed table is needed', () => {
    const config = parseConfig({ routes: [{ route: { field: 'kind', table: 'events.$1' }, schema: 'id long not null' }] })
    expect(config.tables).toEqual([])
    expect(config.routes[0]!.route.maxTables).toBe(1000)
    expect(config.routes[0]!.resolved.deadLetters).toEqual({ namespace: ['events'], name: 'unrouted_dead_letters' })
    expect(config.routes[0]!.resolved.schema.fields.map((f) => f.name)).toEqual(['id'])
  })

  test('refusals name the key', () => {
    expect(configIssues({ tables: [] })).toEqual(['tables: declare at least one table (or route)'])
    expect(configIssues({ routes: [{ route: { table: 'events.$1' }, schema: 'id long' }] })).toEqual(['routes.0.route: a route takes exactly one of field or topicPattern'])
    expect(configIssues({ routes: [{ route: { field: 'k', table: '$1.events' }, schema: 'id long' }] })).toEqual([
      'routes.0.route.deadLetters: the template $1.events chooses the namespace too, so name the table for unroutable records (e.g. "ingest.unrouted_dead_letters")',
    ])
    expect(configIssues({ kafka, routes: [{ route: { topicPattern: '^a\\.(.+)$', table: 'raw.$1' }, schema: 'id long', kafka: { topics: ['a.x'] } }] })).toEqual([
      'routes.0.kafka.topics: a topicPattern route reads the topics matching its pattern; drop kafka.topics (or route by field over these topics)',
    ])
    expect(configIssues({ kafka, routes: [{ route: { field: 'k', table: 'e.$1' }, schema: 'id long', kafka: { topics: ['t'], deadLetterTopic: 'dlq' } }] })).toEqual([
      'routes.0.kafka.deadLetterTopic: routed tables send refused records to their own dead-letter tables; a dead-letter topic is not supported on routes',
    ])
    expect(
      configIssues({
        routes: [
          { route: { field: 'a', table: 'x.$1' }, schema: 'id long' },
          { route: { field: 'b', table: 'y.$1' }, schema: 'id long' },
        ],
      }),
    ).toEqual(['routes.1.http: POST /v1/records routes by one field, but routes 0 and 1 both serve it; set http: false on all but one'])
  })

  test('a topic of a table and of a field route in one group is refused like two tables', () => {
    expect(
      configIssues({
        kafka,
        tables: [{ name: 'a.t', schema: 'id long', kafka: { topics: ['events'] } }],
        routes: [{ route: { field: 'k', table: 'e.$1' }, schema: 'id long', http: false, kafka: { topics: ['events'] } }],
      }),
    ).toEqual([
      'routes.0.kafka.topics: topic "events" of route e.$1 is already routed to table a.t in group "iceberg-ingest"; one group delivers each message once, so a topic feeds one table per group — give this route its own kafka.groupId to fan the topic out to both',
    ])
  })
})
