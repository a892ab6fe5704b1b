// The whole suite against the real stack: `stack up`, `bun test <args>`, the fault suite (test:faults), then
// `stack down` always; exits 0 only when both passed.
import { join } from 'node:path'
import { faultSuiteCommand } from './test-faults.ts'

const STACK = join(import.meta.dir, 'stack.ts')
const BUN = process.execPath
const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }

let current: ReturnType<typeof Bun.spawn> | undefined
let interrupted: NodeJS.Signals | undefined

// Keep running on a signal so `down` still happens; pass it on to whatever runs now (a terminal's
// Ctrl-C reaches the child anyway, a CI cancel's SIGTERM reaches only us).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    interrupted ??= signal
    current?.kill(signal)
  })
}

/** Runs `argv` with our stdio; `detached` keeps a second Ctrl-C from killing it halfway (used for `down`). */
async function run(argv: string[], detached = false): Promise<number> {
  current = Bun.spawn(argv, { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit', detached })
  try {
    return await current.exited
  } finally {
    current = undefined
  }
}

/**
 * The fault suite's wall-clock budget (TEST_FAULTS_TIMEOUT_S, default 900 s): its per-test timeout does not
 * stop a hang between tests, and CI must end. Measured: about 90 s on 2 cores.
 */
const FAULT_SUITE_TIMEOUT_MS = Number(process.env.TEST_FAULTS_TIMEOUT_S ?? '900') * 1000

interface TestCounts {
  pass: number
  fail: number
  skip: number
}

/**
 * Runs bun test, passing its output through, and counts bun's own summary lines (` N pass` / ` N fail`).
 * With `timeoutMs`, a run that takes longer is stopped and counted as one more failure.
 */
async function runTests(argv: string[], timeoutMs?: number): Promise<{ code: number; counts: TestCounts }> {
  const child = Bun.spawn(argv, { cwd: join(import.meta.dir, '..'), stdin: 'inherit', stdout: 'inherit', stderr: 'pipe' })
  current = child
  let timedOut = false
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true
          console.error(`test:all: ${argv.slice(1).join(' ')} ran past ${timeoutMs / 1000} s; stopping it`)
          child.kill('SIGTERM')
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref()
        }, timeoutMs)
  const counts: TestCounts = { pass: 0, fail: 0, skip: 0 }
  // Per-test `(pass)` / `(fail)` lines too: a run stopped by the timeout never prints bun's summary.
  const seen: TestCounts = { pass: 0, fail: 0, skip: 0 }
  let summarized = false
  const decoder = new TextDecoder()
  let pending = ''
  for await (const chunk of child.stderr) {
    process.stderr.write(chunk)
    pending += decoder.decode(chunk, { stream: true })
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const match = /^\s*(\d+) (pass|fail|skip)\s*$/.exec(line)
      if (match) {
        counts[match[2] as keyof typeof counts] = Number(match[1])
        summarized = true
      }
      const each = /^\((pass|fail|skip)\) /.exec(line)
      if (each) seen[each[1] as keyof typeof seen]++
    }
  }
  const code = await child.exited
  clearTimeout(timer)
  current = undefined
  if (!summarized) Object.assign(counts, seen)
  if (timedOut) counts.fail++
  return { code: timedOut ? 1 : code, counts }
}

const summary = (counts: TestCounts) => `${counts.pass} passed, ${counts.fail} failed${counts.skip ? `, ${counts.skip} skipped` : ''}`

let exitCode = 1
try {
  const up = await run([BUN, STACK, 'up'])
  if (up !== 0) {
    console.error(`test:all: \`stack up\` failed (exit ${up}); not running tests`)
    exitCode = up
  } else if (interrupted) {
    exitCode = 128 + (SIGNAL_NUMBERS[interrupted] ?? 0)
  } else {
    // bun's default per-test timeout (5 s) is too short for tests against JVM services on 2 cores.
    const args = Bun.argv.slice(2)
    const unit = await runTests([BUN, 'test', ...(args.some((a) => a.startsWith('--timeout')) ? [] : ['--timeout', '120000']), ...args])
    const total = { ...unit.counts }
    exitCode = unit.code
    // The fault suite after the rest (it restarts the broker and fills a tmpfs), unless a file filter was given.
    const filtered = args.some((a, i) => !a.startsWith('-') && args[i - 1] !== '--timeout')
    if (!filtered && !interrupted) {
      console.log(`\nbun test: ${summary(unit.counts)}; now the fault suite (bun run test:faults)`)
      const faults = await runTests(faultSuiteCommand(), FAULT_SUITE_TIMEOUT_MS)
      console.log(`\nfault suite: ${summary(faults.counts)}`)
      total.pass += faults.counts.pass
      total.fail += faults.counts.fail
      total.skip += faults.counts.skip
      if (exitCode === 0) exitCode = faults.code
    }
    // The plain line CI systems read.
    console.log(`\ntests: ${summary(total)}`)
  }
} finally {
  const down = await run([BUN, STACK, 'down'], true)
  if (down !== 0) console.error(`test:all: \`stack down\` failed (exit ${down}); check with \`bun run stack status\``)
}
process.exit(exitCode)
