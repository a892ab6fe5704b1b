/** Commit retry policy from the standard table properties (`commit.retry.*`), with full-jitter backoff. */

export interface CommitRetryPolicy {
  numRetries: number
  minWaitMs: number
  maxWaitMs: number
  totalTimeoutMs: number
}

const int = (value: string | undefined, fallback: number): number => {
  const parsed = value === undefined ? Number.NaN : Number.parseInt(value, 10)
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : fallback
}

/** Defaults are Iceberg's (4 retries, 100 ms – 60 s, 30 min total). */
export function commitRetryPolicy(properties: Record<string, string>): CommitRetryPolicy {
  return {
    numRetries: int(properties['commit.retry.num-retries'], 4),
    minWaitMs: int(properties['commit.retry.min-wait-ms'], 100),
    maxWaitMs: int(properties['commit.retry.max-wait-ms'], 60_000),
    totalTimeoutMs: int(properties['commit.retry.total-timeout-ms'], 1_800_000),
  }
}

/** Full jitter: racing writers that conflicted once should not collide again in lockstep. */
export function backoffMs(policy: CommitRetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxWaitMs, policy.minWaitMs * 2 ** (attempt - 1))
  return Math.floor(random() * ceiling)
}
