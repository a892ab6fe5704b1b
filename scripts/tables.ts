// `bun run tables create|list|describe|snapshots|schemas|drop` — Iceberg table admin through the configured catalog (REST or embedded).
import { AlreadyExistsError, IngestError, NoSuchEntityError, ValidationError } from '../src/errors.ts'
import { checkSchemaForFormat } from '../src/iceberg/schema.ts'
import { parsePartitionDsl, parseSchemaDsl, formatPartitionSpec, formatSchema } from '../src/iceberg/schema-dsl.ts'
import type { Namespace } from '../src/catalog/catalog.ts'
import { createTable } from '../src/table/table.ts'
import { CONFIG_HELP, loadConfig, openCatalog } from './cli/catalog.ts'
import { EXIT_HELP, MissingTableError, namingMissingTables } from './cli/missing-table.ts'
import { parseTableName, } from './cli/table-name.ts'
import { describeTable, schemasTable, snapshotsTable } from './cli/table-report.ts'
import { didYouMean, parseCommand, runCommand, UsageError } from './cli/usage.ts'
import { tableName } from '../src/iceberg/table-identifier.ts'

const HELP = `Usage: bun run tables <command> [options]

Iceberg table admin through the configured catalog — the one the ingest worker writes to.

Commands:
  create NS.TABLE --schema 'COLUMNS' [--partition-by 'FIELDS'] [--property KEY=VALUE]... [--format-version 2|3] [--if-not-exists]
          creates the table (and its namespace). Columns: 'sensor_id string, timestamp timestamp,
          reading double' (types: boolean int long float double decimal(P,S) date time timestamp
          timestamptz string uuid binary fixed[L] list<T> map<K,V> struct<a: T>; "not null" for required;
          with --format-version 3 also timestamp_ns timestamptz_ns variant).
          Partition fields as engines write them: sensor_id, day(timestamp), bucket(16, id), truncate(4, data).
          --format-version: 2 (default) or 3, with row lineage (docs/format-v3.md)
  list [NAMESPACE]          tables of one namespace, or of every namespace
  describe NS.TABLE         schema, partition spec, properties, current snapshot, file and row counts
  snapshots NS.TABLE        the table's snapshots, oldest first (ids for \`query --snapshot\`)
  schemas NS.TABLE          the table's schema versions with their ids and what each changed (docs/schemas.md)
  drop NS.TABLE [--purge] [--if-exists]
                            removes the table from the catalog (--purge: also its files, where supported)

Options:
${CONFIG_HELP}
  -h, --help          show this help

${EXIT_HELP}

Example:
  bun run tables create learning.sensor_readings \\
    --schema 'sensor_id string, timestamp timestamp, reading double' --partition-by sensor_id`

const COMMANDS = ['create', 'list', 'describe', 'snapshots', 'schemas', 'drop']

async function listAll(list: (ns: Namespace) => Promise<string[]>, namespaces: (parent?: Namespace) => Promise<Namespace[]>): Promise<string[]> {
  const out: string[] = []
  const walk = async (parent: Namespace | undefined, depth: number): Promise<void> => {
    for (const ns of await namespaces(parent)) {
      out.push(...(await list(ns)))
      // Catalogs without nested namespaces refuse a parent with a definite answer; a failed call is still an error.
      if (depth < 4) {
        await walk(ns, depth + 1).catch((error: unknown) => {
          if (!(error instanceof IngestError) || error.retryable) throw error
        })
      }
    }
  }
  await walk(undefined, 0)
  return out.sort()
}

await runCommand(async () => {
  const args = parseCommand('tables', process.argv.slice(2), {
    config: { type: 'string', short: 'c' },
    schema: { type: 'string' },
    'partition-by': { type: 'string' },
    property: { type: 'string', multiple: true },
    'format-version': { type: 'string' },
    location: { type: 'string' },
    'if-not-exists': { type: 'boolean' },
    'if-exists': { type: 'boolean' },
    purge: { type: 'boolean' },
  })
  const [command, target, ...extra] = args.positionals
  if (args.values.help) {
    console.log(HELP)
    return 0
  }
  if (command === undefined) throw new UsageError(`tables: which command? ${COMMANDS.join(', ')}; e.g. \`bun run tables list\` (see --help)`)
  if (!COMMANDS.includes(command)) throw new UsageError(`tables: unknown command ${JSON.stringify(command)}${didYouMean(command, COMMANDS)}; commands are ${COMMANDS.join(', ')}`)
  if (extra.length) throw new UsageError(`tables ${command}: unexpected ${extra.map((e) => JSON.stringify(e)).join(' ')}; quote the --schema value, e.g. --schema 'id long, data string'`)
  const name = `tables ${command}`
  const v = args.values
  if (command !== 'create' && (v.schema !== undefined || v['partition-by'] !== undefined || v.property || v.location !== undefined || v['format-version'] !== undefined)) {
    throw new UsageError(`${name}: --schema, --partition-by, --property, --format-version and --location belong to \`tables create\``)
  }
  if (command !== 'drop' && (v.purge || v['if-exists'])) throw new UsageError(`${name}: --purge and --if-exists belong to \`tables drop\``)
  const id = command === 'list' ? undefined : parseTableName(name, target)
  let create: { schema: ReturnType<typeof parseSchemaDsl>; spec: ReturnType<typeof parsePartitionDsl>; properties: Record<string, string> } | undefined
  if (command === 'create') {
    if (v.schema === undefined) throw new UsageError(`${name}: give the columns with --schema, e.g. --schema 'sensor_id string, timestamp timestamp, reading double'`)
    try {
      const schema = parseSchemaDsl(v.schema)
      const spec = parsePartitionDsl(v['partition-by'] ?? '', schema)
      const properties: Record<string, string> = {}
      for (const p of v.property ?? []) {
        const eq = p.indexOf('=')
        if (eq <= 0) throw new UsageError(`${name}: --property takes KEY=VALUE, got ${JSON.stringify(p)}; e.g. --property write.parquet.compression-codec=zstd`)
        properties[p.slice(0, eq)] = p.slice(eq + 1)
      }
      const version = v['format-version']
      if (version !== undefined) {
        if (version !== '2' && version !== '3') throw new UsageError(`${name}: --format-version is 2 or 3, got ${JSON.stringify(version)}`)
        if (properties['format-version'] !== undefined && properties['format-version'] !== version) {
          throw new UsageError(`${name}: --format-version ${version} and --property format-version=${properties['format-version']} disagree; give --format-version only`)
        }
        properties['format-version'] = version
      }
      checkSchemaForFormat(schema, Number(properties['format-version'] ?? '2'))
      create = { schema, spec, properties }
    } catch (error) {
      if (error instanceof ValidationError) throw new UsageError(`${name}: ${error.message}`)
      throw error
    }
  }
  const { config } = loadConfig(name, v.config, process.env)
  const access = openCatalog(config)
  const { io, close } = access
  const catalog = namingMissingTables(name, access.catalog)
  try {
    switch (command) {
      case 'create': {
        const c = create!
        try {
          const table = await createTable({ catalog, io }, id!, {
            schema: c.schema,
            partitionSpec: c.spec,
            properties: c.properties,
            createNamespace: true,
            ...(v.location ? { location: v.location } : {}),
          })
          const m = table.current().metadata
          console.log(`created ${tableName(id!)} in ${catalog.name}`)
          console.log(`  format       v${m['format-version']}`)
          console.log(`  location     ${m.location}`)
          console.log(`  schema       ${formatSchema(m.schemas[0]!)}`)
          console.log(`  partitioned  ${c.spec.fields.length ? `by ${formatPartitionSpec(m['partition-specs'][0]!, m.schemas[0]!)}` : 'no'}`)
        } catch (error) {
          if (error instanceof AlreadyExistsError && v['if-not-exists']) console.log(`${tableName(id!)} exists already; left as it is`)
          else if (error instanceof AlreadyExistsError) throw new UsageError(`${name}: ${tableName(id!)} exists already; pass --if-not-exists to accept that, or \`tables drop ${tableName(id!)}\` first`)
          else throw error
        }
        return 0
      }
      case 'list': {
        const names = target
          ? (
              await catalog.listTables(target.split('.')).catch((error: unknown) => {
                if (error instanceof NoSuchEntityError) throw new UsageError(`${name}: ${error.message} in ${catalog.name}; see \`bun run tables list\``)
                throw error
              })
            ).map(tableName)
          : await listAll(async (ns) => (await catalog.listTables(ns)).map(tableName), (parent) => catalog.listNamespaces(parent))
        if (names.length) console.log(names.join('\n'))
        else console.log(target ? `no tables in namespace ${target}` : `no tables in ${catalog.name}; create one with \`bun run tables create\``)
        return 0
      }
      case 'describe':
        console.log(await describeTable(await catalog.loadTable(id!), catalog.name, io))
        return 0
      case 'snapshots':
        console.log(snapshotsTable((await catalog.loadTable(id!)).metadata))
        return 0
      case 'schemas':
        console.log(schemasTable((await catalog.loadTable(id!)).metadata))
        return 0
      case 'drop':
        try {
          await catalog.dropTable(id!, { purge: v.purge === true })
          console.log(`dropped ${tableName(id!)}${v.purge ? ' and its files' : ''}`)
        } catch (error) {
          if (!(error instanceof MissingTableError)) throw error
          if (!v['if-exists']) throw new MissingTableError(name, error.table, error.where, { hint: 'see `bun run tables list` (or pass --if-exists)', cause: error.cause })
          console.log(`${tableName(id!)} does not exist; nothing to drop`)
        }
        return 0
    }
  } finally {
    close()
  }
})
