/** Config of registry formats on Kafka: tables[].kafka.format and the top-level kafka.schemaRegistry. */
import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../src/config/config.ts'
import { ConfigError } from '../../src/errors.ts'

const table = (kafka: Record<string, unknown>) => ({ name: 'ns.events', schema: 'id long', kafka: { topics: ['events'], ...kafka } })

const issues = (raw: unknown): string[] => {
  try {
    parseConfig(raw, {})
  } catch (error) {
    if (error instanceof ConfigError) return error.issues
    throw error
  }
  return []
}

describe('registry formats in the config', () => {
  test('format defaults to json; avro with a registry and basic or bearer auth', () => {
    expect(parseConfig({ kafka: { brokers: ['k:9092'] }, tables: [table({})] }, {}).tables[0]!.kafka!.format).toBe('json')
    const config = parseConfig(
      {
        kafka: { brokers: ['k:9092'], schemaRegistry: { url: 'http://registry:8081', auth: { type: 'basic', username: 'u', password: 'p' } } },
        tables: [table({ format: 'avro' }), { ...table({ format: 'protobuf', groupId: 'other' }), name: 'ns.other' }],
      },
      {},
    )
    expect(config.kafka!.schemaRegistry).toEqual({ url: 'http://registry:8081', auth: { type: 'basic', username: 'u', password: 'p' } })
    expect(config.tables.map((t) => t.kafka!.format)).toEqual(['avro', 'protobuf'])
    expect(parseConfig({ kafka: { brokers: ['k:9092'], schemaRegistry: { url: 'https://r', auth: { type: 'bearer', token: 't' } } }, tables: [table({ format: 'json-schema' })] }, {}).kafka!.schemaRegistry!.auth).toEqual({ type: 'bearer', token: 't' })
  })

  test('a registry format without kafka.schemaRegistry, an unknown format, a bad url or auth are refused by key', () => {
    expect(issues({ kafka: { brokers: ['k:9092'] }, tables: [table({ format: 'avro' })] })).toEqual([
      'tables.0.kafka.format: "avro" needs the top-level kafka.schemaRegistry (its url, e.g. http://registry:8081)',
    ])
    expect(issues({ kafka: { brokers: ['k:9092'] }, tables: [table({ format: 'thrift' })] }).join('\n')).toContain('tables.0.kafka.format')
    expect(issues({ kafka: { brokers: ['k:9092'], schemaRegistry: { url: 'registry:8081' } }, tables: [table({ format: 'avro' })] })).toEqual([
      'kafka.schemaRegistry.url: "registry:8081" is not an http(s) URL',
    ])
    expect(issues({ kafka: { brokers: ['k:9092'], schemaRegistry: { url: 'http://r', auth: { type: 'oauth' } } }, tables: [table({ format: 'avro' })] }).join('\n')).toContain('kafka.schemaRegistry.auth')
    expect(issues({ kafka: { brokers: ['k:9092'], schemaRegistry: { url: 'http://r', token: 'x' } }, tables: [table({ format: 'avro' })] }).join('\n')).toContain('kafka.schemaRegistry.token')
  })
})
