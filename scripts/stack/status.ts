// `stack status`: one line per service (up with pid and address, or down), plus the venv and stack.env.
import { existsSync } from 'node:fs'
import { relative } from 'node:path'
import type { StackConfig } from './config.ts'
import { isOurProcess, readPidFile } from './processes.ts'
import { venvReady } from './python-venv.ts'
import { stackServices } from './services.ts'
import type { Say } from './up.ts'

/** Prints the state of each part; resolves true when every service answers its probe. */
export async function stackStatus(config: StackConfig, say: Say): Promise<boolean> {
  let allUp = true
  const probeAbort = new AbortController()
  const timer = setTimeout(() => probeAbort.abort(), 5000)
  try {
    for (const service of stackServices(config)) {
      const pid = readPidFile(service.pidFile)
      const alive = pid !== undefined && isOurProcess(pid, service.marker)
      const problem = alive ? await service.probe(probeAbort.signal) : 'not running'
      allUp &&= problem === undefined
      const state = problem === undefined ? 'up  ' : alive ? 'sick' : 'down'
      say(
        `${service.name.padEnd(13)} ${state} ${alive ? `pid ${pid}`.padEnd(10) : ''.padEnd(10)} ${service.address.padEnd(24)} ` +
          `${problem === undefined ? '' : problem === 'not running' ? '' : `(${problem}) `}log ${relative(config.repoRoot, service.logFile)}`,
      )
    }
  } finally {
    clearTimeout(timer)
  }
  say(`${'python venv'.padEnd(13)} ${venvReady(config) ? 'ready' : 'missing (created by up)'}`)
  say(`${'stack.env'.padEnd(13)} ${existsSync(config.paths.envFile) ? relative(config.repoRoot, config.paths.envFile) : 'missing'}`)
  return allUp
}
