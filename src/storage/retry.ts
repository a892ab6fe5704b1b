/** Retry with exponential backoff and full jitter, driven by `IngestError.retryable`. */
import { IngestError } from '../errors.ts'

export interface RetryPolicy {
  /** Total tries, the first included. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
}

export interface RetryHooks {
  /** Defaults to a timer; tests pass one that records and resolves at once. */
  sleep?: (ms: number) => Promise<void>
  /** Uniform in [0, 1). */
  random?: () => number
  /** An attempt failed with a retryable error; the next starts after `delayMs`. For counting, never for control. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void
  /** The call failed for good (not retryable, or out of attempts); `error` is what withRetry throws next. */
  onGiveUp?: (error: unknown, attempts: number) => void
}

/**
 * "Full jitter" (AWS architecture blog, "Exponential Backoff and Jitter"): a uniform delay up to
 * the capped exponential, so clients that failed together do not retry together.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry)
  return Math.floor(random() * ceiling)
}

const timer = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Calls `run(attempt)` (attempt counts from 1) until it resolves, it throws an error that is not
 * an `IngestError` with `retryable: true`, or `policy.maxAttempts` tries are spent; then rethrows
 * the last error unchanged. `hooks.onRetry` / `onGiveUp` see each retry and the final failure.
 */
export async function withRetry<T>(run: (attempt: number) => Promise<T>, policy: RetryPolicy, hooks: RetryHooks = {}): Promise<T> {
  const sleep = hooks.sleep ?? timer
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt)
    } catch (error) {
      const retryable = error instanceof IngestError && error.retryable
      if (!retryable || attempt >= policy.maxAttempts) {
        hooks.onGiveUp?.(error, attempt)
        throw error
      }
      const delay = backoffDelay(attempt - 1, policy, hooks.random)
      hooks.onRetry?.(error, attempt, delay)
      await sleep(delay)
    }
  }
}
