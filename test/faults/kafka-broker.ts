/**
 * Stops and starts the test stack's Kafka broker, as `stack down` and `stack up` do (their service
 * definition, pid file, process-group stop and detached launch: scripts/stack/), for a broker restart in
 * the middle of consumption. `ensureBrokerRunning` is for `finally`: the stack must have its broker back
 * whatever the test did.
 */
import { loadStackConfig } from '../../scripts/stack/config.ts'
import { kafkaService } from '../../scripts/stack/kafka.ts'
import { isOurProcess, launchDetached, readPidFile, removePidFile, stopProcessGroup } from '../../scripts/stack/processes.ts'

/** SIGTERM lets the broker shut down cleanly; what `stack down` allows too before SIGKILL. */
const STOP_GRACE_MS = 15_000
const READY_TIMEOUT_MS = 90_000

function service() {
  return kafkaService(loadStackConfig())
}

export function brokerRunning(): boolean {
  const kafka = service()
  const pid = readPidFile(kafka.pidFile)
  return pid !== undefined && isOurProcess(pid, kafka.marker)
}

/** SIGTERM to the broker's process group and wait until it is gone. Returns how long the stop took (ms). */
export async function stopBroker(): Promise<number> {
  const kafka = service()
  const pid = readPidFile(kafka.pidFile)
  if (pid === undefined) throw new Error(`kafka: no pid file at ${kafka.pidFile}; is the stack up?`)
  const began = performance.now()
  const outcome = await stopProcessGroup(pid, kafka.marker, STOP_GRACE_MS)
  if (outcome === 'not-running') throw new Error(`kafka: pid ${pid} from ${kafka.pidFile} is not the stack's broker`)
  removePidFile(kafka.pidFile)
  return performance.now() - began
}

/** Launches the broker with the command `stack up` uses and waits until it answers metadata. Returns ms to ready. */
export async function startBroker(): Promise<number> {
  const kafka = service()
  const began = performance.now()
  const proc = launchDetached({ ...kafka.command(), logFile: kafka.logFile, pidFile: kafka.pidFile })
  const deadline = Date.now() + READY_TIMEOUT_MS
  let last: string | undefined = 'not probed yet'
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`kafka exited with ${proc.exitCode} while starting again; see ${kafka.logFile}`)
    last = await kafka.probe(AbortSignal.timeout(5_000))
    if (last === undefined) return performance.now() - began
    await Bun.sleep(250)
  }
  throw new Error(`kafka did not answer within ${READY_TIMEOUT_MS} ms after a restart (last probe: ${last}); see ${kafka.logFile}`)
}

/** Starts the broker if it is not running (after a test that stopped it failed part-way). */
export async function ensureBrokerRunning(): Promise<void> {
  if (!brokerRunning()) await startBroker()
}
