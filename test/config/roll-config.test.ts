/** tables[].roll.maxIntervalMs: the cap of commit pacing (batcher/policy.ts), checked against intervalMs. */
import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../src/config/config.ts'
import { configIssues } from './config-issues.ts'

const table = { name: 'ns.t', schema: 'id long' }

describe('roll.maxIntervalMs', () => {
  test('optional: absent means the policy default (ten intervals); a cap at or above intervalMs is kept', () => {
    expect(parseConfig({ tables: [table] }, {}).tables[0]!.roll.maxIntervalMs).toBeUndefined()
    expect(parseConfig({ tables: [{ ...table, roll: { intervalMs: 1000, maxIntervalMs: 1000 } }] }, {}).tables[0]!.roll).toMatchObject({ intervalMs: 1000, maxIntervalMs: 1000 })
  })
  test('a cap below the interval, or not a positive integer, is a config error naming the key', () => {
    expect(configIssues({ tables: [{ ...table, roll: { intervalMs: 5000, maxIntervalMs: 1000 } }] })).toEqual(['tables.0.roll.maxIntervalMs: must be at least roll.intervalMs'])
    expect(configIssues({ tables: [{ ...table, roll: { maxIntervalMs: 0 } }] })).toEqual(['tables.0.roll.maxIntervalMs: Invalid value: Expected >=1 but received 0'])
  })
})
