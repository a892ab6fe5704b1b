// Service processes: launch detached with a pid file and a log file, recognise them again later, stop their process group.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Subprocess } from 'bun'

export interface LaunchSpec {
  argv: string[]
  env: Record<string, string>
  cwd: string
  logFile: string
  pidFile: string
}

/**
 * Starts `argv` in its own session (so it outlives `stack up` and its whole group can be signalled),
 * stdout and stderr appended to `logFile`, and records its pid. The log is truncated first so that
 * it holds only this run.
 */
export function launchDetached(spec: LaunchSpec): Subprocess {
  mkdirSync(dirname(spec.logFile), { recursive: true })
  mkdirSync(dirname(spec.pidFile), { recursive: true })
  const fd = openSync(spec.logFile, 'w')
  try {
    const proc = Bun.spawn(spec.argv, {
      cwd: spec.cwd,
      env: spec.env,
      stdin: 'ignore',
      stdout: fd,
      stderr: fd,
      detached: true,
    })
    proc.unref()
    writeFileSync(spec.pidFile, `${proc.pid}\n`)
    return proc
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd)
  }
}

export function readPidFile(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  return Number.isInteger(pid) && pid > 1 ? pid : undefined
}

export function removePidFile(pidFile: string): void {
  rmSync(pidFile, { force: true })
}

/**
 * True when `pid` is alive, not a zombie, and its command line contains `marker`. The marker check
 * keeps `down` from signalling an unrelated process that reused a stale pid.
 */
export function isOurProcess(pid: number, marker: string): boolean {
  const commandLine = readCommandLine(pid)
  return commandLine !== undefined && commandLine.includes(marker)
}

function readCommandLine(pid: number): string | undefined {
  try {
    process.kill(pid, 0)
  } catch {
    return undefined
  }
  const procDir = `/proc/${pid}`
  if (existsSync(procDir)) {
    try {
      // Field 3 of stat is the state; a zombie has exited and only waits to be reaped.
      const stat = readFileSync(`${procDir}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined
      return readFileSync(`${procDir}/cmdline`, 'utf8').replaceAll('\0', ' ')
    } catch {
      return undefined
    }
  }
  // No procfs (macOS): ask ps.
  const ps = Bun.spawnSync(['ps', '-o', 'stat=,command=', '-p', String(pid)], { stdout: 'pipe', stderr: 'ignore' })
  const line = ps.stdout.toString().trim()
  if (ps.exitCode !== 0 || line === '' || line.startsWith('Z')) return undefined
  return line
}

export type StopOutcome = 'not-running' | 'stopped' | 'killed'

/**
 * Sends SIGTERM to the process group led by `pid`, waits up to `graceMs` for the leader to exit,
 * then SIGKILLs the group. Does nothing when `pid` is not ours (see {@link isOurProcess}).
 */
export async function stopProcessGroup(pid: number, marker: string, graceMs: number): Promise<StopOutcome> {
  if (!isOurProcess(pid, marker)) return 'not-running'
  signalGroup(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    await Bun.sleep(100)
    if (!isOurProcess(pid, marker)) return 'stopped'
  }
  signalGroup(pid, 'SIGKILL')
  for (let i = 0; i < 50 && isOurProcess(pid, marker); i++) await Bun.sleep(100)
  return 'killed'
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // Not a group leader after all (should not happen for launchDetached): signal the process itself.
    try {
      process.kill(pid, signal)
    } catch {
      // Already gone.
    }
  }
}

/** The last `lines` lines of a log file, for error messages; empty when the file is missing. */
export function tailOfLog(logFile: string, lines = 15): string {
  if (!existsSync(logFile)) return ''
  const text = readFileSync(logFile, 'utf8').trimEnd()
  return text.split('\n').slice(-lines).join('\n')
}
