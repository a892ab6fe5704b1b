/** Every command with wrong arguments exits non-zero and says what to type instead; --help exits 0. No services needed. */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROOT = join(import.meta.dir, '..', '..')
const DATA = mkdtempSync(join(tmpdir(), 'usage-test-'))
afterAll(() => rmSync(DATA, { recursive: true, force: true }))

async function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // Kafka at a closed port: a command that got past its argument checks would fail differently (exit 1, KAFKA).
  const proc = Bun.spawn(['bun', 'run', join(ROOT, 'scripts', `${script}.ts`), ...args], {
    cwd: ROOT,
    env: { ...process.env, KAFKA_BOOTSTRAP: '127.0.0.1:9', INGEST_DATA_DIR: DATA, INGEST_CONFIG: '', ICEBERG_CATALOG_URI: '' },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, stdout, stderr }
}

const cases: [string, string[], RegExp][] = [
  ['topics', [], /which command\? create, list, describe, delete; e\.g\. `bun run topics list`/],
  ['topics', ['craete', 'x'], /unknown command "craete" \(did you mean "create"\?\)/],
  ['topics', ['create'], /name the topic, e\.g\. `bun run topics create sensor_data`/],
  ['topics', ['create', 'bad topic!'], /not a valid topic name: use letters, digits/],
  ['topics', ['create', 'x', '--partitions', 'six'], /--partitions takes a whole number from 1 to 100000, got "six"; e\.g\. --partitions 1/],
  ['topics', ['list', '--partition', '3'], /Unknown option '--partition' \(did you mean "--partitions"\?\)/],
  ['topics', ['describe', 'x', '--partitions', '2'], /--partitions, --replication-factor and --topic-config belong to `topics create`/],
  ['topics', ['list', '--bootstrap', 'localhost'], /brokers are HOST:PORT\[,HOST:PORT\.\.\.\], got "localhost"/],
  ['tables', [], /which command\? create, list, describe, snapshots, schemas, drop/],
  ['tables', ['create', 'sensor_readings', '--schema', 'a int'], /has no namespace; write namespace\.table, e\.g\. learning\.sensor_readings/],
  ['tables', ['create', 'learning.t'], /give the columns with --schema, e\.g\. --schema 'sensor_id string, timestamp timestamp, reading double'/],
  ['tables', ['create', 'learning.t', '--schema', 'a integer'], /unknown type "integer".*write int/],
  ['tables', ['create', 'learning.t', '--schema', 'a int', '--partition-by', 'day(a)'], /day does not apply to a \(int\)/],
  ['tables', ['create', 'learning.t', '--schema', 'id', 'long'], /unexpected "long"; quote the --schema value/],
  ['tables', ['describe'], /name the table as namespace\.table/],
  ['tables', ['drop', 'learning.t', '--schema', 'a int'], /belong to `tables create`/],
  ['tables', ['list', '--config', '/nonexistent.json'], /config file \/nonexistent\.json does not exist \(from --config\)/],
  ['produce', [], /name the topic \(`bun run produce sensor_data`\) or give --http URL/],
  ['produce', ['t', '--count', '-5'], /--count is missing its value; write --count VALUE/],
  ['produce', ['t', '--count', 'many'], /--count takes a whole number from 1 to \d+, got "many"; e\.g\. --count 1000/],
  ['produce', ['t', '--bad-ratio', '5%'], /--bad-ratio takes a number from 0 to 1, got "5%"; e\.g\. --bad-ratio 0\.05/],
  ['produce', ['t', '--http', 'http://127.0.0.1:8181'], /send either to topic t or to --http/],
  ['produce', ['--http', 'localhost:8181'], /--http takes an http\(s\) URL|--http takes a URL/],
  ['produce', ['t', '--template', '{"id": {{sequence}}}'], /unknown placeholder "\{\{sequence\}\}"; placeholders are seq/],
  ['produce', ['t', '--table', 'a.b'], /--table goes with --http/],
  ['query', [], /give the SQL as one quoted argument, e\.g\. bun run query "SELECT count\(\*\) FROM learning\.sensor_readings"/],
  ['query', ['SELECT', '1'], /the SQL must be one argument; quote it: bun run query "SELECT 1"/],
  ['query', ['SELECT 1', '--format', 'jsn'], /--format "jsn" is not one of table, json, csv, arrow \(did you mean "json"\?\)/],
  ['query', ['SELECT 1', '--snapshot', 'latest'], /--snapshot takes a snapshot id \(digits\), got "latest"; list them with `bun run tables snapshots NS\.TABLE`/],
  ['query', ['SELECT 1', '--as-of', 'yesterday'], /--as-of "yesterday" is not a time.*write 2026-01-01T12:00:00Z, 2026-01-01 \(UTC\) or epoch milliseconds/],
  ['query', ['SELECT 1', '--snapshot', '1', '--as-of', '2026-01-01'], /give --snapshot or --as-of, not both/],
]

describe('wrong arguments', () => {
  for (const [script, args, message] of cases) {
    test.concurrent(`${script} ${args.join(' ')}`, async () => {
      const { code, stderr } = await run(script, args)
      expect({ code, stderr: stderr.trim() }).toMatchObject({ code: 2, stderr: expect.stringMatching(message) })
    }, 20_000)
  }

  test('SQL that does not parse exits 1 with an example of what to write', async () => {
    const { code, stderr } = await run('query', ['SELEC count(*) FROM learning.sensor_readings'])
    expect(code).toBe(1)
    expect(stderr).toMatch(/syntax error at or near "SELEC".*write one SELECT in DuckDB SQL, e\.g\. SELECT sensor_id, count\(\*\)/)
  }, 20_000)

  for (const script of ['topics', 'tables', 'produce', 'query']) {
    test.concurrent(`${script} --help exits 0 with usage and an example`, async () => {
      const { code, stdout } = await run(script, ['--help'])
      expect(code).toBe(0)
      expect(stdout).toMatch(new RegExp(`^Usage: bun run ${script}`))
      expect(stdout).toMatch(/Example/)
    }, 20_000)
  }
})
