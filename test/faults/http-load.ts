/** HTTP load for the fault suite: unique ids in large batches, counted as sent, acknowledged (200) and refused. */

export interface HttpLoad {
  /** Ids in requests that were sent, whatever became of them. */
  readonly sent: () => number
  /** Ids the worker acknowledged (200): these must land exactly once. */
  readonly acknowledged: number[]
  /** Answers other than 200, by status (`503 WAL_DISK_FULL`, `connection`...). */
  readonly refused: Map<string, number>
  /** Resolves once `maxRows` were sent and answered. */
  done(): Promise<void>
  stop(): Promise<void>
}

/**
 * Posts `{id, src: 'http'}` rows to `table` from `firstId` up, `batch` per request on `concurrency` loops, until
 * `stop()` or `maxRows` were sent. `url()` is read per request, so a restarted worker on the same port is found.
 */
export function startHttpLoad(url: () => string, table: string, options: { firstId: number; batch: number; concurrency: number; maxRows?: number; pauseMs?: number }): HttpLoad {
  const acknowledged: number[] = []
  const refused = new Map<string, number>()
  let next = options.firstId
  let running = true
  const limit = options.maxRows === undefined ? Number.POSITIVE_INFINITY : options.firstId + options.maxRows
  const note = (reason: string) => refused.set(reason, (refused.get(reason) ?? 0) + 1)
  const loop = async () => {
    while (running && next < limit) {
      const count = Math.min(options.batch, limit - next)
      const first = next
      next += count
      const ids = Array.from({ length: count }, (_, i) => first + i)
      try {
        const response = await fetch(`${url()}/v1/tables/${table}/records`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(ids.map((id) => ({ id, src: 'http' }))),
        })
        if (response.status === 200) {
          await response.arrayBuffer()
          acknowledged.push(...ids)
        } else {
          const body = (await response.json().catch(() => ({}))) as { error?: { code?: string } }
          note(`${response.status} ${body.error?.code ?? ''}`.trim())
        }
      } catch {
        note('no answer') // the worker was killed mid-request, or not listening yet
        await Bun.sleep(100)
      }
      if (options.pauseMs) await Bun.sleep(options.pauseMs)
    }
  }
  const loops = Array.from({ length: options.concurrency }, loop)
  return {
    sent: () => next - options.firstId,
    acknowledged,
    refused,
    async done() {
      await Promise.all(loops)
    },
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}
