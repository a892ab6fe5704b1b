/**
 * Runs Python scripts with the stack's venv (PyIceberg, pyarrow, fastavro) as an independent reader of what we write.
 * Scripts print one JSON document on stdout; see test/e2e/py/stack_catalog.py for loading the REST catalog.
 */
import { isAbsolute, join } from 'node:path'
import { stackEnv } from './stack-env.ts'

/** Folder of the shared Python helpers (`stack_catalog.py`) and the scripts tests run. */
export const PY_DIR = join(import.meta.dir, 'py')

/**
 * Runs `script` (a file name under test/e2e/py/, or an absolute path) with the stack's python and
 * `args`, and returns its stdout parsed as JSON. The script's environment carries the stack's
 * endpoints (ICEBERG_REST_URI, S3_ENDPOINT, S3_ACCESS_KEY_ID, ...) and PYTHONPATH includes PY_DIR.
 * Throws when the stack is not up, when the script exits non-zero (message has its stderr), or when
 * stdout is not JSON.
 */
export async function runPython(script: string, args: string[]): Promise<unknown> {
  const env = stackEnv()
  const path = isAbsolute(script) ? script : join(PY_DIR, script)
  const proc = Bun.spawn([env.python, path, ...args], {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      ...process.env,
      PYTHONPATH: [PY_DIR, process.env.PYTHONPATH].filter(Boolean).join(':'),
      KAFKA_BOOTSTRAP: env.kafkaBootstrap,
      S3_ENDPOINT: env.s3Endpoint,
      S3_REGION: env.s3Region,
      S3_ACCESS_KEY_ID: env.s3AccessKeyId,
      S3_SECRET_ACCESS_KEY: env.s3SecretAccessKey,
      S3_BUCKET: env.s3Bucket,
      ICEBERG_REST_URI: env.restUri,
      ICEBERG_WAREHOUSE: env.warehouse,
    },
  })
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  const command = `${path} ${args.join(' ')}`.trim()
  if (exitCode !== 0) {
    throw new Error(`python ${command} exited with ${exitCode}:\n${stderr.trim() || stdout.trim()}`)
  }
  try {
    return JSON.parse(stdout) as unknown
  } catch (error) {
    throw new Error(`python ${command} printed no JSON document on stdout (${(error as Error).message}):\n${stdout.slice(0, 2000)}\nstderr:\n${stderr.slice(-2000)}`)
  }
}

/** PyIceberg's table_report.py for a table of the embedded catalog under `dataDir` (its SqlCatalog on the same SQLite file). */
export async function embeddedTableReport(dataDir: string, table: string): Promise<{ count: number; rows?: Record<string, unknown>[] }> {
  const catalog = { type: 'sql', uri: `sqlite:///${join(dataDir, 'catalog.db')}`, name: 'default', warehouse: `file://${join(dataDir, 'warehouse')}` }
  return (await runPython('table_report.py', [JSON.stringify({ table, catalog, rows: true })])) as { count: number; rows?: Record<string, unknown>[] }
}

/** PyIceberg's table_report.py for a table of the stack's REST catalog: its row count and every row. */
export async function restTableReport(table: string): Promise<{ count: number; rows: Record<string, unknown>[] }> {
  return (await runPython('table_report.py', [JSON.stringify({ table, catalog: { type: 'rest' }, rows: true })])) as { count: number; rows: Record<string, unknown>[] }
}
