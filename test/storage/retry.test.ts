/** Backoff arithmetic and the retry loop's stop conditions. */
import { describe, expect, test } from 'bun:test'
import { IngestError, StorageError } from '../../src/errors.ts'
import { backoffDelay, withRetry } from '../../src/storage/retry.ts'

const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 }

describe('backoffDelay', () => {
  test('full jitter: uniform below base·2ⁿ, capped', () => {
    expect(backoffDelay(0, policy, () => 0)).toBe(0)
    expect(backoffDelay(0, policy, () => 0.5)).toBe(50)
    expect(backoffDelay(2, policy, () => 0.5)).toBe(200)
    expect(backoffDelay(3, policy, () => 0.999)).toBe(799)
    // 100·2¹⁰ is far above the cap.
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999)
  })
})

describe('withRetry', () => {
  const hooks = (sleeps: number[]) => ({ sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5 })

  test('retries retryable errors, then returns the result', async () => {
    const sleeps: number[] = []
    let calls = 0
    const result = await withRetry(
      async (attempt) => {
        calls++
        if (attempt < 3) throw new StorageError('busy', { retryable: true })
        return 'done'
      },
      policy,
      hooks(sleeps),
    )
    expect(result).toBe('done')
    expect(calls).toBe(3)
    expect(sleeps).toEqual([50, 100])
  })

  test('a non-retryable error is thrown at once', async () => {
    let calls = 0
    const failing = withRetry(async () => {
      calls++
      throw new StorageError('denied', { status: 403 })
    }, policy, hooks([]))
    await expect(failing).rejects.toThrow('denied')
    expect(calls).toBe(1)
  })

  test('errors that are not IngestErrors are not retried', async () => {
    let calls = 0
    await expect(withRetry(async () => {
      calls++
      throw new TypeError('bug')
    }, policy, hooks([]))).rejects.toBeInstanceOf(TypeError)
    expect(calls).toBe(1)
  })

  test('gives up after maxAttempts with the last error', async () => {
    let calls = 0
    const error = await withRetry(async (attempt) => {
      calls++
      throw new IngestError('X', `attempt ${attempt}`, { retryable: true })
    }, policy, hooks([])).catch((e: unknown) => e)
    expect(calls).toBe(4)
    expect((error as Error).message).toBe('attempt 4')
  })

  test('onRetry sees each retried attempt with its delay, onGiveUp the final failure', async () => {
    const retried: string[] = []
    const gaveUp: string[] = []
    const counting = {
      ...hooks([]),
      onRetry: (error: unknown, attempt: number, delayMs: number) => void retried.push(`${(error as Error).message}@${attempt}+${delayMs}`),
      onGiveUp: (error: unknown, attempts: number) => void gaveUp.push(`${(error as Error).message}@${attempts}`),
    }
    await withRetry(async (attempt) => {
      throw new IngestError('X', `attempt ${attempt}`, { retryable: true })
    }, policy, counting).catch(() => {})
    expect(retried).toEqual(['attempt 1@1+50', 'attempt 2@2+100', 'attempt 3@3+200'])
    expect(gaveUp).toEqual(['attempt 4@4'])

    retried.length = 0
    gaveUp.length = 0
    expect(await withRetry(async (attempt) => {
      if (attempt === 1) throw new StorageError('busy', { retryable: true })
      return 'ok'
    }, policy, counting)).toBe('ok')
    expect([retried, gaveUp]).toEqual([['busy@1+50'], []])

    await withRetry(async () => {
      throw new StorageError('denied', { status: 403 })
    }, policy, counting).catch(() => {})
    expect(gaveUp).toEqual(['denied@1'])
  })
})
