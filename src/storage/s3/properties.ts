/** Standard Iceberg FileIO property keys (`s3.*`, `client.region`) → S3 store options, e.g. for vended credentials. */
import { ConfigError } from '../../errors.ts'
import type { S3StoreOptions } from './options.ts'

export type S3PropertyOptions = Partial<Pick<S3StoreOptions, 'endpoint' | 'pathStyle' | 'region' | 'credentials'>>

/**
 * Reads `s3.endpoint`, `s3.path-style-access`, `s3.access-key-id`, `s3.secret-access-key`,
 * `s3.session-token`, and `s3.region` (PyIceberg) falling back to `client.region` (Java).
 * Keys that are absent stay absent, so the result can be spread over configured defaults.
 * @throws ConfigError when `s3.path-style-access` is not true/false, or only one of the key id
 * and secret is present (values are never echoed for the secret and token).
 */
export function s3OptionsFromProperties(props: Record<string, string>): S3PropertyOptions {
  const issues: string[] = []
  const out: S3PropertyOptions = {}
  const endpoint = props['s3.endpoint']
  if (endpoint !== undefined && endpoint !== '') out.endpoint = endpoint
  const pathStyle = props['s3.path-style-access']
  if (pathStyle !== undefined) {
    const normalized = pathStyle.trim().toLowerCase()
    if (normalized === 'true' || normalized === 'false') out.pathStyle = normalized === 'true'
    else issues.push(`s3.path-style-access must be true or false, got ${JSON.stringify(pathStyle)}`)
  }
  const region = props['s3.region'] ?? props['client.region']
  if (region !== undefined && region !== '') out.region = region
  const accessKeyId = props['s3.access-key-id']
  const secretAccessKey = props['s3.secret-access-key']
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    const sessionToken = props['s3.session-token']
    out.credentials = sessionToken === undefined || sessionToken === '' ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken }
  } else if (accessKeyId !== undefined) {
    issues.push(`s3.access-key-id ${accessKeyId} is set but s3.secret-access-key is not`)
  } else if (secretAccessKey !== undefined) {
    issues.push('s3.secret-access-key is set but s3.access-key-id is not')
  }
  if (issues.length > 0) throw new ConfigError(issues)
  return out
}
