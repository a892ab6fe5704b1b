// `bun run topics create|list|describe|delete` — Kafka topic admin through @platformatic/kafka.
import { KAFKA_HELP, kafkaBrokers, kafkaError } from './cli/kafka.ts'
import { textTable } from './cli/text-table.ts'
import { didYouMean, intOption, parseCommand, runCommand, UsageError } from './cli/usage.ts'

const HELP = `Usage: bun run topics <command> [options]

Kafka topic admin.

Commands:
  create TOPIC [--partitions N] [--replication-factor N] [--topic-config KEY=VALUE]... [--if-not-exists]
                      creates the topic (default 1 partition, replication factor 1)
  list                topics, with partition counts (internal topics with --all)
  describe TOPIC      partitions: leader, replicas, in-sync replicas, earliest and latest offsets
  delete TOPIC [--if-exists]
                      deletes the topic and its messages

Options:
${KAFKA_HELP}
  -c, --config FILE   the ingest worker's config, for its kafka.brokers
  -h, --help          show this help

Example:
  bun run topics create sensor_data --partitions 6`

const COMMANDS = ['create', 'list', 'describe', 'delete']
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/

await runCommand(async () => {
  const args = parseCommand('topics', process.argv.slice(2), {
    bootstrap: { type: 'string', short: 'b' },
    config: { type: 'string', short: 'c' },
    partitions: { type: 'string', short: 'p' },
    'replication-factor': { type: 'string' },
    'topic-config': { type: 'string', multiple: true },
    'if-not-exists': { type: 'boolean' },
    'if-exists': { type: 'boolean' },
    all: { type: 'boolean' },
  })
  if (args.values.help) {
    console.log(HELP)
    return 0
  }
  const [command, topic, ...extra] = args.positionals
  const v = args.values
  if (command === undefined) throw new UsageError(`topics: which command? ${COMMANDS.join(', ')}; e.g. \`bun run topics list\` (see --help)`)
  if (!COMMANDS.includes(command)) throw new UsageError(`topics: unknown command ${JSON.stringify(command)}${didYouMean(command, COMMANDS)}; commands are ${COMMANDS.join(', ')}`)
  const name = `topics ${command}`
  if (extra.length) throw new UsageError(`${name}: unexpected ${extra.map((e) => JSON.stringify(e)).join(' ')}; one topic per call`)
  if (command === 'list' && topic !== undefined) throw new UsageError(`${name}: takes no topic; to see one, run \`bun run topics describe ${topic}\``)
  if (command !== 'list') {
    if (topic === undefined) throw new UsageError(`${name}: name the topic, e.g. \`bun run ${name} sensor_data\``)
    if (!TOPIC.test(topic)) throw new UsageError(`${name}: ${JSON.stringify(topic)} is not a valid topic name: use letters, digits, '.', '_' and '-' (at most 249)`)
  }
  if (command !== 'create' && (v.partitions !== undefined || v['replication-factor'] !== undefined || v['topic-config'])) {
    throw new UsageError(`${name}: --partitions, --replication-factor and --topic-config belong to \`topics create\``)
  }
  const partitions = intOption(name, 'partitions', v.partitions, 1, 1, 100_000)
  const replicas = intOption(name, 'replication-factor', v['replication-factor'], 1, 1, 32)
  const configs = (v['topic-config'] ?? []).map((kv) => {
    const eq = kv.indexOf('=')
    if (eq <= 0) throw new UsageError(`${name}: --topic-config takes KEY=VALUE, got ${JSON.stringify(kv)}; e.g. --topic-config retention.ms=86400000`)
    return { name: kv.slice(0, eq), value: kv.slice(eq + 1) }
  })
  const brokers = kafkaBrokers(name, v.bootstrap, v.config, process.env)
  // Loaded only now: the client takes a few hundred ms to import, which --help and argument errors need not wait for.
  const { Admin } = await import('@platformatic/kafka')
  const admin = new Admin({ clientId: 'iceberg-ingest-topics', bootstrapBrokers: brokers, retries: 2 })
  const call = <T>(what: string, promise: Promise<T>) => promise.catch((error: unknown) => {
    throw kafkaError(what, error, brokers)
  })
  try {
    const existing = await call(`cannot list topics`, admin.listTopics({ includeInternals: v.all === true }))
    const exists = topic !== undefined && existing.includes(topic)
    switch (command) {
      case 'create':
        if (exists) {
          if (v['if-not-exists']) {
            console.log(`topic ${topic} exists already; left as it is`)
            return 0
          }
          throw new UsageError(`${name}: topic ${topic} exists already; pass --if-not-exists to accept that, or \`bun run topics delete ${topic}\` first`)
        }
        await call(`cannot create topic ${topic}`, admin.createTopics({ topics: [topic!], partitions, replicas, ...(configs.length ? { configs } : {}) }))
        console.log(`created topic ${topic} with ${partitions} partition${partitions === 1 ? '' : 's'} (replication factor ${replicas}) on ${brokers.join(',')}`)
        return 0
      case 'list': {
        if (!existing.length) {
          console.log(`no topics on ${brokers.join(',')}; create one with \`bun run topics create NAME\``)
          return 0
        }
        const metadata = await call('cannot read topic metadata', admin.metadata({ topics: existing }))
        const rows = [...existing].sort().map((t) => [t, String(metadata.topics.get(t)?.partitionsCount ?? '?')])
        console.log(textTable(['topic', 'partitions'], rows, [1]))
        return 0
      }
      case 'describe': {
        if (!exists) throw new UsageError(`${name}: no topic ${topic} on ${brokers.join(',')}; see \`bun run topics list\``)
        const metadata = (await call(`cannot describe ${topic}`, admin.metadata({ topics: [topic!] }))).topics.get(topic!)!
        const indexes = metadata.partitions.map((_, i) => i)
        const offsets = async (timestamp: bigint) =>
          new Map(
            (await call(`cannot list offsets of ${topic}`, admin.listOffsets({ topics: [{ name: topic!, partitions: indexes.map((partitionIndex) => ({ partitionIndex, timestamp })) }] })))
              .flatMap((t) => t.partitions)
              .map((p) => [p.partitionIndex, p.offset]),
          )
        const [earliest, latest] = [await offsets(-2n), await offsets(-1n)]
        let total = 0n
        const rows = metadata.partitions.map((p, i) => {
          const first = earliest.get(i) ?? 0n
          const last = latest.get(i) ?? 0n
          total += last - first
          return [String(i), String(p.leader), p.replicas.join(','), p.isr.join(','), String(first), String(last), String(last - first)]
        })
        console.log(`topic ${topic}  id ${metadata.id}  ${metadata.partitionsCount} partitions  ${total} messages`)
        console.log(textTable(['partition', 'leader', 'replicas', 'in_sync', 'earliest', 'latest', 'messages'], rows, [0, 1, 4, 5, 6]))
        return 0
      }
      case 'delete':
        if (!exists) {
          if (v['if-exists']) {
            console.log(`topic ${topic} does not exist; nothing to delete`)
            return 0
          }
          throw new UsageError(`${name}: no topic ${topic} on ${brokers.join(',')}; see \`bun run topics list\` (or pass --if-exists)`)
        }
        await call(`cannot delete topic ${topic}`, admin.deleteTopics({ topics: [topic!] }))
        console.log(`deleted topic ${topic}`)
        return 0
    }
  } finally {
    await admin.close().catch(() => {})
  }
})
