/**
 * Config → shared commits (HOST-ONLY): one SharedCommit per table with `kafka.controlTopic`, its
 * control topic opened once per topic name. A table's committer is the worker its group gives
 * partition 0 of the table's first topic, so the role follows every rebalance with no extra service.
 * A control topic the broker lacks leaves its tables committing on their own (logged once).
 */
import type { Catalog } from '../catalog/catalog.ts'
import type { Config } from '../config/schema.ts'
import type { BatchMarkers } from '../batcher/markers.ts'
import type { TableBatcherOptions } from '../batcher/table-batcher.ts'
import { dispatchHandoffs, SharedCommit } from '../batcher/shared-commit.ts'
import { tableName } from '../iceberg/table-identifier.ts'
import type { TableIdentifier } from '../iceberg/types.ts'
import type { Pipeline } from '../pipeline/pipeline.ts'
import type { FileIO } from '../storage/file-io.ts'
import { openControlTopic, type ControlTopic } from '../sources/kafka/control-topic.ts'

export interface SharedCommits {
  /** By dotted table name. */
  readonly coordinators: Map<string, SharedCommit>
  /** The pipeline's commitAttempt hook: the table's coordinator's attempt, or undefined (default append). */
  attemptFor(identifier: TableIdentifier): TableBatcherOptions['attempt'] | undefined
  /**
   * Once the pipeline serves the tables and the Kafka sources run: `owns` says which partitions a group
   * gives this worker, `covered` hears of handed-off batches another worker committed (for the group's offsets),
   * `joined` calls back on every rebalance of a group (the table's committer may have changed: handoffs go to it again).
   */
  start(
    pipeline: Pipeline,
    group: {
      owns: (groupId: string, topic: string, partition: number) => boolean
      covered: (groupId: string, markers: BatchMarkers) => void
      joined?: (groupId: string, listener: () => void) => void
    },
  ): void
  /** A stop begins: batches commit by themselves from now on, none waits for a committer. */
  close(): void
  /** After the final flush: every handed-off batch committed here unless the table holds it, then the control topics' clients closed. */
  finish(): Promise<void>
}

/** How long a sender waits for its handoff: the committer's death shows after the group's session timeout, and its successor folds on its next interval. */
export const handoffTimeoutMs = (sessionTimeoutMs: number, intervalMs: number) => sessionTimeoutMs + 4 * intervalMs

/** The partition whose owner commits the table: partition 0 of its first topic. */
export const electionPartition = (topics: string[]) => ({ topic: topics[0]!, partition: 0 })

/**
 * Opens the control topics the config names and a coordinator per table; undefined when no table has
 * one (or none of their topics exists). Throws what the Kafka client throws for an unreachable broker.
 */
export async function openSharedCommits(config: Config, resources: { catalog: Catalog; io: FileIO }, log: (line: string) => void): Promise<SharedCommits | undefined> {
  const shared = config.tables.filter((table) => table.kafka?.controlTopic !== undefined && !table.upsert)
  if (!shared.length || !config.kafka) return undefined
  const kafka = config.kafka
  const worker = `${kafka.clientId ?? 'iceberg-ingest'}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`
  const topics = new Map<string, ControlTopic | undefined>()
  for (const table of shared) {
    const topic = table.kafka!.controlTopic!
    if (topics.has(topic)) continue
    // As far back as any of its tables' senders may still wait for a handoff.
    const lookbackMs = Math.max(...shared.filter((t) => t.kafka!.controlTopic === topic).map((t) => handoffTimeoutMs(kafka.sessionTimeoutMs, t.roll.intervalMs)))
    topics.set(topic, await openControlTopic({ bootstrapBrokers: kafka.brokers, clientId: kafka.clientId ?? 'iceberg-ingest', topic, worker, groupId: table.kafka!.groupId, lookbackMs, log }))
  }
  let owns: (groupId: string, topic: string, partition: number) => boolean = () => false
  let covered: (groupId: string, markers: BatchMarkers) => void = () => {}
  const coordinators = new Map<string, SharedCommit>()
  const groupIds = new Map<string, string>()
  for (const [topic, channel] of topics) {
    if (!channel) continue
    const served = new Map<string, SharedCommit>()
    for (const table of shared.filter((t) => t.kafka!.controlTopic === topic)) {
      const election = electionPartition(table.kafka!.topics)
      const coordinator = new SharedCommit({
        table: tableName(table.resolved.identifier),
        worker,
        channel,
        catalog: resources.catalog,
        io: resources.io,
        isCommitter: () => owns(table.kafka!.groupId, election.topic, election.partition),
        handoffTimeoutMs: handoffTimeoutMs(kafka.sessionTimeoutMs, table.roll.intervalMs),
        onCovered: (markers) => covered(table.kafka!.groupId, markers),
        // Outside the pipeline's cap (maxPendingBytes), so a share of it: the worker stays near its memory target.
        maxOutstandingBytes: Math.floor(config.maxPendingBytes / 2),
        log,
      })
      served.set(tableName(table.resolved.identifier), coordinator)
      coordinators.set(tableName(table.resolved.identifier), coordinator)
      groupIds.set(tableName(table.resolved.identifier), table.kafka!.groupId)
      log(`table ${table.name}: shared commits over ${topic}; the owner of ${election.topic} partition ${election.partition} commits (worker ${worker})`)
    }
    dispatchHandoffs(channel, served, log)
  }
  if (!coordinators.size) {
    await Promise.all([...topics.values()].map((channel) => channel?.close()))
    return undefined
  }
  return {
    coordinators,
    attemptFor: (identifier) => coordinators.get(tableName(identifier))?.attempt,
    start(pipeline, group) {
      owns = group.owns
      covered = group.covered
      for (const [name, coordinator] of coordinators) {
        const table = pipeline.tables.get(name)
        if (table) coordinator.start(table.batcher)
        group.joined?.(groupIds.get(name)!, () => coordinator.rebalanced())
      }
    },
    close() {
      for (const coordinator of coordinators.values()) coordinator.close()
    },
    async finish() {
      for (const coordinator of coordinators.values()) coordinator.close()
      await Promise.all([...coordinators.values()].map((coordinator) => coordinator.settle()))
      await Promise.all([...topics.values()].map((channel) => channel?.close()))
    },
  }
}
