// `.stack/stack.env`: the endpoints end-to-end tests read (see test/e2e/stack-env.ts for the keys).
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import type { StackConfig, StackPorts } from './config.ts'
import { CCOMPAT_PATH } from './schema-registry.ts'
import { StackError } from './stack-error.ts'

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
    SCHEMA_REGISTRY_URL: `http://${host}:${ports.schemaRegistry}${CCOMPAT_PATH}`,
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

/** The `KEY=value` lines of a stack.env text (comments and blank lines skipped). */
export function parseStackEnv(text: string): Map<string, string> {
  const values = new Map<string, string>()
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (match) values.set(match[1]!, match[2]!)
  }
  return values
}

/** `KEY` → how its value looks, for the ports `status` probes (the Kafka controller port is not a client endpoint, so it is not in the file). */
const PORT_KEYS = {
  kafka: { key: 'KAFKA_BOOTSTRAP', pattern: /^[^:/\s]+:(\d+)$/, example: '127.0.0.1:39092' },
  s3: { key: 'S3_ENDPOINT', pattern: /^https?:\/\/[^:/\s]+:(\d+)\/?$/, example: 'http://127.0.0.1:39000' },
  rest: { key: 'ICEBERG_REST_URI', pattern: /^https?:\/\/[^:/\s]+:(\d+)\/?$/, example: 'http://127.0.0.1:39181' },
  schemaRegistry: { key: 'SCHEMA_REGISTRY_URL', pattern: /^https?:\/\/[^:/\s]+:(\d+)(?:\/[^\s]*)?$/, example: 'http://127.0.0.1:39281/apis/ccompat/v7' },
} as const

/**
 * The client ports `up` wrote to stack.env, so `status` probes the services that were started rather than
 * what today's STACK_*_PORT variables (or the defaults) would start.
 * @throws StackError `STACK_ENV` naming the file, the key and its value when one is missing or not an address with a port.
 */
export function stackEnvPorts(values: Map<string, string>, file: string): Pick<StackPorts, 'kafka' | 's3' | 'rest'> & Partial<Pick<StackPorts, 'schemaRegistry'>> {
  const port = (name: keyof typeof PORT_KEYS): number => {
    const { key, pattern, example } = PORT_KEYS[name]
    const value = values.get(key)
    if (value === undefined) throw new StackError('STACK_ENV', `${file} has no ${key}: run \`bun run stack down\` and \`bun run stack up\` to rewrite it`)
    const digits = pattern.exec(value)?.[1]
    if (digits === undefined || Number(digits) < 1 || Number(digits) > 65535) {
      throw new StackError('STACK_ENV', `${file}: ${key}=${value} is not an address with a port like ${example}; run \`bun run stack down\` and \`bun run stack up\` to rewrite it`)
    }
    return Number(digits)
  }
  // A stack.env from before the schema registry joined the stack has no SCHEMA_REGISTRY_URL: the configured port stands.
  return { kafka: port('kafka'), s3: port('s3'), rest: port('rest'), ...(values.has(PORT_KEYS.schemaRegistry.key) ? { schemaRegistry: port('schemaRegistry') } : {}) }
}

/**
 * `config` with the client ports of the running stack (from stack.env), or undefined when stack.env is missing,
 * i.e. the stack is not up. The controller port stays as configured: nothing probes it.
 * @throws StackError `STACK_ENV` when the file lacks a port or has a malformed one.
 */
export function runningStackConfig(config: StackConfig): StackConfig | undefined {
  const file = config.paths.envFile
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    // Missing is the normal "not up" answer (`down` removes the file); any other read failure is reported.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return { ...config, ports: { ...config.ports, ...stackEnvPorts(parseStackEnv(text), file) } }
}
