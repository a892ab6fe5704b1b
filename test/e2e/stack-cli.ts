/** The repo's CLIs (`bun run scripts/<script>`) as a user runs them against the stack: the worker's environment overrides, no config file. */
import { join } from 'node:path'
import { stackEnv } from './stack-env.ts'

const ROOT = join(import.meta.dir, '..', '..')

/** Runs `scripts/<script> ...args` with the stack as the configured catalog and `dataDir` as INGEST_DATA_DIR; its exit code and output. */
export async function runStackCli(script: string, args: string[], dataDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = stackEnv()
  const proc = Bun.spawn(['bun', 'run', join(ROOT, 'scripts', script), ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      ICEBERG_CATALOG_URI: env.restUri,
      S3_ENDPOINT: env.s3Endpoint,
      S3_REGION: env.s3Region,
      S3_ACCESS_KEY_ID: env.s3AccessKeyId,
      S3_SECRET_ACCESS_KEY: env.s3SecretAccessKey,
      INGEST_DATA_DIR: dataDir,
      INGEST_CONFIG: '',
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, stdout, stderr }
}
