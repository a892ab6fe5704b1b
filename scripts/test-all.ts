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

let exitCode = 1
try {
  const up = await run([BUN, STACK, 'up'])
  if (up !== 0) {
    console.error(`test:all: \`stack up\` failed (exit ${up}); not running tests`)
    exitCode = up
  } else if (interrupted) {
    exitCode = 128 + (SIGNAL_NUMBERS[interrupted] ?? 0)
  } else {
    exitCode = await run([BUN, 'test', ...Bun.argv.slice(2)])
  }
} finally {
  const down = await run([BUN, STACK, 'down'], true)
  if (down !== 0) console.error(`test:all: \`stack down\` failed (exit ${down}); check with \`bun run stack status\``)
}
process.exit(exitCode)
