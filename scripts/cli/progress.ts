// A progress line for long work, on stderr: rewritten in place on a terminal, one line every few seconds otherwise.

export interface ProgressLine {
  /** Shows `text` now if enough time has passed since the last update (always on a terminal at ~10 Hz). */
  update(text: string): void
  /** Ends the line (a newline after an in-place line); `text` is shown as the final state. */
  done(text?: string): void
}

/** A progress line on `stream` (stderr by default); silent with `quiet`. */
export function progressLine(options: { quiet?: boolean; stream?: NodeJS.WriteStream; intervalMs?: number } = {}): ProgressLine {
  const stream = options.stream ?? process.stderr
  const tty = stream.isTTY === true
  const interval = options.intervalMs ?? (tty ? 100 : 2000)
  let last = 0
  let shown = false
  const show = (text: string) => {
    if (options.quiet) return
    if (tty) stream.write(`\r\x1b[2K${text}`)
    else stream.write(`${text}\n`)
    shown = true
  }
  return {
    update(text) {
      const now = performance.now()
      if (now - last < interval) return
      last = now
      show(text)
    },
    done(text) {
      if (text !== undefined) show(text)
      if (tty && shown && !options.quiet) stream.write('\n')
    },
  }
}
