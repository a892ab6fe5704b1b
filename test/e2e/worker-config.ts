/** A worker config for end-to-end tests: the stack's REST catalog and S3 server, a fresh data dir. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stackEnv } from './stack-env.ts'

export function stackWorkerConfig(overrides: Record<string, unknown> & { tables: unknown[] }): Record<string, unknown> {
  const env = stackEnv()
  return {
    // Only when the test brings none: a temp dir made and then overridden would be left behind.
    dataDir: overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'ingest-e2e-')),
    http: { enabled: false },
    catalog: { type: 'rest', uri: env.restUri },
    storage: {
      type: 's3',
      endpoint: env.s3Endpoint,
      region: env.s3Region,
      accessKeyId: env.s3AccessKeyId,
      secretAccessKey: env.s3SecretAccessKey,
    },
    kafka: { brokers: [env.kafkaBootstrap] },
    ...overrides,
  }
}
