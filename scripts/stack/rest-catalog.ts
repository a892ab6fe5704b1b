// Iceberg's REST test catalog: JDBC (SQLite file) catalog behind the REST API, table files through S3FileIO on the stack's S3.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { VERSIONS, type StackConfig } from './config.ts'
import { serviceJars } from './maven.ts'
import { canConnect } from './ports.ts'
import { baseJavaEnv, markerFor, type Service } from './service.ts'
import { StackError } from './stack-error.ts'
import { JVM_FLAGS, requireTool, runLogged } from './tools.ts'

const LAUNCHER_SOURCE = join(import.meta.dir, 'java', 'LoopbackRESTCatalogServer.java')
const LAUNCHER_CLASS = 'org.apache.iceberg.rest.LoopbackRESTCatalogServer'

/** The REST catalog. Its SQLite file (`.stack/rest-catalog/catalog.db`) persists across `down`/`up`, like the bucket. */
export function restCatalogService(config: StackConfig): Service {
  const dir = config.paths.restCatalog
  const classesDir = join(dir, 'classes')
  const { host } = config
  const port = config.ports.rest
  const marker = markerFor('rest-catalog', config.root)
  const jar = serviceJars(config).restCatalogJar

  return {
    name: 'rest-catalog',
    title: `Iceberg REST catalog ${VERSIONS.iceberg} (JDBC/SQLite, S3FileIO)`,
    address: `http://${host}:${port}`,
    ports: [{ label: 'iceberg rest', port, envKey: 'STACK_REST_PORT' }],
    logFile: join(config.paths.logs, 'rest-catalog.log'),
    pidFile: join(config.paths.run, 'rest-catalog.pid'),
    marker,

    async prepare(signal) {
      mkdirSync(dir, { recursive: true })
      // RESTCatalogServer listens on every interface; our launcher (same wiring) binds one host.
      // Compiled once per launcher source + jar version.
      const stampFile = join(classesDir, '.stamp')
      const wanted = `${VERSIONS.iceberg}\n${new Bun.CryptoHasher('sha256').update(readFileSync(LAUNCHER_SOURCE)).digest('hex')}\n`
      if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === wanted) return
      const javac = requireTool('javac', 'install a JDK 17+ (not only a JRE): the REST catalog launcher is compiled on first use')
      rmSync(classesDir, { recursive: true, force: true })
      mkdirSync(classesDir, { recursive: true })
      const logFile = join(config.paths.logs, 'rest-catalog-javac.log')
      const compiled = await runLogged([javac, '-nowarn', '-cp', jar, '-d', classesDir, LAUNCHER_SOURCE], { cwd: dir, logFile, signal })
      if (compiled.exitCode !== 0) {
        throw new StackError('STACK_PREPARE', `rest-catalog: compiling ${LAUNCHER_SOURCE} against ${jar} failed; read ${logFile}`, {
          service: 'rest-catalog',
          logFile,
        })
      }
      writeFileSync(stampFile, wanted)
    },

    command() {
      const s3Endpoint = `http://${host}:${config.ports.s3}`
      return {
        argv: ['java', ...JVM_FLAGS, '-Xms64m', '-Xmx384m', marker, '-cp', `${classesDir}:${jar}`, LAUNCHER_CLASS],
        env: {
          ...baseJavaEnv(),
          // CATALOG_* become catalog properties: `__` -> `-`, `_` -> `.`, lower-cased.
          CATALOG_REST_HOST: host,
          CATALOG_REST_PORT: String(port),
          CATALOG_CATALOG__IMPL: 'org.apache.iceberg.jdbc.JdbcCatalog',
          CATALOG_URI: `jdbc:sqlite:${join(dir, 'catalog.db')}`,
          // V1 adds the view columns; what RESTCatalogServer sets by default.
          CATALOG_JDBC_SCHEMA__VERSION: 'V1',
          // One pooled connection: with two, concurrent commits on the SQLite file fail with
          // SQLITE_BUSY and the catalog answers 500 (commit state unknown) instead of serialising.
          CATALOG_CLIENTS: '1',
          CATALOG_WAREHOUSE: config.warehouse,
          CATALOG_IO__IMPL: 'org.apache.iceberg.aws.s3.S3FileIO',
          CATALOG_S3_ENDPOINT: s3Endpoint,
          CATALOG_S3_PATH__STYLE__ACCESS: 'true',
          CATALOG_S3_ACCESS__KEY__ID: config.s3.accessKeyId,
          CATALOG_S3_SECRET__ACCESS__KEY: config.s3.secretAccessKey,
          CATALOG_CLIENT_REGION: config.s3.region,
          AWS_REGION: config.s3.region,
          // AWS SDK 2.30+ adds CRC checksums to every request by default; send them only when an API requires it.
          AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
          AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
        },
        cwd: dir,
      }
    },

    async probe(signal) {
      if (!(await canConnect(host, port))) return `nothing accepts connections on ${host}:${port} yet`
      try {
        const response = await fetch(`http://${host}:${port}/v1/config`, { signal })
        if (response.status !== 200) return `GET /v1/config answered ${response.status}`
        const body = (await response.json()) as { defaults?: unknown }
        return typeof body.defaults === 'object' ? undefined : 'GET /v1/config returned no `defaults` object'
      } catch (error) {
        return `GET /v1/config failed: ${(error as Error).message}`
      }
    },
  }
}
