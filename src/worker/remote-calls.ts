/**
 * Retried and failed calls to the services the worker depends on (S3, the catalog, Kafka), counted by
 * target for /metrics and turned into /health reasons while they keep happening.
 */
import type { RemoteCallObserver } from '../config/remote.ts'

export type RemoteTarget = 's3' | 'catalog' | 'kafka'

export const REMOTE_TARGETS: readonly RemoteTarget[] = ['s3', 'catalog', 'kafka']

export interface RemoteCallCounts {
  /** Attempts that failed and were tried again. */
  retried: number
  /** Calls that failed for good (out of attempts, or an error no retry fixes). */
  failed: number
}

export interface RemoteCallsOptions {
  now?: () => number
  /** How far back /health looks. Default 10 s: long enough to span a retry backoff, short enough to clear soon after. */
  windowMs?: number
  /**
   * Retried + failed calls of one target within the window that make the worker degraded. Default 3:
   * one retry is a blip the backoff absorbs; several in a few seconds mean the service is in trouble now.
   */
  threshold?: number
}

export interface RemoteCalls extends RemoteCallObserver {
  retried(target: RemoteTarget, reason: string): void
  failed(target: RemoteTarget, reason: string): void
  /** Cumulative, since the worker started. */
  counts(target: RemoteTarget): RemoteCallCounts
  /** One line per target that is in trouble now, e.g. `s3: 4 calls retried, 1 failed in the last 10 s (last: ...)`. */
  healthReasons(): string[]
}

export function createRemoteCalls(options: RemoteCallsOptions = {}): RemoteCalls {
  const now = options.now ?? Date.now
  const windowMs = options.windowMs ?? 10_000
  const threshold = options.threshold ?? 3
  const totals = new Map<RemoteTarget, RemoteCallCounts>(REMOTE_TARGETS.map((t) => [t, { retried: 0, failed: 0 }]))
  const recent = new Map<RemoteTarget, { at: number; failed: boolean; reason: string }[]>(REMOTE_TARGETS.map((t) => [t, []]))

  const note = (target: RemoteTarget, failed: boolean, reason: string) => {
    const total = totals.get(target)!
    if (failed) total.failed++
    else total.retried++
    const events = recent.get(target)!
    events.push({ at: now(), failed, reason })
    // Bounded: only the window matters, and a storm of retries must not grow memory.
    if (events.length > 1000) events.splice(0, events.length - 1000)
  }

  return {
    retried: (target, reason) => note(target, false, reason),
    failed: (target, reason) => note(target, true, reason),
    counts: (target) => ({ ...totals.get(target)! }),
    healthReasons() {
      const since = now() - windowMs
      const reasons: string[] = []
      for (const target of REMOTE_TARGETS) {
        const events = recent.get(target)!
        while (events.length && events[0]!.at < since) events.shift()
        if (events.length < threshold) continue
        const failed = events.filter((e) => e.failed).length
        // S3 and catalog messages can run long (keys, bodies): a health line stays readable.
        const last = events.at(-1)!.reason.slice(0, 200)
        reasons.push(`${target}: ${events.length - failed} calls retried, ${failed} failed in the last ${windowMs / 1000} s (last: ${last})`)
      }
      return reasons
    },
  }
}
