// `bun run test:faults`: the fault-injection suite (test/faults/*.faults.ts) against the running stack, with its figures table.
// The files are not named *.test.ts, so a plain `bun test` leaves them out: they take minutes, need root (a tmpfs) and restart the broker.
import { Glob } from 'bun'
import { join, relative } from 'node:path'

const ROOT = join(import.meta.dir, '..')

/** Per-test timeout: the acceptance run alone takes a minute or two on 2 cores. */
export const FAULT_TEST_TIMEOUT_MS = 600_000

/** `./test/faults/<name>.faults.ts`, sorted: explicit paths, which bun test runs whatever their names. */
export function faultSuiteFiles(): string[] {
  const files = [...new Glob('test/faults/*.faults.ts').scanSync({ cwd: ROOT })].sort()
  return files.map((file) => `./${relative(ROOT, join(ROOT, file))}`)
}

/** The bun test command line for the suite, `extra` arguments last. */
export function faultSuiteCommand(extra: string[] = []): string[] {
  const timeout = extra.some((a) => a.startsWith('--timeout')) ? [] : ['--timeout', String(FAULT_TEST_TIMEOUT_MS)]
  return [process.execPath, 'test', ...timeout, ...faultSuiteFiles(), ...extra]
}

if (import.meta.main) {
  const child = Bun.spawn(faultSuiteCommand(Bun.argv.slice(2)), { cwd: ROOT, stdin: 'inherit', stdout: 'inherit', stderr: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
  process.exit(await child.exited)
}
