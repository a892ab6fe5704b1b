// The test stack's fixed facts: versions, ports, credentials and where everything lives under `.stack/`.
import { join, resolve } from 'node:path'
import { StackError } from './stack-error.ts'

/** Versions of everything the stack downloads; bump here and `up` fetches the new artifacts. */
export const VERSIONS = {
  /** Within @platformatic/kafka 2.x's tested range (Apache Kafka 3.5.0 - 4.2.0). */
  kafka: '4.1.2',
  /** Binding for Kafka's slf4j 1.7 API (Kafka's Maven pom ships no backend). */
  slf4jSimple: '1.7.36',
  /** 4.x dropped jclouds: `filesystem` is the nio2 store that 3.x called `filesystem-nio2`. */
  s3proxy: '4.1.0',
  /**
   * The REST test server fat jar. The build names it iceberg-open-api-test-fixtures-runtime, but it is
   * published as the main artifact of org.apache.iceberg:iceberg-open-api (only 1.8.0 - 1.10.1).
   */
  iceberg: '1.10.1',
  mavenDependencyPlugin: '3.8.1',
  pyiceberg: '0.12.0',
  pyarrow: '26.0.1',
  fastavro: '1.13.1',
  /**
   * The schema registry (Confluent-compatible API under /apis/ccompat/v7), built with Quarkus once by `up`
   * (schema-registry.ts). The newest version whose dependencies resolve from Maven Central, with two gaps
   * filled there: 2.5.11, 2.6.13 and 3.3.3 need an apicurio-registry-schema-util-provider Central does not
   * serve, and 3.0.9's parent pom is not served.
   */
  apicurioRegistry: '2.4.2.Final',
  /** The Quarkus version Apicurio Registry 2.4.2.Final was built with (its parent pom). */
  apicurioQuarkus: '2.16.4.Final',
} as const

export interface StackPorts {
  kafka: number
  kafkaController: number
  s3: number
  rest: number
  schemaRegistry: number
}

export interface StackConfig {
  /** Repository root (the folder holding package.json). */
  repoRoot: string
  /** `<repo>/.stack`: downloads, service data, logs, pid files, stack.env (git-ignored). */
  root: string
  host: '127.0.0.1'
  ports: StackPorts
  /** Seconds each service may take to answer after its process starts. */
  readyTimeoutSeconds: number
  s3: { accessKeyId: string; secretAccessKey: string; region: string; bucket: string }
  /** Where the REST catalog puts tables (`s3://warehouse`, no trailing slash); namespaces become prefixes in the bucket. */
  warehouse: string
  paths: {
    logs: string
    run: string
    envFile: string
    maven: string
    kafka: string
    s3proxy: string
    restCatalog: string
    schemaRegistry: string
    venv: string
  }
}

const REPO_ROOT = resolve(import.meta.dir, '..', '..')

/**
 * Reads the port overrides (STACK_KAFKA_PORT, STACK_KAFKA_CONTROLLER_PORT, STACK_S3_PORT,
 * STACK_REST_PORT, STACK_SCHEMA_REGISTRY_PORT) and STACK_READY_TIMEOUT_S from `env`.
 * @throws StackError `STACK_CONFIG` when an override is not a port number or two ports collide.
 */
export function loadStackConfig(env: Record<string, string | undefined> = process.env): StackConfig {
  const root = join(REPO_ROOT, '.stack')
  const ports: StackPorts = {
    kafka: portFrom(env, 'STACK_KAFKA_PORT', 39092),
    kafkaController: portFrom(env, 'STACK_KAFKA_CONTROLLER_PORT', 39093),
    s3: portFrom(env, 'STACK_S3_PORT', 39000),
    rest: portFrom(env, 'STACK_REST_PORT', 39181),
    schemaRegistry: portFrom(env, 'STACK_SCHEMA_REGISTRY_PORT', 39281),
  }
  const seen = new Map<number, string>()
  for (const [name, port] of Object.entries(ports)) {
    const other = seen.get(port)
    if (other) throw new StackError('STACK_CONFIG', `ports for ${other} and ${name} are both ${port}: give them different STACK_*_PORT values`)
    seen.set(port, name)
  }
  const timeout = Number(env.STACK_READY_TIMEOUT_S ?? '120')
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new StackError('STACK_CONFIG', `STACK_READY_TIMEOUT_S=${env.STACK_READY_TIMEOUT_S} is not a positive number of seconds`)
  }
  const bucket = 'warehouse'
  return {
    repoRoot: REPO_ROOT,
    root,
    host: '127.0.0.1',
    ports,
    readyTimeoutSeconds: timeout,
    // Fixed, test-only credentials: the services listen on loopback only.
    s3: { accessKeyId: 'stack-access-key', secretAccessKey: 'stack-secret-key-local-only', region: 'us-east-1', bucket },
    warehouse: `s3://${bucket}`,
    paths: {
      logs: join(root, 'logs'),
      run: join(root, 'run'),
      envFile: join(root, 'stack.env'),
      maven: join(root, 'maven'),
      kafka: join(root, 'kafka'),
      s3proxy: join(root, 's3proxy'),
      restCatalog: join(root, 'rest-catalog'),
      schemaRegistry: join(root, 'schema-registry'),
      venv: join(root, 'venv'),
    },
  }
}

function portFrom(env: Record<string, string | undefined>, key: string, fallback: number): number {
  const raw = env[key]
  if (raw === undefined || raw === '') return fallback
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new StackError('STACK_CONFIG', `${key}=${raw} is not a usable port: use an integer between 1024 and 65535`)
  }
  return port
}
