// Command-line parsing for the toolkit's commands: node:util parseArgs, and usage errors that say what to type instead.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { IngestError } from '../../src/errors.ts'
import { EXIT_MISSING_TABLE, missingTableIn } from './missing-table.ts'

/** Wrong arguments: the message says what was wrong and what to type instead; commands exit 2 with it. */
export class UsageError extends IngestError {
  constructor(message: string) {
    super('USAGE', message)
  }
}

type Options = NonNullable<ParseArgsConfig['options']>

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}

/** ` (did you mean "create"?)` when one of `choices` is close to `word`, else ''. */
export function didYouMean(word: string, choices: readonly string[]): string {
  const best = choices.map((c) => ({ c, d: distance(word.toLowerCase(), c.toLowerCase()) })).sort((x, y) => x.d - y.d)[0]
  return best && best.d <= Math.max(1, Math.floor(best.c.length / 3)) ? ` (did you mean ${JSON.stringify(best.c)}?)` : ''
}

/**
 * Parses `argv` with `options`; `--help`/`-h` is added to every command. Throws UsageError (code USAGE) for an unknown
 * option or a missing option value, naming the command's --help and the closest known option.
 */
export function parseCommand<T extends Options>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
  } catch (error) {
    const message = (error as Error).message
    const ambiguous = /Option '(-{1,2}[^']+)' argument is ambiguous/.exec(message)?.[1]
    if (ambiguous) {
      throw new UsageError(`${command}: ${ambiguous} is missing its value; write ${ambiguous} VALUE (a value that starts with "-" as ${ambiguous}=-VALUE); see \`bun run ${command} --help\``)
    }
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1]
    const hint = unknown ? didYouMean(unknown.replace(/^-+/, ''), Object.keys(options)).replace(/"([^"]+)"/, '"--$1"') : ''
    throw new UsageError(`${command}: ${message.replace(/\. To specify a positional.*$/s, '')}${hint}; see \`bun run ${command} --help\``)
  }
}

/** An integer option value within [min, max]; UsageError otherwise, with an example. */
export function intOption(command: string, name: string, value: string | undefined, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${command}: --${name} takes a whole number from ${min} to ${max}, got ${JSON.stringify(value)}; e.g. --${name} ${Math.max(min, Math.min(fallback, max))}`)
  }
  return Number(value)
}

/** A number option value within [min, max]; UsageError otherwise. */
export function numberOption(command: string, name: string, value: string | undefined, fallback: number, min: number, max: number, example: string): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`${command}: --${name} takes a number from ${min} to ${max}, got ${JSON.stringify(value)}; e.g. --${name} ${example}`)
  }
  return n
}

/**
 * Runs a command's main: exit code 0 on success; usage errors → stderr, exit 2; a named table that does not exist
 * (a MissingTableError, also as the cause of another error) → its message, exit {@link EXIT_MISSING_TABLE}; other
 * failures → their message (and code) on stderr, exit 1. Stack traces only with DEBUG=1.
 */
export async function runCommand(main: () => Promise<number | void>): Promise<never> {
  try {
    const code = await main()
    process.exit(code ?? 0)
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message)
      process.exit(2)
    }
    const missing = missingTableIn(error)
    if (missing) {
      console.error(missing.message)
      process.exit(EXIT_MISSING_TABLE)
    }
    const code = error instanceof IngestError ? ` [${error.code}]` : ''
    console.error(`error${code}: ${(error as Error).message ?? String(error)}`)
    if (process.env.DEBUG) console.error(error)
    process.exit(1)
  }
}
