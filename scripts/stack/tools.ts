// External programs the stack needs (java, javac, mvn, python3) and running them with output captured in a log file.
import { mkdirSync, openSync, closeSync } from 'node:fs'
import { dirname } from 'node:path'
import { StackError } from './stack-error.ts'

/**
 * JVM flags for every service: the box has 2 cores, so start-up time matters more than peak speed.
 * Serial GC and C1-only compilation start fastest; CDS (-Xshare:auto) reuses the JDK's class archive;
 * no perf-data file in /tmp; IPv4 so listeners show up as 127.0.0.1.
 */
export const JVM_FLAGS = [
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Xshare:auto',
  '-XX:-UsePerfData',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
  '-Djava.net.preferIPv4Stack=true',
] as const

/**
 * Absolute path of `command` on PATH.
 * @throws StackError `STACK_TOOL_MISSING` naming the program and how to get it.
 */
export function requireTool(command: string, hint: string): string {
  const found = Bun.which(command)
  if (!found) throw new StackError('STACK_TOOL_MISSING', `\`${command}\` is not on PATH: ${hint}`)
  return found
}

/** Major version of the `java` on PATH (17 for "17.0.15"). */
export function javaMajorVersion(java: string): number {
  const run = Bun.spawnSync([java, '-version'], { stdout: 'pipe', stderr: 'pipe' })
  const text = run.stderr.toString() + run.stdout.toString()
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text)
  if (!match) return 0
  // Java 8 and older report "1.8.0_x".
  return match[1] === '1' ? Number(match[2]) : Number(match[1])
}

export interface LoggedRun {
  exitCode: number
  /** Everything the program printed (also in the log file). */
  output: string
}

/**
 * Runs `argv` to completion with stdout+stderr written to `logFile`; killed when `signal` aborts.
 * Never throws for a non-zero exit: the caller names what failed.
 */
export async function runLogged(argv: string[], options: { cwd: string; logFile: string; env?: Record<string, string>; signal?: AbortSignal }): Promise<LoggedRun> {
  mkdirSync(dirname(options.logFile), { recursive: true })
  const fd = openSync(options.logFile, 'w')
  try {
    const proc = Bun.spawn(argv, {
      cwd: options.cwd,
      env: options.env ?? (process.env as Record<string, string>),
      stdin: 'ignore',
      stdout: fd,
      stderr: fd,
      signal: options.signal,
    })
    const exitCode = await proc.exited
    return { exitCode, output: await Bun.file(options.logFile).text() }
  } finally {
    closeSync(fd)
  }
}
