// The whole suite against the real stack: `stack up`, `bun test <args>`, then `stack down` always; exits with bun test's code.
import { join } from 'node:path'

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
 * Runs bun test, passing its output through, and ends with the plain `N passed, N failed` line
 * that CI systems read (bun's own summary says ` N pass` / ` N fail`).
 */
async function runTests(argv: string[]): Promise<number> {
  const child = Bun.spawn(argv, { stdin: 'inherit', stdout: 'inherit', stderr: 'pipe' })
  current = child
  const counts = { pass: 0, fail: 0, skip: 0 }
  const decoder = new TextDecoder()
  let pending = ''
  for await (const chunk of child.stderr) {
    process.stderr.write(chunk)
    pending += decoder.decode(chunk, { stream: true })
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const match = /^\s*(\d+) (pass|fail|skip)\s*$/.exec(line)
      if (match) counts[match[2] as keyof typeof counts] = Number(match[1])
    }
  }
  const code = await child.exited
  current = undefined
  console.log(`\ntests: ${counts.pass} passed, ${counts.fail} failed${counts.skip ? `, ${counts.skip} skipped` : ''}`)
  return code
}

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
    exitCode = await runTests([BUN, 'test', ...(args.some((a) => a.startsWith('--timeout')) ? [] : ['--timeout', '120000']), ...args])
  }
} finally {
  const down = await run([BUN, STACK, 'down'], true)
  if (down !== 0) console.error(`test:all: \`stack down\` failed (exit ${down}); check with \`bun run stack status\``)
}
process.exit(exitCode)
