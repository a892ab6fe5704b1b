/** WAL options: defaults and validation, one place. */

import { ConfigError } from '../errors.ts'

const MiB = 1024 * 1024

export interface WalOptions {
  /** Roll to a new segment before a write would take the current one past this size. Default 64 MiB. */
  segmentBytes?: number
  /** Appends that would take the log past this size fail with WAL_FULL. Default 1 GiB. */
  maxBytes?: number
  /** fdatasync each write, fsync the directory on segment create/delete. Default true; false only in tests and benchmarks. */
  fsync?: boolean
  /** One line per event (recovery cuts, truncation). */
  log?: (line: string) => void
}

export interface ResolvedWalOptions {
  segmentBytes: number
  maxBytes: number
  fsync: boolean
  log: (line: string) => void
}

/**
 * Fills in defaults and checks every option.
 * @throws ConfigError `CONFIG` listing each invalid option.
 */
export function resolveWalOptions(options: WalOptions): ResolvedWalOptions {
  const resolved: ResolvedWalOptions = {
    segmentBytes: options.segmentBytes ?? 64 * MiB,
    maxBytes: options.maxBytes ?? 1024 * MiB,
    fsync: options.fsync ?? true,
    log: options.log ?? (() => {}),
  }
  const issues: string[] = []
  if (!Number.isSafeInteger(resolved.segmentBytes) || resolved.segmentBytes <= 0) {
    issues.push(`segmentBytes: ${resolved.segmentBytes} is not a positive integer`)
  }
  if (!Number.isSafeInteger(resolved.maxBytes) || resolved.maxBytes < resolved.segmentBytes) {
    issues.push(`maxBytes: ${resolved.maxBytes} is not an integer ≥ segmentBytes ${resolved.segmentBytes}`)
  }
  if (issues.length > 0) throw new ConfigError(issues)
  return resolved
}
