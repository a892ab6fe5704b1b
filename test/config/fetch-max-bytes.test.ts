/** kafka.fetchMaxBytes: how much of a topic one fetch brings (Kafka's fetch.max.bytes), 1 MiB unless set, never below 64 KiB. */
import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../src/config/config.ts'
import { configIssues } from './config-issues.ts'

const table = { name: 'ns.events', schema: 'id long not null', kafka: { topics: ['events'] } }

describe('kafka.fetchMaxBytes', () => {
  test('1 MiB unless set; a value is kept as given', () => {
    expect(parseConfig({ kafka: { brokers: ['k:9092'] }, tables: [table] }).kafka!.fetchMaxBytes).toBe(1024 * 1024)
    expect(parseConfig({ kafka: { brokers: ['k:9092'], fetchMaxBytes: 262_144 }, tables: [table] }).kafka!.fetchMaxBytes).toBe(262_144)
  })

  test('below 64 KiB, or not an integer, is refused with the key named', () => {
    for (const fetchMaxBytes of [1_000, 65_536.5, '1MB']) {
      expect(configIssues({ kafka: { brokers: ['k:9092'], fetchMaxBytes }, tables: [table] })[0]).toStartWith('kafka.fetchMaxBytes:')
    }
  })
})
