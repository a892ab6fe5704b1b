// Downloads the service jars from Maven Central with one `mvn` run (Maven's ~/.m2 cache, then copies under .stack/).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { VERSIONS, type StackConfig } from './config.ts'
import { StackError } from './stack-error.ts'
import { requireTool, runLogged } from './tools.ts'

export interface ServiceJars {
  /** Folder holding kafka_2.13 with all its runtime dependencies plus an slf4j backend. */
  kafkaLibs: string
  s3proxyJar: string
  /** iceberg-open-api-<v>.jar: the shaded REST test server (Main-Class RESTCatalogServer). */
  restCatalogJar: string
  /**
   * What the test's Iceberg Java writer (test/e2e/java/IcebergJavaWriter.java) needs beyond the REST
   * server's fat jar, which already holds iceberg-core, JdbcCatalog + sqlite-jdbc, RESTCatalog,
   * S3FileIO and hadoop-common, but not iceberg-data, iceberg-parquet or Parquet itself. Its class
   * path is `<restCatalogJar>:<javaWriterLibs>/*`.
   */
  javaWriterLibs: string
}

/**
 * The Java writer's extra jars, each without its dependencies (the fat jar has them). Versions are the
 * ones Iceberg 1.10.1 (VERSIONS.iceberg) was built with: Parquet 1.16.0 (iceberg-parquet's pom), Hadoop 3.4.1
 * (the fat jar's hadoop-common; Parquet's reader needs its mapreduce classes), and Parquet's own codecs.
 */
const JAVA_WRITER_ARTIFACTS = [
  ['org.apache.iceberg', 'iceberg-data', VERSIONS.iceberg],
  ['org.apache.iceberg', 'iceberg-parquet', VERSIONS.iceberg],
  ...['parquet-avro', 'parquet-column', 'parquet-common', 'parquet-encoding', 'parquet-format-structures', 'parquet-hadoop', 'parquet-jackson', 'parquet-variant'].map(
    (artifact) => ['org.apache.parquet', artifact, '1.16.0'] as const,
  ),
  ['org.apache.hadoop', 'hadoop-mapreduce-client-core', '3.4.1'],
  ['org.locationtech.jts', 'jts-core', '1.20.0'],
  ['org.xerial.snappy', 'snappy-java', '1.1.10.7'],
  ['com.github.luben', 'zstd-jni', '1.5.7-3'],
  ['commons-pool', 'commons-pool', '1.6'],
] as const

const ARTIFACTS = [
  `org.apache.kafka:kafka_2.13:${VERSIONS.kafka}`,
  `org.slf4j:slf4j-simple:${VERSIONS.slf4jSimple}`,
  `org.gaul:s3proxy:${VERSIONS.s3proxy}:jar-with-dependencies`,
  `org.apache.iceberg:iceberg-open-api:${VERSIONS.iceberg}`,
  ...JAVA_WRITER_ARTIFACTS.map(([group, artifact, version]) => `${group}:${artifact}:${version}`),
]

/** Where the jars live once downloaded. */
export function serviceJars(config: StackConfig): ServiceJars {
  return {
    kafkaLibs: join(config.paths.kafka, 'libs'),
    s3proxyJar: join(config.paths.s3proxy, `s3proxy-${VERSIONS.s3proxy}-jar-with-dependencies.jar`),
    restCatalogJar: join(config.paths.restCatalog, `iceberg-open-api-${VERSIONS.iceberg}.jar`),
    javaWriterLibs: join(config.root, 'java-writer', 'libs'),
  }
}

/** True when a previous run downloaded exactly these versions (so `up` can skip Maven entirely). */
export function serviceJarsPresent(config: StackConfig): boolean {
  const jars = serviceJars(config)
  const stampFile = join(config.paths.maven, 'downloaded')
  return (
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === stamp() &&
    existsSync(jars.s3proxyJar) &&
    existsSync(jars.restCatalogJar) &&
    existsSync(join(jars.kafkaLibs, `kafka_2.13-${VERSIONS.kafka}.jar`)) &&
    JAVA_WRITER_ARTIFACTS.every(([, artifact, version]) => existsSync(join(jars.javaWriterLibs, `${artifact}-${version}.jar`)))
  )
}

/**
 * Resolves every artifact through Maven (so ~/.m2/settings.xml mirrors and proxies apply) and copies
 * them under `.stack/`. The stamp is written last, so an interrupted download is redone next time.
 * @throws StackError `STACK_TOOL_MISSING` without mvn; `STACK_DOWNLOAD` naming the artifact Maven could not fetch.
 */
export async function downloadServiceJars(config: StackConfig, signal: AbortSignal): Promise<void> {
  const mvn = requireTool('mvn', 'install Maven 3.6+ (Debian: apt-get install maven); it downloads the service jars from Maven Central')
  const jars = serviceJars(config)
  mkdirSync(config.paths.maven, { recursive: true })
  rmSync(join(config.paths.maven, 'downloaded'), { force: true })
  // Old versions would end up on Kafka's classpath next to the new ones.
  rmSync(jars.kafkaLibs, { recursive: true, force: true })
  rmSync(jars.javaWriterLibs, { recursive: true, force: true })
  writeFileSync(join(config.paths.maven, 'pom.xml'), pom(config, jars))
  const logFile = join(config.paths.logs, 'maven.log')
  const run = await runLogged(
    [mvn, '-B', '--no-transfer-progress', '-f', join(config.paths.maven, 'pom.xml'), 'dependency:copy-dependencies@kafka-libs', 'dependency:copy@server-jars', 'dependency:copy@java-writer-libs'],
    { cwd: config.paths.maven, logFile, signal },
  )
  if (signal.aborted) throw new StackError('STACK_INTERRUPTED', 'download interrupted', { logFile })
  if (run.exitCode !== 0) {
    const named = /(?:Could not (?:find|transfer|resolve) artifact|Failure to find|Could not resolve dependencies for project \S+: [^:]*?) ([\w.-]+:[\w.-]+(?::[\w.-]+)+)/.exec(run.output)
    const what = named ? named[1] : `one of ${ARTIFACTS.join(', ')}`
    throw new StackError(
      'STACK_DOWNLOAD',
      `maven could not download ${what} (mvn exited ${run.exitCode}). Check access to Maven Central ` +
        `(network, or mirrors/proxies in ~/.m2/settings.xml); full output in ${logFile}`,
      { logFile },
    )
  }
  writeFileSync(join(config.paths.maven, 'downloaded'), stamp())
}

function stamp(): string {
  return `${ARTIFACTS.join('\n')}\n`
}

/** A pom whose only job is to drive maven-dependency-plugin: Kafka's classpath, two fat jars copied as-is, the Java writer's extra jars. */
function pom(config: StackConfig, jars: ServiceJars): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/stack/maven.ts; rewritten on every download. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.iceberg-ingest</groupId>
  <artifactId>stack-downloads</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${VERSIONS.kafka}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>${VERSIONS.slf4jSimple}</version></dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>${VERSIONS.mavenDependencyPlugin}</version>
        <executions>
          <execution>
            <id>kafka-libs</id>
            <configuration>
              <outputDirectory>${jars.kafkaLibs}</outputDirectory>
              <includeScope>runtime</includeScope>
            </configuration>
          </execution>
          <execution>
            <id>server-jars</id>
            <configuration>
              <artifactItems>
                <artifactItem>
                  <groupId>org.gaul</groupId><artifactId>s3proxy</artifactId><version>${VERSIONS.s3proxy}</version>
                  <classifier>jar-with-dependencies</classifier>
                  <outputDirectory>${config.paths.s3proxy}</outputDirectory>
                </artifactItem>
                <artifactItem>
                  <groupId>org.apache.iceberg</groupId><artifactId>iceberg-open-api</artifactId><version>${VERSIONS.iceberg}</version>
                  <outputDirectory>${config.paths.restCatalog}</outputDirectory>
                </artifactItem>
              </artifactItems>
            </configuration>
          </execution>
          <execution>
            <id>java-writer-libs</id>
            <configuration>
              <outputDirectory>${jars.javaWriterLibs}</outputDirectory>
              <artifactItems>
${JAVA_WRITER_ARTIFACTS.map(([group, artifact, version]) => `                <artifactItem><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></artifactItem>`).join('\n')}
              </artifactItems>
            </configuration>
          </execution>
        </executions>
      </plugin>
    </plugins>
  </build>
</project>
`
}
