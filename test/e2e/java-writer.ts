/**
 * Iceberg Java 1.10.1 as another engine in end-to-end tests: test/e2e/java/IcebergJavaWriter.java, run
 * with Java 17's single-file launch on the jars `bun run stack up` downloaded (scripts/stack/maven.ts),
 * as one long-lived JVM per test file that takes one JSON request per line.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { BunFile, Subprocess } from 'bun'
import { loadStackConfig } from '../../scripts/stack/config.ts'
import { serviceJars } from '../../scripts/stack/maven.ts'
import type { StackEnv } from './stack-env.ts'

const SOURCE = join(import.meta.dir, 'java', 'IcebergJavaWriter.java')

/** The catalog as IcebergJavaWriter opens it: JdbcCatalog on a SQLite file, or RESTCatalog with S3FileIO. */
export type JavaCatalog = { type: 'jdbc'; name: string; uri: string; warehouse: string } | ({ type: 'rest'; uri: string } & Record<string, string>)

/** Java's JdbcCatalog on the worker's embedded catalog: same SQLite file, catalog name = the worker's `catalog.name`. */
export function jdbcCatalog(sqlitePath: string, warehouse: string, name = 'default'): JavaCatalog {
  return { type: 'jdbc', name, uri: `jdbc:sqlite:${sqlitePath}`, warehouse }
}

/** Java's RESTCatalog on the stack's REST server, S3FileIO on its S3 (path-style, the stack's credentials). */
export function restCatalog(env: StackEnv): JavaCatalog {
  return {
    type: 'rest',
    uri: env.restUri,
    's3.endpoint': env.s3Endpoint,
    's3.path-style-access': 'true',
    's3.access-key-id': env.s3AccessKeyId,
    's3.secret-access-key': env.s3SecretAccessKey,
    'client.region': env.s3Region,
  }
}

export type JavaOp = { op: string } & Record<string, unknown>
export type JavaResult = { op: string } & Record<string, unknown>

/** `<fat jar>:<libs>/*`; throws naming what is missing and how to get it. */
export function javaWriterClassPath(): string {
  const jars = serviceJars(loadStackConfig())
  const libs = existsSync(jars.javaWriterLibs) ? readdirSync(jars.javaWriterLibs).filter((f) => f.endsWith('.jar')) : []
  if (!existsSync(jars.restCatalogJar) || libs.length === 0) {
    throw new Error(
      `the Iceberg Java writer's jars are missing (${jars.restCatalogJar}, ${jars.javaWriterLibs}/*.jar): ` +
        'they are downloaded by `bun run stack up` when it starts the services (a stack started before they were added: `bun run stack down && bun run stack up`)',
    )
  }
  return `${jars.restCatalogJar}:${jars.javaWriterLibs}/*`
}

export class JavaWriter {
  #process: Subprocess<'pipe', 'pipe', BunFile>
  #lines: AsyncIterator<string>
  #queue: Promise<unknown> = Promise.resolve()

  private constructor(process: Subprocess<'pipe', 'pipe', BunFile>, lines: AsyncIterator<string>) {
    this.#process = process
    this.#lines = lines
  }

  /** Starts the JVM (compiling the program, ~2 s) and waits for its ready line. `logFile` gets Iceberg's log (stderr). */
  static async start(env: StackEnv, logFile: string, timeoutMs = 60_000): Promise<JavaWriter> {
    const child = Bun.spawn(['java', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xmx512m', '-cp', javaWriterClassPath(), SOURCE, '--serve'], {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: Bun.file(logFile),
      env: {
        ...process.env,
        AWS_REGION: env.s3Region,
        // The AWS SDK's default CRC checksums on every request are not what S3Proxy accepts (as for the stack's REST server).
        AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
        AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
      },
    })
    const writer = new JavaWriter(child, lines(child.stdout))
    const ready = await writer.#next(timeoutMs, logFile)
    if (!(ready as { ready?: boolean }).ready) throw new Error(`IcebergJavaWriter did not start: ${JSON.stringify(ready)}; see ${logFile}`)
    return writer
  }

  /** Runs `ops` on `table` in one catalog session; throws with Java's stack trace when an op fails. */
  run(catalog: JavaCatalog, table: string, ops: JavaOp[], timeoutMs = 60_000): Promise<JavaResult[]> {
    const request = async () => {
      this.#process.stdin.write(`${JSON.stringify({ catalog, table, ops })}\n`)
      this.#process.stdin.flush()
      const answer = (await this.#next(timeoutMs)) as { results?: JavaResult[]; error?: string; stack?: string }
      if (answer.error !== undefined) throw new Error(`IcebergJavaWriter ${ops.map((o) => o.op).join(', ')} on ${table} failed: ${answer.error}\n${answer.stack ?? ''}`)
      return answer.results!
    }
    const result = this.#queue.then(request, request)
    this.#queue = result.catch(() => {})
    return result
  }

  async #next(timeoutMs: number, logFile?: string): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`IcebergJavaWriter gave no answer within ${timeoutMs} ms${logFile ? `; see ${logFile}` : ''}`)), timeoutMs)
    })
    try {
      const line = await Promise.race([this.#lines.next(), timeout])
      if (line.done) throw new Error(`IcebergJavaWriter exited (code ${await this.#process.exited})${logFile ? `; see ${logFile}` : ''}`)
      return JSON.parse(line.value)
    } finally {
      clearTimeout(timer)
    }
  }

  async close(): Promise<void> {
    this.#process.stdin.end()
    const exited = await Promise.race([this.#process.exited, Bun.sleep(5_000).then(() => undefined)])
    if (exited === undefined) {
      this.#process.kill(9)
      await this.#process.exited
    }
  }
}

/** The JSON lines of a stream; anything else a library prints to stdout is skipped. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true })
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      const line = buffered.slice(0, newline).trim()
      buffered = buffered.slice(newline + 1)
      if (line.startsWith('{')) yield line
    }
  }
}
