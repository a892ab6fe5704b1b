import { describe, expect, test } from 'bun:test'
import { configIssues } from './config-issues.ts'
import { DEFAULT_CONFIG, parseConfig } from '../../src/config/config.ts'

const issues = (raw: unknown, env = {}): string[] => configIssues(raw, env)

describe('worker config', () => {
  test('the embedded default: local catalog, fs storage, HTTP on 127.0.0.1:8181, 60 s roll', () => {
    const config = parseConfig(DEFAULT_CONFIG, {})
    expect(config.catalog).toEqual({ type: 'embedded', name: 'default' })
    expect(config.storage).toEqual({ type: 'fs' })
    expect([config.http.host, config.http.port]).toEqual(['127.0.0.1', 8181])
    expect(config.tables[0]!.roll).toEqual({ intervalMs: 60_000, maxRows: 1_000_000, maxBytes: 128 * 1024 * 1024 })
    expect(config.wal.fsync).toBe(true)
  })

  test('environment overrides switch to REST + S3 and are validated', () => {
    const config = parseConfig(DEFAULT_CONFIG, {
      ICEBERG_CATALOG_URI: 'http://127.0.0.1:39181',
      ICEBERG_CATALOG_TOKEN: 't0k',
      S3_ENDPOINT: 'http://127.0.0.1:39000',
      S3_ACCESS_KEY_ID: 'a',
      S3_SECRET_ACCESS_KEY: 'b',
      INGEST_HTTP_PORT: '9000',
      KAFKA_BOOTSTRAP: 'k1:9092, k2:9092',
    })
    expect(config.catalog).toMatchObject({ type: 'rest', uri: 'http://127.0.0.1:39181', auth: { type: 'bearer', token: 't0k' } })
    expect(config.storage).toMatchObject({ type: 's3', endpoint: 'http://127.0.0.1:39000', accessKeyId: 'a' })
    expect(config.http.port).toBe(9000)
    expect(config.kafka?.brokers).toEqual(['k1:9092', 'k2:9092'])
    expect(issues(DEFAULT_CONFIG, { INGEST_HTTP_PORT: 'eighty' })).toEqual(['INGEST_HTTP_PORT=eighty: not a port (0-65535)'])
  })

  test('every problem is reported at once, by key', () => {
    const found = issues({
      http: { port: 70000 },
      tables: [
        { name: 'nonamespace', schema: 'id long' },
        { name: 'a.b', schema: 'id bigint' },
        { name: 'a.c', schema: 'id long', partitionBy: 'day(id)' },
      ],
    })
    expect(found.some((i) => i.startsWith('http.port:'))).toBe(true)
    expect(found.some((i) => i.startsWith('tables.0.name:') && i.includes('namespace.table'))).toBe(true)
    const semantic = issues({ tables: [{ name: 'a.b', schema: 'id bigint' }, { name: 'a.c', schema: 'id long', partitionBy: 'day(id)', kafka: { topics: ['t'] } }, { name: 'a.b', schema: 'id long' }] })
    expect(semantic.find((i) => i.startsWith('tables.0.schema:'))).toContain('write long')
    expect(semantic.some((i) => i.startsWith('tables.1.partitionBy:'))).toBe(true)
    expect(semantic.some((i) => i.startsWith('tables.1.kafka:') && i.includes('kafka.brokers'))).toBe(true)
    expect(semantic.some((i) => i.startsWith('tables.2.name:') && i.includes('declared twice'))).toBe(true)
  })

  test('S3 storage without credentials is refused with where to put them', () => {
    expect(issues({ storage: { type: 's3' }, catalog: { type: 'rest', uri: 'http://x' }, tables: DEFAULT_CONFIG.tables })).toEqual([
      'storage.accessKeyId: S3 storage needs credentials (storage.accessKeyId/secretAccessKey, S3_ACCESS_KEY_ID or AWS_ACCESS_KEY_ID)',
    ])
  })
})

describe('resolved once at the boundary', () => {
  test('each table carries its identifier, parsed schema and partition spec; S3 credentials fall back to AWS_* here', () => {
    const config = parseConfig(
      {
        catalog: { type: 'rest', uri: 'http://127.0.0.1:1' },
        storage: { type: 's3', endpoint: 'http://127.0.0.1:2' },
        tables: [{ name: 'a.b.t', schema: 'id long not null, ts timestamp', partitionBy: 'day(ts)' }],
      },
      { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' },
    )
    const resolved = config.tables[0]!.resolved
    expect(resolved.identifier).toEqual({ namespace: ['a', 'b'], name: 't' })
    expect(resolved.schema.fields.map((f) => [f.name, f.type])).toEqual([['id', 'long'], ['ts', 'timestamp']])
    expect(resolved.partitionSpec!.fields.map((f) => f.transform)).toEqual(['day'])
    expect(config.storage).toMatchObject({ accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' })
    // What the file or S3_* set wins over AWS_*.
    const own = parseConfig({ storage: { type: 's3', accessKeyId: 'mine', secretAccessKey: 'ours' }, catalog: { type: 'embedded', warehouse: 's3://b/w' }, tables: DEFAULT_CONFIG.tables }, { AWS_ACCESS_KEY_ID: 'AKID' })
    expect(own.storage).toMatchObject({ accessKeyId: 'mine', secretAccessKey: 'ours' })
  })
})
