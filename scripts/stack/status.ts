// `stack status`: one line per service (up with pid and address, or down), plus the venv and stack.env.
import { relative } from 'node:path'
import type { StackConfig } from './config.ts'
import { runningStackConfig } from './env-file.ts'
import { isOurProcess, readPidFile } from './processes.ts'
import { venvReady } from './python-venv.ts'
import { stackServices } from './services.ts'
import type { Say } from './up.ts'

/**
 * Prints the state of each part; resolves true when stack.env exists and every service answers its probe.
 * Addresses and probes use the ports in stack.env (what `up` started), not STACK_*_PORT as set now; without
 * stack.env the stack is not up, and the configured ports are all there is to show.
 * @throws StackError `STACK_ENV` when stack.env lacks a port or has a malformed one.
 */
export async function stackStatus(config: StackConfig, say: Say): Promise<boolean> {
  const running = runningStackConfig(config)
  const shown = running ?? config
  let allUp = running !== undefined
  const probeAbort = new AbortController()
  const timer = setTimeout(() => probeAbort.abort(), 5000)
  try {
    for (const service of stackServices(shown)) {
      const pid = readPidFile(service.pidFile)
      const alive = pid !== undefined && isOurProcess(pid, service.marker)
      const problem = alive ? await service.probe(probeAbort.signal) : 'not running'
      allUp &&= problem === undefined
      const state = problem === undefined ? 'up  ' : alive ? 'sick' : 'down'
      say(
        `${service.name.padEnd(15)} ${state} ${alive ? `pid ${pid}`.padEnd(10) : ''.padEnd(10)} ${service.address.padEnd(39)} ` +
          `${problem === undefined ? '' : problem === 'not running' ? '' : `(${problem}) `}log ${relative(config.repoRoot, service.logFile)}`,
      )
    }
  } finally {
    clearTimeout(timer)
  }
  say(`${'python venv'.padEnd(15)} ${venvReady(config) ? 'ready' : 'missing (created by up)'}`)
  say(
    `${'stack.env'.padEnd(15)} ${running ? relative(config.repoRoot, config.paths.envFile) : 'missing: the stack is not up (run `bun run stack up`)'}`,
  )
  return allUp
}
