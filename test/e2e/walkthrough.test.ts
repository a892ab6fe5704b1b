/**
 * Issue 6 acceptance: docs/walkthrough.md's five steps, run exactly as written (a random topic and namespace
 * substituted) against the real stack. The query's per-sensor counts and averages must equal the producer's totals.
 */
import { afterAll, expect, test, setDefaultTimeout } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRestCatalog } from '../../src/catalog/rest/client.ts'
import { stackEnv } from './stack-env.ts'

// Real services on a 2-core machine: far beyond bun's 5 s default (set per file: bun applies it to the calling file only).
setDefaultTimeout(120_000)

const env = stackEnv()
const ROOT = join(import.meta.dir, '..', '..')
const suffix = crypto.randomUUID().slice(0, 8)
const topic = `sensor_data_${suffix}`
const namespace = `learning_${suffix}`
const dir = mkdtempSync(join(tmpdir(), 'walkthrough-'))

/** What step 0 exports: the stack's settings as the worker's environment overrides. */
const commandEnv = {
  ...process.env,
  KAFKA_BOOTSTRAP: env.kafkaBootstrap,
  S3_ENDPOINT: env.s3Endpoint,
  S3_REGION: env.s3Region,
  S3_ACCESS_KEY_ID: env.s3AccessKeyId,
  S3_SECRET_ACCESS_KEY: env.s3SecretAccessKey,
  ICEBERG_CATALOG_URI: env.restUri,
  INGEST_CONFIG: '',
  // Beside the shared stack: our own WAL directory, and any free port for the worker's HTTP endpoint.
  INGEST_DATA_DIR: join(dir, 'data'),
  INGEST_HTTP_PORT: '0',
}

/** `bun run <name>` → the file it runs (the package.json scripts entries). */
const SCRIPTS: Record<string, string> = {
  topics: 'scripts/topics.ts',
  tables: 'scripts/tables.ts',
  produce: 'scripts/produce.ts',
  query: 'scripts/query.ts',
  ingest: 'workers/ingest.ts',
}

interface Step {
  heading: string
  commands: string[][]
  outputs: string[]
  json?: string
}

/** Shell words of one command line: single and double quotes, nothing else (the doc uses no other shell syntax). */
function words(line: string): string[] {
  const out: string[] = []
  for (const match of line.matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g)) out.push(match[1] ?? match[2]?.replace(/\\(.)/g, '$1') ?? match[3]!)
  return out
}

/** Steps 1–5 of the walkthrough: their `bun run` commands, expected outputs and the worker config. */
function walkthroughSteps(): Step[] {
  const text = readFileSync(join(ROOT, 'docs', 'walkthrough.md'), 'utf8').replaceAll('sensor_data', topic).replaceAll('learning.', `${namespace}.`).replaceAll('/learning/', `/${namespace}/`).replaceAll('"sensor-pipeline"', `"sensor-pipeline-${suffix}"`)
  const steps: Step[] = []
  for (const section of text.split(/^## /m).slice(1)) {
    if (!/^[1-5]\./.test(section)) continue
    const step: Step = { heading: section.split('\n')[0]!, commands: [], outputs: [] }
    for (const block of section.matchAll(/^```(\w+)\n([\s\S]*?)^```/gm)) {
      const [, kind, body] = block
      if (kind === 'sh') for (const line of body!.replace(/\\\n\s*/g, ' ').split('\n')) if (line.startsWith('bun run ')) step.commands.push(words(line))
      if (kind === 'text') step.outputs.push(body!)
      if (kind === 'json') step.json = body
    }
    steps.push(step)
  }
  return steps
}

async function run(argv: string[]): Promise<string> {
  const [, , name, ...args] = argv
  const proc = Bun.spawn(['bun', 'run', join(ROOT, SCRIPTS[name!]!), ...args], { cwd: dir, env: commandEnv, stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}:\n${stderr}${stdout}`)
  console.log(`$ ${argv.join(' ')}\n${stdout}`)
  return stdout
}

/** Rows of an aligned table printed by our commands: the lines between the dashed rule and the end / a blank line. */
function tableRows(text: string): string[][] {
  const lines = text.split('\n')
  const rule = lines.findIndex((l) => /^-+(\s+-+)+$/.test(l))
  const rows: string[][] = []
  for (const line of lines.slice(rule + 1)) {
    if (line.trim() === '' || line.startsWith('(')) break
    rows.push(line.trim().split(/\s+/))
  }
  return rows
}

let worker: ReturnType<typeof Bun.spawn> | undefined
afterAll(async () => {
  worker?.kill('SIGTERM')
  await worker?.exited
  const catalog = createRestCatalog({ uri: env.restUri })
  for (const name of ['sensor_readings', 'sensor_readings_dead_letters']) await catalog.dropTable({ namespace: [namespace], name }, { purge: true }).catch(() => {})
  await catalog.dropNamespace([namespace]).catch(() => {})
  await run(['bun', 'run', 'topics', 'delete', topic, '--if-exists']).catch(() => {})
  rmSync(dir, { recursive: true, force: true })
})

test('the walkthrough, command by command: the query reproduces the producer\'s totals', async () => {
  const steps = walkthroughSteps()
  expect(steps.map((s) => s.heading.slice(0, 2))).toEqual(['1.', '2.', '3.', '4.', '5.'])
  const [createTopic, createTable, produce, ingest, query] = steps as [Step, Step, Step, Step, Step]

  // Steps 1 and 2 print exactly what the walkthrough shows.
  expect(await run(createTopic.commands[0]!)).toBe(createTopic.outputs[0]!)
  expect(await run(createTable.commands[0]!)).toBe(createTable.outputs[0]!)

  // Step 3: the producer's own totals.
  const produced = await run(produce.commands[0]!)
  const header = (text: string) => text.split('\n').find((l) => l.startsWith('sensor_id'))?.split(/\s+/)
  expect(header(produced)).toEqual(header(produce.outputs[0]!)!)
  const sent = new Map(tableRows(produced).filter((r) => r[0] !== 'total').map(([sensor, count, , avg]) => [sensor!, { count: Number(count), avg: Number(avg) }]))
  const valid = Number(/valid (\d+), malformed (\d+)/.exec(produced)![1])
  const malformed = Number(/valid (\d+), malformed (\d+)/.exec(produced)![2])
  expect(valid + malformed).toBe(5000)
  expect(malformed).toBeGreaterThan(100)
  expect(await run(['bun', 'run', 'topics', 'describe', topic])).toMatch(new RegExp(`^topic ${topic} +id \\S+ +6 partitions +5000 messages\n`))

  // Step 4: the worker, with the walkthrough's config file.
  writeFileSync(join(dir, 'sensor-pipeline.json'), ingest.json!)
  const [, , , ...workerArgs] = ingest.commands[0]!
  const log = join(dir, 'worker.log')
  worker = Bun.spawn(['bun', 'run', join(ROOT, SCRIPTS.ingest!), ...workerArgs], { cwd: dir, env: commandEnv, stdout: Bun.file(log), stderr: Bun.file(log) })

  // Step 5: query until the first commit has landed (the roll interval is 10 s), then compare with the producer.
  const deadline = Date.now() + 45_000
  let rows: string[][] = []
  for (;;) {
    const output = await run(query.commands[0]!).catch((error: Error) => error.message)
    rows = tableRows(output)
    if (rows.reduce((n, r) => n + Number(r[1]), 0) >= valid || Date.now() > deadline) {
      expect(header(output)).toEqual(header(query.outputs[0]!)!)
      break
    }
    await Bun.sleep(2_000)
  }
  console.log(`worker log:\n${readFileSync(log, 'utf8')}`)
  expect(rows.map((r) => r[0])).toEqual([...sent.keys()])
  for (const [sensor, count, avg] of rows) {
    expect({ sensor, count: Number(count) }).toEqual({ sensor, count: sent.get(sensor!)!.count })
    // The producer prints averages to 4 decimals.
    expect(Math.abs(Number(avg) - sent.get(sensor!)!.avg)).toBeLessThanOrEqual(0.00005)
  }
  const dead = tableRows(await run(query.commands[1]!))
  expect(dead.reduce((n, r) => n + Number(r.at(-1)), 0)).toBe(malformed)
  // "Going further": describe counts what the worker committed.
  expect(await run(['bun', 'run', 'tables', 'describe', `${namespace}.sensor_readings`])).toContain(`rows        ${valid.toLocaleString('en-US')}\n`)
}, 85_000)
