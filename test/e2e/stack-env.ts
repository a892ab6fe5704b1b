/**
 * The endpoints and credentials of the running test stack, as `bun run stack up` wrote them.
 * End-to-end tests call `stackEnv()`; without a running stack they fail with how to start one.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface StackEnv {
  /** `127.0.0.1:port` of the Kafka broker (KRaft, single node). */
  kafkaBootstrap: string
  /** `http://127.0.0.1:port` of the SigV4-checking S3 server. */
  s3Endpoint: string
  s3Region: string
  s3AccessKeyId: string
  s3SecretAccessKey: string
  /** Bucket that holds the REST catalog's warehouse; tests may create their own prefixes in it. */
  s3Bucket: string
  /** `http://127.0.0.1:port` of the Iceberg REST catalog (no trailing slash). */
  restUri: string
  /** `s3://bucket/prefix` the REST catalog uses as warehouse. */
  warehouse: string
  /** Python interpreter of the venv with pyiceberg, pyarrow and fastavro installed. */
  python: string
  /**
   * The schema registry's Confluent-compatible API (`http://127.0.0.1:port/apis/ccompat/v7`). Missing from a
   * stack.env written before the registry joined the stack: tests that need it call schemaRegistryUrl().
   */
  schemaRegistryUrl?: string
}

export const STACK_ENV_FILE = join(import.meta.dir, '..', '..', '.stack', 'stack.env')

const KEYS: Record<Exclude<keyof StackEnv, 'schemaRegistryUrl'>, string> = {
  kafkaBootstrap: 'KAFKA_BOOTSTRAP',
  s3Endpoint: 'S3_ENDPOINT',
  s3Region: 'S3_REGION',
  s3AccessKeyId: 'S3_ACCESS_KEY_ID',
  s3SecretAccessKey: 'S3_SECRET_ACCESS_KEY',
  s3Bucket: 'S3_BUCKET',
  restUri: 'ICEBERG_REST_URI',
  warehouse: 'ICEBERG_WAREHOUSE',
  python: 'STACK_PYTHON',
}

export function stackEnv(): StackEnv {
  if (!existsSync(STACK_ENV_FILE)) {
    throw new Error(
      `the test stack is not running (${STACK_ENV_FILE} is missing): start it with \`bun run stack up\`, ` +
        'or run the whole suite with `bun run test:all`, which starts and stops it',
    )
  }
  const values = new Map<string, string>()
  for (const line of readFileSync(STACK_ENV_FILE, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (match) values.set(match[1]!, match[2]!)
  }
  const env = {} as StackEnv
  for (const [field, key] of Object.entries(KEYS) as [Exclude<keyof StackEnv, 'schemaRegistryUrl'>, string][]) {
    const value = values.get(key)
    if (value === undefined) throw new Error(`${STACK_ENV_FILE} has no ${key}: run \`bun run stack up\` again`)
    env[field] = value
  }
  const registry = values.get('SCHEMA_REGISTRY_URL')
  if (registry !== undefined) env.schemaRegistryUrl = registry
  return env
}

/**
 * The stack's schema registry URL. STACK_SCHEMA_REGISTRY_URL points the tests at another registry with
 * the same API (one started by hand, while a stack from before the registry keeps running).
 */
export function schemaRegistryUrl(): string {
  const url = process.env.STACK_SCHEMA_REGISTRY_URL ?? stackEnv().schemaRegistryUrl
  if (url === undefined) throw new Error(`${STACK_ENV_FILE} has no SCHEMA_REGISTRY_URL (written before the stack had a schema registry): run \`bun run stack up\` again`)
  return url
}
