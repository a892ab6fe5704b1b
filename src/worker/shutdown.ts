/**
 * What SIGINT and SIGTERM do to a running worker, for every entry point (Bun and Deno).
 *
 * One signal is a graceful stop: intake closes, everything buffered is committed, exit 0. It has a
 * deadline (`shutdownTimeoutMs`): past it the worker exits anyway with 128 + the signal's number,
 * saying how many rows it leaves — acknowledged HTTP records are in the WAL and replayed at the
 * next start, Kafka messages stay in their topics. A second signal within DUPLICATE_WINDOW_MS of
 * the first is the same keypress delivered twice (`bun run` forwards the terminal's SIGINT to a
 * child that already got it from the process group) and is ignored; a later one exits at once.
 */

export type StopSignal = 'SIGINT' | 'SIGTERM'

const SIGNAL_NUMBERS: Record<StopSignal, number> = { SIGINT: 2, SIGTERM: 15 }
export const DUPLICATE_WINDOW_MS = 1_000
/** After the deadline aborted the stop, how long its remaining steps (closing sockets, files) may take. */
const CLOSE_GRACE_MS = 5_000

export interface ShutdownOptions {
  /** Starts (or joins) the graceful stop; `signal` aborts its wait for commits. */
  stop(signal: AbortSignal): Promise<void>
  /** Rows buffered or queued and not committed. */
  uncommittedRows(): number
  timeoutMs: number
  exit(code: number): never
  log(line: string): void
  now?: () => number
}

/** The handler to install for SIGINT and SIGTERM. */
export function createShutdown(options: ShutdownOptions): (signal: StopSignal) => void {
  const now = options.now ?? Date.now
  let first: { signal: StopSignal; at: number } | undefined
  const forcedCode = (signal: StopSignal) => 128 + SIGNAL_NUMBERS[signal]

  const leaveUncommitted = (signal: StopSignal, why: string): never => {
    const rows = options.uncommittedRows()
    options.log(
      `${why}: exiting with ${rows} rows uncommitted (HTTP records stay in the WAL and are replayed at the next start; Kafka messages are consumed again)`,
    )
    return options.exit(forcedCode(signal))
  }

  return (signal) => {
    if (first) {
      if (now() - first.at < DUPLICATE_WINDOW_MS) return
      return leaveUncommitted(signal, `${signal} again`)
    }
    first = { signal, at: now() }
    options.log(`${signal}: stopping, committing what is buffered (deadline ${options.timeoutMs} ms; ${signal} again to exit at once)`)
    const deadline = new AbortController()
    let grace: ReturnType<typeof setTimeout> | undefined
    const timer = setTimeout(() => {
      deadline.abort()
      // A step that ignores the abort (a socket that never closes) must not keep the process up.
      grace = setTimeout(() => leaveUncommitted(signal, `shutdown did not finish ${CLOSE_GRACE_MS} ms after the deadline`), CLOSE_GRACE_MS)
    }, options.timeoutMs)
    const settled = () => {
      clearTimeout(timer)
      clearTimeout(grace)
    }
    options.stop(deadline.signal).then(
      () => {
        settled()
        if (deadline.signal.aborted && options.uncommittedRows() > 0) return leaveUncommitted(signal, `shutdown deadline of ${options.timeoutMs} ms passed`)
        return options.exit(0)
      },
      (error: Error) => {
        settled()
        options.log(`stop failed: ${error.message}`)
        return options.exit(1)
      },
    )
  }
}
