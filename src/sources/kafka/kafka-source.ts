/**
 * Kafka → pipeline, through a consumer group (@platformatic/kafka). The TABLE decides where each
 * partition resumes, not the group: a message at an offset the destination table already holds is
 * skipped, so neither a restart, a rebalance, nor a lost group-offset commit can duplicate a row.
 * Group offsets are committed after each Iceberg commit only so that lag tools see progress.
 */
import { IngestError } from '../../errors.ts'
import { deadLetterRow } from '../../pipeline/dead-letters.ts'
import type { CommittedEvent, Intake, IntakeRouter, IntakeTable, KafkaOrigin, RouteDeadLetters } from '../../pipeline/intake.ts'
import type { DeadLetterProducer, GroupConsumer, KafkaMessage, MessageStream } from './client-ports.ts'
import { DeadLetterTopic, type DeadLetterMessage } from './dead-letter-topic.ts'
import { jsonValues, rawText, type ValueDecoder } from './value-decoder.ts'

/** Message metadata copied into columns of the row before coercion. */
export interface KafkaColumns {
  key?: string
  topic?: string
  partition?: string
  offset?: string
  /** Epoch milliseconds (the record timestamp). */
  timestamp?: string
  /** Headers as a map<string,string> column. */
  headers?: string
}

export interface KafkaTopicRoute {
  topic: string
  /** The topic's table; with `router` instead, each message's table is the route's choice. */
  table?: IntakeTable
  /** A config route (table-route.ts): by a field of each record, or by this topic's name. */
  router?: IntakeRouter
  columns?: KafkaColumns
  /** Bad messages go to this topic instead of the table's dead-letter table (dead-letter-topic.ts). */
  deadLetterTopic?: string
  /** How values become records: a registry format's decoder (value-decoder.ts); JSON text when absent. */
  decoder?: ValueDecoder
}

export interface KafkaSourceOptions {
  groupId: string
  /** The group's consumer (platformatic-client.ts, or a fake in tests). */
  consumer: GroupConsumer
  /** Needed when a route has a deadLetterTopic. */
  producer?: DeadLetterProducer
  routes: KafkaTopicRoute[]
  /** Where a partition starts when neither the table nor the group has an offset for it. */
  startFrom?: 'earliest' | 'latest'
  intake: Intake
  log?: (line: string) => void
  /** Topic routes: how to find topics created after the start, and the route of one that matches (none: not ours). */
  topicWatch?: { everyMs: number; list: () => Promise<string[]>; routeFor: (topic: string) => KafkaTopicRoute | undefined }
  /** How often backpressure and lag are checked (default 100 ms and 10 s). */
  pauseCheckMs?: number
  lagCheckMs?: number
}

const decoder = new TextDecoder()
const key = (topic: string, partition: number) => `${topic}:${partition}`

/** A configured dead-letter topic the broker does not have (checked at start, before consuming). */
export class DeadLetterTopicError extends IngestError {
  constructor(topic: string, cause: unknown) {
    super('DEAD_LETTER_TOPIC', `dead-letter topic ${topic} is not available (${(cause as Error).message}); create it, e.g. bun run topics create ${topic}`, { cause })
  }
}

export class KafkaSource {
  readonly consumed = { messages: 0, skipped: 0, deadLetters: 0 }
  /**
   * topic → per partition, the highest offset already buffered or committed, to skip redeliveries.
   * Arrays by partition, not a map keyed by "topic:partition": this is read and written per message.
   */
  readonly #seen = new Map<string, (bigint | undefined)[]>()
  readonly #highWatermarks = new Map<string, bigint>()
  #options: KafkaSourceOptions
  #routes: Map<string, KafkaTopicRoute>
  #stream: MessageStream | undefined
  #pauseTimer: ReturnType<typeof setInterval> | undefined
  #watchTimer: ReturnType<typeof setInterval> | undefined
  #watching = false
  #lagTimer: ReturnType<typeof setInterval> | undefined
  #unsubscribe: (() => void) | undefined
  #log: (line: string) => void
  #sincePressureCheck = 0
  /**
   * While a message waits for a promise (a schema change it needs), later messages queue here in
   * arrival order, so each partition's records still reach the table in offset order.
   */
  #held: KafkaMessage[] | undefined
  /** Per table, the registry writers (schema ids) it has been evolved to: each once per run, before its first record. */
  readonly #writersSeen = new Map<IntakeTable, Set<string>>()
  #stopped = false
  /**
   * Routed topics: per table (or unrouted table) and topic, the next offset the table holds, per partition.
   * A routed topic feeds many tables that commit apart, so each record is checked against its own table.
   */
  readonly #tableFloors = new Map<string, (bigint | undefined)[]>()
  /** by dead-letter topic name */
  readonly deadLetterTopics = new Map<string, DeadLetterTopic>()

  constructor(options: KafkaSourceOptions) {
    this.#options = options
    this.#routes = new Map(options.routes.map((route) => [route.topic, route]))
    this.#log = options.log ?? (() => {})
    for (const route of options.routes) if (route.deadLetterTopic) this.#addDeadLetterTopic(route, route.deadLetterTopic)
  }

  #addDeadLetterTopic(route: KafkaTopicRoute, topic: string): void {
    const producer = this.#options.producer
    if (!producer) throw new IngestError('CONFIG', `kafka source for group ${this.#options.groupId}: dead-letter topic ${topic} needs a producer`)
    let dlq = this.deadLetterTopics.get(topic)
    if (!dlq) {
      dlq = new DeadLetterTopic(topic, {
        send: (messages) => producer.send(messages),
        fallback: (message, error) => this.#toDeadLetterTable(message, `${message.error} (dead-letter topic ${topic} refused it: ${error.message})`),
        log: this.#log,
      })
      this.deadLetterTopics.set(topic, dlq)
    }
    const settling = dlq
    if (!route.table) throw new IngestError('CONFIG', `kafka source for group ${this.#options.groupId}: topic ${route.topic} is routed, and routed topics have no dead-letter topic`)
    route.table.holdCommits(() => settling.settle())
  }

  async start(): Promise<void> {
    const topics = [...this.deadLetterTopics.keys()]
    if (topics.length) {
      for (const topic of topics) {
        try {
          await this.#options.producer!.checkTopic(topic)
        } catch (error) {
          throw new DeadLetterTopicError(topic, error)
        }
      }
      this.#log(`kafka: bad messages of ${this.#options.routes.filter((r) => r.deadLetterTopic).map((r) => r.topic).join(', ')} go to ${topics.join(', ')}`)
    }
    const consumer = this.#options.consumer
    // On every (re)join, learn what the tables hold now: another worker may have committed
    // partitions that just moved to us.
    consumer.onGroupJoin(() => {
      void this.#refreshFloors().catch((error) => this.#log(`kafka: reloading table offsets after a rebalance failed: ${(error as Error).message}`))
    })
    await this.#refreshFloors()
    this.#unsubscribe = this.#options.intake.onCommitted((event) => this.#onCommitted(event))
    await this.#subscribe()
    const watch = this.#options.topicWatch
    if (watch) this.#watchTimer = setInterval(() => void this.#watchTopics(watch), watch.everyMs)
    // Backpressure: stop fetching while the pipeline holds more than its cap in memory (and resume on
    // each commit as well as on the timer: a commit is what frees room, and the fetch it lets through
    // should not wait out the rest of a check period).
    this.#pauseTimer = setInterval(() => this.#applyPressure(), this.#options.pauseCheckMs ?? 100)
    void this.#refreshHighWatermarks()
    this.#lagTimer = setInterval(() => void this.#refreshHighWatermarks(), this.#options.lagCheckMs ?? 10_000)
    this.#log(`kafka: consuming ${[...this.#routes.keys()].join(', ')} as group ${this.#options.groupId}`)
  }

  /** A stream over every routed topic. */
  async #subscribe(): Promise<void> {
    const stream = await this.#options.consumer.consume([...this.#routes.keys()], this.#options.startFrom ?? 'earliest')
    stream.onMessage((message) => this.#onMessage(message))
    stream.onError((error) => this.#log(`kafka: stream error: ${error.message}`))
    this.#stream = stream
  }

  /**
   * Topic routes: topics created since the last look that match join the subscription. The stream is
   * reopened (the group rejoins with the new topics); what the old one had fetched but not delivered is
   * fetched again, and what it delivered is skipped as a redelivery, so nothing is lost or doubled.
   */
  async #watchTopics(watch: NonNullable<KafkaSourceOptions['topicWatch']>): Promise<void> {
    if (this.#watching || this.#stopped || this.#held !== undefined) return
    this.#watching = true
    try {
      const added = (await watch.list()).filter((topic) => !this.#routes.has(topic)).flatMap((topic) => watch.routeFor(topic) ?? [])
      if (!added.length || this.#stopped || this.#held !== undefined) return
      for (const route of added) this.#routes.set(route.topic, route)
      this.#log(`kafka: new topics ${added.map((route) => route.topic).join(', ')} match a topic route; resubscribing group ${this.#options.groupId}`)
      const old = this.#stream
      this.#stream = undefined
      await old?.close().catch((error: Error) => this.#log(`kafka: closing the stream to resubscribe failed: ${error.message}`))
      if (this.#stopped) return
      await this.#subscribe()
    } catch (error) {
      this.#log(`kafka: looking for new topics failed: ${(error as Error).message}`)
    } finally {
      this.#watching = false
    }
  }

  /** Offsets of a table's batch that another worker committed (a shared commit): tell the group, as after our own commits. */
  committedElsewhere(markers: CommittedEvent['markers']): void {
    this.#onCommitted({ markers } as CommittedEvent)
  }

  /** Pauses the stream until the next turn of the event loop, then resumes it as backpressure allows. */
  #yieldTurn(): void {
    const stream = this.#stream
    if (!stream || stream.isPaused()) return
    stream.pause()
    setImmediate(() => this.#applyPressure())
  }

  /** Pauses fetching over the cap, resumes under it (unless a message waits on something). */
  #applyPressure(): void {
    const stream = this.#stream
    if (!stream) return
    const overloaded = this.#options.intake.overloaded()
    if (overloaded && !stream.isPaused()) stream.pause()
    else if (!overloaded && stream.isPaused() && this.#held === undefined) stream.resume()
  }

  /** After a table commit: resume if it made room, and tell the group (for lag tools) what the table now holds. */
  #onCommitted(event: CommittedEvent): void {
    this.#applyPressure()
    const offsets = []
    for (const [topic, partitions] of event.markers.kafka) {
      const route = this.#routes.get(topic)
      if (!route) continue
      for (const [partition, range] of partitions) {
        const offset = route.router ? this.#routedSafeOffset(route.router, topic, partition) : range.next
        if (offset !== undefined) offsets.push({ topic, partition, offset })
      }
    }
    if (!offsets.length) return
    void this.#options.consumer.commit(offsets).catch((error: Error) =>
      // Harmless: the table, not the group, decides where consumption resumes.
      this.#log(`kafka: committing group offsets failed (table already holds them): ${error.message}`),
    )
  }

  /**
   * Where the group may resume a routed topic's partition: below the lowest offset any of the route's
   * tables still buffers (their commits are apart, and the group offset is where a restart starts reading).
   * Undefined while a message waits (it is in no table yet).
   */
  #routedSafeOffset(router: IntakeRouter, topic: string, partition: number): bigint | undefined {
    if (this.#held !== undefined) return undefined
    const seen = this.#seen.get(topic)?.[partition]
    if (seen === undefined) return undefined
    let safe = seen + 1n
    for (const table of [...router.opened(), router.unrouted]) {
      const pending = table.pendingOffset(topic, partition)
      if (pending !== undefined && pending < safe) safe = pending
    }
    return safe
  }

  get groupId(): string {
    return this.#options.groupId
  }

  /** Whether the group gives this worker `partition` of `topic` now (shared commits elect a table's committer by it). */
  owns(topic: string, partition: number): boolean {
    return this.#options.consumer.assignments().some((assignment) => assignment.topic === topic && assignment.partitions.includes(partition))
  }

  /** Calls `listener` on every (re)join of the group, after this member's new partitions are known. */
  onGroupJoin(listener: () => void): void {
    this.#options.consumer.onGroupJoin(listener)
  }

  /** Lag per topic:partition: high watermark minus what we have consumed. */
  lag(): Map<string, bigint> {
    const lag = new Map<string, bigint>()
    for (const [tp, high] of this.#highWatermarks) {
      const split = tp.lastIndexOf(':')
      const seen = this.#seen.get(tp.slice(0, split))?.[Number(tp.slice(split + 1))]
      if (seen !== undefined) lag.set(tp, high > seen + 1n ? high - seen - 1n : 0n)
    }
    return lag
  }

  async stop(): Promise<void> {
    // Held messages are not handed over any more: their offsets are past the table's marker, so they are read again next time.
    this.#stopped = true
    for (const route of this.#routes.values()) route.decoder?.close?.()
    if (this.#pauseTimer) clearInterval(this.#pauseTimer)
    if (this.#watchTimer) clearInterval(this.#watchTimer)
    if (this.#lagTimer) clearInterval(this.#lagTimer)
    this.#unsubscribe?.()
    // Closing is best effort: the table holds what was committed, and whatever was only fetched is fetched again.
    await this.#stream?.close().catch((error: Error) => this.#log(`kafka: closing the stream failed: ${error.message}`))
    await this.#options.consumer.close().catch((error: Error) => this.#log(`kafka: leaving group ${this.#options.groupId} failed: ${error.message}`))
    // Forwarded dead letters first: the final table commits wait for them (holdCommits).
    for (const dlq of this.deadLetterTopics.values()) await dlq.settle()
    await this.#options.producer?.close().catch((error: Error) => this.#log(`kafka: closing the dead-letter producer failed: ${error.message}`))
  }

  async #refreshFloors(): Promise<void> {
    for (const route of this.#routes.values()) {
      if (route.router) {
        for (const table of [...route.router.opened(), route.router.unrouted]) await this.#loadTableFloor(table, route.topic)
        continue
      }
      for (const [partition, next] of await route.table!.committedOffsets(route.topic)) {
        let seen = this.#seen.get(route.topic)
        if (!seen) this.#seen.set(route.topic, (seen = []))
        const current = seen[partition]
        if (current === undefined || next - 1n > current) seen[partition] = next - 1n
      }
    }
  }

  /** What a routed table holds of `topic` (reloaded), as its floor. */
  async #loadTableFloor(table: IntakeTable | RouteDeadLetters, topic: string): Promise<void> {
    const floors: (bigint | undefined)[] = []
    for (const [partition, next] of await table.committedOffsets(topic)) floors[partition] = next
    this.#tableFloors.set(`${table.name}\u0000${topic}`, floors)
  }

  /**
   * Whether a routed message is one its table already holds; undefined when the table's floor is not
   * loaded yet (the caller waits for `#loadTableFloor`).
   */
  #heldByTable(table: IntakeTable | RouteDeadLetters, message: KafkaMessage): boolean | undefined {
    const floors = this.#tableFloors.get(`${table.name}\u0000${message.topic}`)
    if (!floors) return undefined
    const next = floors[message.partition]
    return next !== undefined && message.offset < next
  }

  async #refreshHighWatermarks(): Promise<void> {
    try {
      const offsets = await this.#options.consumer.highWatermarks([...this.#routes.keys()])
      for (const [topic, partitions] of offsets) partitions.forEach((high, partition) => this.#highWatermarks.set(key(topic, partition), high))
    } catch (error) {
      this.#log(`kafka: listing offsets for lag failed: ${(error as Error).message}`)
    }
  }

  #onMessage(message: KafkaMessage): void {
    if (this.#held) {
      this.#held.push(message)
      return
    }
    const route = this.#routes.get(message.topic)
    if (!route) return
    // Pause from inside the message path too: the stream delivers a whole fetch (up to 10 MB of
    // messages) between two timer checks, which let buffers overshoot the cap by several times.
    if ((++this.#sincePressureCheck & 255) === 0 && this.#options.intake.overloaded()) this.#stream?.pause()
    // A fetch's messages arrive in one turn of the event loop (~10k for 1 MiB of small records, tens of
    // ms of our work): every 2,048 the stream pauses until the next turn, so the commit path's file
    // writes and encoder replies run between, instead of waiting out the whole fetch each.
    else if ((this.#sincePressureCheck & 2047) === 0) this.#yieldTurn()
    let seen = this.#seen.get(message.topic)
    if (!seen) this.#seen.set(message.topic, (seen = []))
    const last = seen[message.partition]
    // Already buffered or committed: a redelivery after a rebalance or restart.
    if (last !== undefined && message.offset <= last) {
      this.consumed.skipped++
      return
    }
    seen[message.partition] = message.offset
    this.consumed.messages++
    this.#process(message, route)
  }

  /**
   * Decodes and admits one message that is not a redelivery: a row, a dead letter, or a wait — for the
   * registry to name its schema, for the table to evolve to a writer schema it has not seen, or for the
   * schema change the record itself needs.
   */
  #process(message: KafkaMessage, route: KafkaTopicRoute): void {
    const origin: KafkaOrigin = { topic: message.topic, partition: message.partition, offset: message.offset }
    // A null value on an upsert table is a tombstone: the delete of the message key (upsert-intake.ts).
    const tombstone = route.table?.upsert !== undefined && !message.value?.length
    const decoded = tombstone ? { ok: true as const, record: {} } : (route.decoder ?? jsonValues).decode(message.value)
    let table = route.table
    const router = route.router
    if (router) {
      if (!decoded.ok && 'waiting' in decoded) return this.#waitFor(decoded.waiting, () => this.#process(message, route))
      const admission = router.byTopic ? router.forTopic(message.topic) : decoded.ok ? router.forRecord(decoded.record) : { reason: decoded.reason }
      if ('opening' in admission) return this.#waitFor(admission.opening, () => this.#process(message, route))
      if ('reason' in admission) return this.#unrouted(message, route, router.unrouted, admission.reason)
      table = admission.table
      const held = this.#heldByTable(table, message)
      if (held === undefined) return this.#waitFor(this.#loadTableFloor(table, message.topic), () => this.#process(message, route))
      if (held) {
        this.consumed.skipped++
        return
      }
    }
    if (!table) return
    let reason: string
    if (decoded.ok) {
      const writer = decoded.writer
      let seen = this.#writersSeen.get(table)
      if (writer && !seen?.has(writer.key)) {
        if (!seen) this.#writersSeen.set(table, (seen = new Set()))
        const known = seen
        // Before the writer's first record: its columns join the table in one schema change, rather than one per record.
        const evolved = table.evolveTo(table.upsert?.rowFields(writer.fields) ?? writer.fields).then(() => void known.add(writer.key))
        return this.#waitFor(evolved, () => this.#process(message, route))
      }
      const record = withColumns(decoded.record, message, route.columns)
      const result = table.upsert ? table.upsert.admitMessage(tombstone ? undefined : record, message.key) : table.admit(record)
      if (result.ok) {
        table.accept([result.row], { kafka: origin })
        return
      }
      if ('evolving' in result) return this.#waitFor(result.evolving, () => this.#process(message, route))
      reason = result.reason
    } else if ('waiting' in decoded) {
      return this.#waitFor(decoded.waiting, () => this.#process(message, route))
    } else {
      reason = decoded.reason
    }
    this.consumed.deadLetters++
    table.reject(origin)
    const letter: DeadLetterMessage = {
      ...origin,
      key: message.key,
      value: message.value,
      headers: message.headers,
      error: reason,
      table: table.name,
      receivedAtMs: Date.now(),
    }
    const dlq = route.deadLetterTopic ? this.deadLetterTopics.get(route.deadLetterTopic) : undefined
    if (dlq) dlq.forward(letter)
    else this.#toDeadLetterTable(letter, reason, table)
  }

  /** A routed message without a valid route: a dead letter in the route's unrouted table (unless that table holds it). */
  #unrouted(message: KafkaMessage, route: KafkaTopicRoute, unrouted: RouteDeadLetters, reason: string): void {
    const held = this.#heldByTable(unrouted, message)
    if (held === undefined) return this.#waitFor(this.#loadTableFloor(unrouted, message.topic), () => this.#process(message, route))
    if (held) {
      this.consumed.skipped++
      return
    }
    this.consumed.deadLetters++
    const letter: DeadLetterMessage = { topic: message.topic, partition: message.partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers, error: reason, table: unrouted.name, receivedAtMs: Date.now() }
    this.#toDeadLetterTable(letter, reason, unrouted)
  }

  /**
   * Holds the stream until `promise` settles, then runs `resume` (the message that waited) and the
   * messages that arrived meanwhile, in order. A rejected promise (the schema change could not be
   * committed: catalog down) is logged and tried again after a pause: nothing is skipped. Every wait
   * goes through here: registry lookups, writer schemas, schema changes a record needs.
   */
  #waitFor(promise: Promise<unknown>, resume: () => void): void {
    this.#held = []
    this.#stream?.pause()
    promise
      .catch(async (error: Error) => {
        this.#log(`kafka: a message waits for a schema change that failed (${error.message}); trying again in 1 s`)
        await new Promise((resolve) => setTimeout(resolve, 1_000))
      })
      .then(() => {
        if (this.#stopped) return
        const queued = this.#held ?? []
        this.#held = undefined
        resume()
        // #onMessage queues behind a message that is held again (it needs a change too), so order is kept.
        for (const message of queued) this.#onMessage(message)
        if (this.#held === undefined && !this.#options.intake.overloaded()) this.#stream?.resume()
      })
  }

  /** The dead-letter table row for a bad message (also where the dead-letter topic's refusals go). */
  #toDeadLetterTable(letter: DeadLetterMessage, error: string, table: Pick<IntakeTable, 'deadLetter'> = this.#routes.get(letter.topic)!.table!): void {
    const row = deadLetterRow({
      source: 'kafka',
      receivedAtMs: letter.receivedAtMs,
      error,
      raw: rawText(letter.value, this.#routes.get(letter.topic)?.decoder?.binary === true),
      topic: letter.topic,
      partition: letter.partition,
      offset: letter.offset,
      key: letter.key ? decoder.decode(letter.key) : null,
    })
    table.deadLetter(row, { kafka: { topic: letter.topic, partition: letter.partition, offset: letter.offset } })
  }
}

function withColumns(record: Record<string, unknown>, message: KafkaMessage, columns: KafkaColumns | undefined): Record<string, unknown> {
  if (!columns) return record
  const out = { ...record }
  if (columns.key) out[columns.key] = message.key ? decoder.decode(message.key) : null
  if (columns.topic) out[columns.topic] = message.topic
  if (columns.partition) out[columns.partition] = message.partition
  if (columns.offset) out[columns.offset] = message.offset.toString()
  if (columns.timestamp) out[columns.timestamp] = Number(message.timestamp)
  if (columns.headers) {
    const headers: Record<string, string> = {}
    for (const [k, v] of message.headers) headers[decoder.decode(k)] = decoder.decode(v)
    out[columns.headers] = headers
  }
  return out
}
