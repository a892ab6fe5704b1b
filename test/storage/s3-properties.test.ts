/** Iceberg FileIO properties (as vended by REST catalogs) → S3 store options. */
import { describe, expect, test } from 'bun:test'
import { ConfigError } from '../../src/errors.ts'
import { s3OptionsFromProperties } from '../../src/storage/s3/index.ts'

describe('s3OptionsFromProperties', () => {
  test('maps the standard keys, vended session token included', () => {
    expect(
      s3OptionsFromProperties({
        's3.endpoint': 'http://127.0.0.1:9000',
        's3.path-style-access': 'true',
        's3.access-key-id': 'AKID',
        's3.secret-access-key': 'shh',
        's3.session-token': 'tok',
        'client.region': 'eu-central-1',
        'unrelated.key': 'x',
      }),
    ).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      pathStyle: true,
      region: 'eu-central-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'shh', sessionToken: 'tok' },
    })
  })

  test('s3.region wins over client.region; absent keys stay absent', () => {
    expect(s3OptionsFromProperties({ 's3.region': 'us-west-2', 'client.region': 'eu-central-1', 's3.path-style-access': 'FALSE' })).toEqual({
      region: 'us-west-2',
      pathStyle: false,
    })
    expect(s3OptionsFromProperties({})).toEqual({})
  })

  test('half a key pair or a non-boolean path style is a ConfigError that does not echo the secret', () => {
    let caught: unknown
    try {
      s3OptionsFromProperties({ 's3.secret-access-key': 'very-secret', 's3.path-style-access': 'yes' })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ConfigError)
    const issues = (caught as ConfigError).issues
    expect(issues).toHaveLength(2)
    expect(issues.join(' ')).toContain('"yes"')
    expect((caught as ConfigError).message).not.toContain('very-secret')
    expect(() => s3OptionsFromProperties({ 's3.access-key-id': 'AKID' })).toThrow(/s3.secret-access-key is not/)
  })
})
