/** A repo CLI (`bun run scripts/<script>`) on the embedded catalog under `dataDir`: no config file, no REST/S3 overrides from the caller's env. */
import { join } from 'node:path'

const ROOT = join(import.meta.dir, '..', '..')

export function embeddedCli(script: string, dataDir: string): (...args: string[]) => Promise<{ code: number; out: string; err: string }> {
  return async (...args) => {
    const proc = Bun.spawn(['bun', 'run', join(ROOT, 'scripts', script), ...args], {
      cwd: ROOT,
      env: { ...process.env, INGEST_DATA_DIR: dataDir, INGEST_CONFIG: '', ICEBERG_CATALOG_URI: '', S3_ENDPOINT: '', S3_ACCESS_KEY_ID: '', S3_REGION: '' },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    return { code, out, err }
  }
}
