/**
 * Config → one KafkaSource per consumer group, over @platformatic/kafka clients (HOST-ONLY). The
 * config is validated already: a topic feeds one table per group, and a group has one startFrom.
 */
import type { Config } from '../config/schema.ts'
import type { Intake } from '../pipeline/intake.ts'
import { createRegistryDecoder } from '../schema-registry/registry-decoder.ts'
import { createSchemaRegistryClient, type SchemaRegistryClient } from '../schema-registry/registry-client.ts'
import { KafkaSource, type KafkaTopicRoute } from '../sources/kafka/kafka-source.ts'
import { createDeadLetterProducer, createGroupConsumer } from '../sources/kafka/platformatic-client.ts'

export function kafkaSourcesFor(config: Config, intake: Intake, log: (line: string) => void): KafkaSource[] {
  const groups = new Map<string, { routes: KafkaTopicRoute[]; startFrom: 'earliest' | 'latest' }>()
  // One registry client (and so one schema cache) for every table; one decoder per table, for its topics.
  let registry: SchemaRegistryClient | undefined
  for (const table of config.tables) {
    if (!table.kafka) continue
    const group = groups.get(table.kafka.groupId) ?? { routes: [], startFrom: table.kafka.startFrom }
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
  const kafka = config.kafka
  return [...groups].map(([groupId, group]) => {
    const clientId = kafka!.clientId ?? `iceberg-ingest-${groupId}`
    const consumer = createGroupConsumer({
      bootstrapBrokers: kafka!.brokers,
      groupId,
      clientId,
      sessionTimeoutMs: kafka!.sessionTimeoutMs,
      heartbeatIntervalMs: kafka!.heartbeatIntervalMs,
    })
    const producer = group.routes.some((route) => route.deadLetterTopic)
      ? createDeadLetterProducer({ bootstrapBrokers: kafka!.brokers, clientId: `${clientId}-dead-letters` })
      : undefined
    return new KafkaSource({ groupId, consumer, ...(producer ? { producer } : {}), routes: group.routes, startFrom: group.startFrom, intake, log })
  })
}
