// What `up`, `down` and `status` need to know about one long-running service of the stack.
import type { ServicePort } from './ports.ts'

export type ServiceName = 'kafka' | 's3' | 'rest-catalog' | 'schema-registry'

export interface Service {
  name: ServiceName
  /** Human title with version, e.g. `Kafka 4.1.2 (KRaft)`. */
  title: string
  /** What clients use, e.g. `127.0.0.1:39092` or `http://127.0.0.1:39000`. */
  address: string
  ports: ServicePort[]
  logFile: string
  pidFile: string
  /**
   * A string that appears in the process's command line (`-Dstack.service=<name>@<.stack dir>`),
   * so a pid from the pid file is only ever signalled while it is still our process.
   */
  marker: string
  /** Writes config files and one-time state (storage format, compiled launcher); runs after downloads. */
  prepare(signal: AbortSignal): Promise<void>
  /** The command line and environment that run the service in the foreground. */
  command(): { argv: string[]; env: Record<string, string>; cwd: string }
  /** Resolves undefined when the service answers like itself, else the reason it does not (yet). */
  probe(signal: AbortSignal): Promise<string | undefined>
}

/** `-Dstack.service=...` system property identifying a stack JVM (see {@link Service.marker}). */
export function markerFor(name: ServiceName, stackRoot: string): string {
  return `-Dstack.service=${name}@${stackRoot}`
}

/** Environment for a service JVM: only what Java needs from ours, so stray AWS_* or JAVA_TOOL_OPTIONS cannot leak in. */
export function baseJavaEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const key of ['PATH', 'HOME', 'LANG', 'JAVA_HOME', 'TMPDIR']) {
    const value = process.env[key]
    if (value !== undefined) env[key] = value
  }
  return env
}
