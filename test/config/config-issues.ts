/** The problems parseConfig reports for `raw` with `env`, one line each; none when the config is valid. */
import { parseConfig } from '../../src/config/config.ts'
import { ConfigError } from '../../src/errors.ts'

export function configIssues(raw: unknown, env: Record<string, string | undefined> = {}): string[] {
  try {
    parseConfig(raw, env)
  } catch (error) {
    if (error instanceof ConfigError) return error.issues
    throw error
  }
  return []
}
