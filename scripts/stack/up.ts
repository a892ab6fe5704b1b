// `stack up`: download what is missing, start what is not running (in parallel), wait until each answers, write stack.env.
import { mkdirSync } from 'node:fs'
import { relative } from 'node:path'
import type { Subprocess } from 'bun'
import { VERSIONS, type StackConfig } from './config.ts'
import { removeStackEnv, writeStackEnv } from './env-file.ts'
import { downloadServiceJars, serviceJarsPresent } from './maven.ts'
import { assertPortsFree } from './ports.ts'
import { isOurProcess, launchDetached, readPidFile, removePidFile, stopProcessGroup, tailOfLog } from './processes.ts'
import { createVenv, venvPython, venvReady } from './python-venv.ts'
import type { Service } from './service.ts'
import { stackServices } from './services.ts'
import { StackError } from './stack-error.ts'
import { javaMajorVersion, requireTool } from './tools.ts'

export type Say = (line: string) => void

/**
 * Brings the whole stack up; idempotent (running services are kept after a health probe).
 * On any failure it stops the processes this call started, removes stack.env and rethrows.
 * @throws StackError `STACK_TOOL_MISSING`, `STACK_PORT_TAKEN`, `STACK_DOWNLOAD`, `STACK_PREPARE`,
 *   `STACK_EXITED`, `STACK_TIMEOUT` or `STACK_INTERRUPTED` (SIGINT/SIGTERM while starting).
 */
export async function stackUp(config: StackConfig, say: Say): Promise<void> {
  const began = performance.now()
  const java = requireTool('java', 'install a JDK 17+ (Debian: apt-get install openjdk-17-jdk-headless)')
  const major = javaMajorVersion(java)
  if (major < 17) throw new StackError('STACK_TOOL_MISSING', `${java} is Java ${major}; Kafka 4 and S3Proxy 4 need Java 17+`)
  for (const dir of [config.root, config.paths.logs, config.paths.run]) mkdirSync(dir, { recursive: true })

  const abort = new AbortController()
  // The first failure becomes the abort reason; the other tasks stop waiting and report that one.
  const fail = (error: unknown) => {
    if (!abort.signal.aborted) abort.abort(error)
  }
  const onSignal = (signal: NodeJS.Signals) => fail(new StackError('STACK_INTERRUPTED', `stack up interrupted by ${signal}`))
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const launched: Service[] = []
  try {
    const services = stackServices(config)
    const running = services.filter((service) => {
      const pid = readPidFile(service.pidFile)
      if (pid !== undefined && isOurProcess(pid, service.marker)) return true
      removePidFile(service.pidFile)
      return false
    })
    const toStart = services.filter((service) => !running.includes(service))
    for (const service of running) say(`${service.name} already running (pid ${readPidFile(service.pidFile)}), checking it answers...`)
    // Before any download: a taken port should fail in a second, not after minutes.
    for (const service of toStart) await assertPortsFree(service.name, config.host, service.ports)

    const venvTask = venvReady(config)
      ? Promise.resolve()
      : timed(say, `creating python venv ${rel(config, config.paths.venv)} (pyiceberg ${VERSIONS.pyiceberg}, pyarrow ${VERSIONS.pyarrow}, fastavro ${VERSIONS.fastavro})`, 'python venv ready', () =>
          createVenv(config, abort.signal),
        )
    const jarsTask =
      toStart.length === 0 || serviceJarsPresent(config)
        ? Promise.resolve()
        : timed(say, `downloading kafka ${VERSIONS.kafka}, s3proxy ${VERSIONS.s3proxy}, iceberg-open-api ${VERSIONS.iceberg} with maven`, 'downloads done', () =>
            downloadServiceJars(config, abort.signal),
          )
    const serviceTasks = services.map(async (service) => {
      if (running.includes(service)) return waitReady(config, service, undefined, performance.now(), abort.signal, say)
      await jarsTask
      await service.prepare(abort.signal)
      if (abort.signal.aborted) return
      say(`starting ${service.name}: ${service.title} on ${service.address}...`)
      const command = service.command()
      const proc = launchDetached({ ...command, logFile: service.logFile, pidFile: service.pidFile })
      launched.push(service)
      await waitReady(config, service, proc, performance.now(), abort.signal, say)
    })
    await Promise.allSettled([venvTask, jarsTask, ...serviceTasks].map((task) => task.catch(fail)))
    if (abort.signal.aborted) throw abort.signal.reason
    writeStackEnv(config, venvPython(config))
    say(`wrote ${rel(config, config.paths.envFile)}; stack up in ${seconds(began)}s`)
  } catch (error) {
    removeStackEnv(config)
    if (launched.length > 0) say(`stopping what this run started: ${launched.map((s) => s.name).join(', ')}`)
    await Promise.all(
      launched.map(async (service) => {
        const pid = readPidFile(service.pidFile)
        if (pid !== undefined) await stopProcessGroup(pid, service.marker, 5000)
        removePidFile(service.pidFile)
      }),
    )
    throw error
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/** Polls `service.probe` until it answers, the process exits, the timeout passes, or another task failed. */
async function waitReady(config: StackConfig, service: Service, proc: Subprocess | undefined, started: number, signal: AbortSignal, say: Say): Promise<void> {
  let exitCode: number | undefined
  void proc?.exited.then((code) => (exitCode = code))
  const pid = proc?.pid ?? readPidFile(service.pidFile)
  // A service kept from an earlier `up` was ready back then; one that stays silent is hung or
  // listens on other ports than the ones configured now, so give up sooner and say so.
  const timeoutSeconds = proc ? config.readyTimeoutSeconds : Math.min(15, config.readyTimeoutSeconds)
  const deadline = started + timeoutSeconds * 1000
  const log = rel(config, service.logFile)
  for (;;) {
    if (signal.aborted) return
    const gone = proc ? exitCode !== undefined : pid === undefined || !isOurProcess(pid, service.marker)
    if (gone) {
      throw new StackError(
        'STACK_EXITED',
        `${service.name} exited early${exitCode === undefined ? '' : ` with code ${exitCode}`}; read ${log}. Last lines:\n${indent(tailOfLog(service.logFile))}`,
        { service: service.name, logFile: service.logFile },
      )
    }
    const notReady = await service.probe(signal)
    if (notReady === undefined) {
      say(`${service.name} ready${proc ? ` in ${seconds(started)}s` : ''} (pid ${pid}, ${service.address}, log ${log})`)
      return
    }
    if (performance.now() > deadline) {
      throw new StackError(
        'STACK_TIMEOUT',
        proc
          ? `${service.name} did not become ready within ${timeoutSeconds}s (last probe: ${notReady}); read ${log}, ` +
              'or raise STACK_READY_TIMEOUT_S on a slow machine'
          : `${service.name} (pid ${pid}, started by an earlier \`stack up\`) does not answer on ${service.address} ` +
              `(last probe: ${notReady}). If you changed a STACK_*_PORT, run \`bun run stack down\` first; else read ${log}`,
        { service: service.name, logFile: service.logFile },
      )
    }
    await Bun.sleep(250)
  }
}

async function timed(say: Say, start: string, done: string, run: () => Promise<void>): Promise<void> {
  const began = performance.now()
  say(`${start}...`)
  await run()
  say(`${done} in ${seconds(began)}s`)
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1)
}

function rel(config: StackConfig, path: string): string {
  return relative(config.repoRoot, path)
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')
}
