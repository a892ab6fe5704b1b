// `.stack/stack.env`: the endpoints end-to-end tests read (see test/e2e/stack-env.ts for the keys).
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import type { StackConfig } from './config.ts'

/** Writes exactly the keys test/e2e/stack-env.ts reads; via rename, so a reader never sees half a file. */
export function writeStackEnv(config: StackConfig, python: string): void {
  const { host, ports, s3 } = config
  const values: Record<string, string> = {
    KAFKA_BOOTSTRAP: `${host}:${ports.kafka}`,
    S3_ENDPOINT: `http://${host}:${ports.s3}`,
    S3_REGION: s3.region,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_BUCKET: s3.bucket,
    ICEBERG_REST_URI: `http://${host}:${ports.rest}`,
    ICEBERG_WAREHOUSE: config.warehouse,
    STACK_PYTHON: python,
  }
  const text = `# Written by \`bun run stack up\`; removed by \`bun run stack down\`.\n${Object.entries(values)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`
  const temporary = `${config.paths.envFile}.tmp`
  writeFileSync(temporary, text)
  renameSync(temporary, config.paths.envFile)
}

export function removeStackEnv(config: StackConfig): void {
  rmSync(config.paths.envFile, { force: true })
}
