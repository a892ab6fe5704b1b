/**
 * Config → one KafkaSource per consumer group, over @platformatic/kafka clients (HOST-ONLY). The
 * config is validated already: a topic feeds one table per group, and a group has one startFrom.
 */
import type { Config } from '../config/schema.ts'
import type { Intake } from '../pipeline/intake.ts'
import { createRegistryDecoder } from '../schema-registry/registry-decoder.ts'
import { createSchemaRegistryClient, type SchemaRegistryClient } from '../schema-registry/registry-client.ts'
import { KafkaSource, type KafkaTopicRoute } from '../sources/kafka/kafka-source.ts'
import { createDeadLetterProducer, createGroupConsumer, listTopics as listClusterTopics } from '../sources/kafka/platformatic-client.ts'
import { IngestError } from '../errors.ts'

/** The broker's topics, for topic routes. */
async function listBrokerTopics(config: Config): Promise<string[]> {
  return listClusterTopics({ bootstrapBrokers: config.kafka!.brokers, clientId: `${config.kafka!.clientId ?? 'iceberg-ingest'}-topics` })
}

/**
 * The sources; topic routes read the topics matching their pattern now (`listTopics`) and every
 * kafka.topicRefreshMs after. Throws IngestError NO_MATCHING_TOPIC when a pattern matches none at start.
 */
export async function kafkaSourcesFor(config: Config, intake: Intake, log: (line: string) => void, listTopics = () => listBrokerTopics(config)): Promise<KafkaSource[]> {
  const groups = new Map<string, { routes: KafkaTopicRoute[]; startFrom: 'earliest' | 'latest'; byTopic: { pattern: RegExp; route: (topic: string) => KafkaTopicRoute }[] }>()
  // One registry client (and so one schema cache) for every table; one decoder per table, for its topics.
  let registry: SchemaRegistryClient | undefined
  for (const table of config.tables) {
    // consume: false — a worker that only shares the table's commits (shared-commits.ts), for its HTTP rows.
    if (!table.kafka || !table.kafka.consume) continue
    const group = groups.get(table.kafka.groupId) ?? { routes: [], startFrom: table.kafka.startFrom, byTopic: [] }
    const format = table.kafka.format
    // parseConfig refused a non-json format without kafka.schemaRegistry.
    if (format !== 'json') registry ??= createSchemaRegistryClient(config.kafka!.schemaRegistry!)
    const decoder = format === 'json' ? undefined : createRegistryDecoder({ format, registry: registry!, log })
    for (const topic of table.kafka.topics) {
      group.routes.push({
        topic,
        table: intake.table(table.name)!,
        ...(table.kafka.columns ? { columns: table.kafka.columns } : {}),
        ...(table.kafka.deadLetterTopic ? { deadLetterTopic: table.kafka.deadLetterTopic } : {}),
        ...(decoder ? { decoder } : {}),
      })
    }
    groups.set(table.kafka.groupId, group)
  }
  let topics: string[] | undefined
  for (const [index, route] of config.routes.entries()) {
    if (!route.kafka) continue
    const router = intake.router(index)!
    const group = groups.get(route.kafka.groupId) ?? { routes: [], startFrom: route.kafka.startFrom, byTopic: [] }
    const format = route.kafka.format
    if (format !== 'json') registry ??= createSchemaRegistryClient(config.kafka!.schemaRegistry!)
    const decoder = format === 'json' ? undefined : createRegistryDecoder({ format, registry: registry!, log })
    let routeTopics = route.kafka.topics ?? []
    const columns = route.kafka.columns
    const topicRoute = (topic: string): KafkaTopicRoute => ({ topic, router, ...(columns ? { columns } : {}), ...(decoder ? { decoder } : {}) })
    if (route.route.topicPattern !== undefined) {
      const pattern = new RegExp(route.route.topicPattern)
      group.byTopic.push({ pattern, route: topicRoute })
      topics ??= await listTopics()
      routeTopics = topics.filter((topic) => pattern.test(topic) && !topic.startsWith('__'))
      if (!routeTopics.length) throw new IngestError('NO_MATCHING_TOPIC', `route ${router.label}: no topic matches ${route.route.topicPattern} (topics: ${topics.filter((t) => !t.startsWith('__')).join(', ') || 'none'})`)
      log(`kafka: route ${router.label} reads ${routeTopics.join(', ')}`)
    }
    for (const topic of routeTopics) group.routes.push(topicRoute(topic))
    groups.set(route.kafka.groupId, group)
  }
  const kafka = config.kafka
  return [...groups].map(([groupId, group]) => {
    const clientId = kafka!.clientId ?? `iceberg-ingest-${groupId}`
    const consumer = createGroupConsumer({
      bootstrapBrokers: kafka!.brokers,
      groupId,
      clientId,
      sessionTimeoutMs: kafka!.sessionTimeoutMs,
      heartbeatIntervalMs: kafka!.heartbeatIntervalMs,
      maxFetchBytes: kafka!.fetchMaxBytes,
    })
    const producer = group.routes.some((route) => route.deadLetterTopic)
      ? createDeadLetterProducer({ bootstrapBrokers: kafka!.brokers, clientId: `${clientId}-dead-letters` })
      : undefined
    // Topic routes keep looking for new topics that match (as Kafka Connect's topics.regex does).
    const topicWatch = group.byTopic.length
      ? {
          everyMs: kafka!.topicRefreshMs,
          list: listTopics,
          routeFor: (topic: string) => (topic.startsWith('__') ? undefined : group.byTopic.find((entry) => entry.pattern.test(topic))?.route(topic)),
        }
      : undefined
    return new KafkaSource({ groupId, consumer, ...(producer ? { producer } : {}), routes: group.routes, startFrom: group.startFrom, intake, log, ...(topicWatch ? { topicWatch } : {}) })
  })
}
