/** Signal handling of the worker entries: one graceful stop, duplicates ignored, a deadline, exit codes. */
import { describe, expect, test } from 'bun:test'
import { createShutdown, DUPLICATE_WINDOW_MS, type ShutdownOptions } from '../../src/worker/shutdown.ts'

/** A worker whose stop resolves when `finish()` is called, or when the deadline aborts it. */
function harness(overrides: Partial<ShutdownOptions> = {}) {
  let clock = 0
  const lines: string[] = []
  const exits: number[] = []
  const stops: AbortSignal[] = []
  let finish: () => void = () => {}
  let rows = 7
  let exitWith: (code: number) => void = () => {}
  const exited = new Promise<number>((resolve) => (exitWith = resolve))
  const handler = createShutdown({
    stop: (signal) => {
      stops.push(signal)
      return new Promise<void>((done) => {
        finish = done
        signal.addEventListener('abort', () => done())
      })
    },
    uncommittedRows: () => rows,
    timeoutMs: 200,
    // The real exit never returns; recording the code is enough here, as the handler returns right after it.
    exit: ((code: number) => {
      exits.push(code)
      exitWith(code)
    }) as (code: number) => never,
    log: (line) => lines.push(line),
    now: () => clock,
    ...overrides,
  })
  return {
    signal: handler,
    advance: (ms: number) => (clock += ms),
    finish: () => {
      rows = 0
      finish()
    },
    lines,
    exits,
    stops,
    exited,
  }
}

describe('createShutdown', () => {
  test('one signal stops gracefully and exits 0', async () => {
    const h = harness()
    h.signal('SIGINT')
    h.finish()
    expect(await h.exited).toBe(0)
    expect(h.stops).toHaveLength(1)
  })

  test('a second signal within the duplicate window (bun run forwarding the same Ctrl-C) is ignored', async () => {
    const h = harness()
    h.signal('SIGINT')
    h.advance(DUPLICATE_WINDOW_MS - 1)
    h.signal('SIGINT')
    expect(h.exits).toEqual([])
    h.finish()
    expect(await h.exited).toBe(0)
    expect(h.stops).toHaveLength(1)
  })

  test('a second signal after the window exits at once with 128 + its number, naming the rows left', () => {
    const h = harness()
    h.signal('SIGINT')
    h.advance(DUPLICATE_WINDOW_MS)
    h.signal('SIGTERM')
    expect(h.exits).toEqual([143])
    expect(h.lines.at(-1)).toContain('SIGTERM again: exiting with 7 rows uncommitted')
  })

  test('past the deadline the stop is aborted and the worker exits 130 (SIGINT) / 143 (SIGTERM), saying how many rows stay in the WAL', async () => {
    const h = harness()
    h.signal('SIGTERM')
    expect(await h.exited).toBe(143)
    expect(h.stops[0]!.aborted).toBe(true)
    expect(h.lines.at(-1)).toContain('shutdown deadline of 200 ms passed: exiting with 7 rows uncommitted (HTTP records stay in the WAL')
    const i = harness()
    i.signal('SIGINT')
    expect(await i.exited).toBe(130)
  })

  test('a stop that fails exits 1 with the reason', async () => {
    const h = harness({ stop: () => Promise.reject(new Error('catalog closed')) })
    h.signal('SIGINT')
    expect(await h.exited).toBe(1)
    expect(h.lines.at(-1)).toBe('stop failed: catalog closed')
  })
})
