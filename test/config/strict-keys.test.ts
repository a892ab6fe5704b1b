import { describe, expect, test } from 'bun:test'
import { configIssues } from './config-issues.ts'
import { parseConfig } from '../../src/config/config.ts'
import { closestKey, editDistance } from '../../src/config/unknown-keys.ts'

const issues = (raw: unknown, env = {}): string[] => configIssues(raw, env)

const table = { name: 'learning.sensor_readings', schema: 'sensor_id string, timestamp timestamp, reading double' }
const TABLE_KEYS = 'name, schema, partitionBy, schemaEvolution, extraFields, properties, formatVersion, roll, http, kafka, upsert, maintenance'

describe('an unknown key in the config file is refused, by its full path', () => {
  test('a misspelt top-level key names the key meant', () => {
    expect(issues({ tables: [table], dataDri: '/srv/data' })).toEqual(['dataDri: unknown key; did you mean dataDir?'])
  })

  test('roll.intervalMS: the case differs from intervalMs', () => {
    expect(issues({ tables: [{ ...table, roll: { intervalMS: 5000 } }] })).toEqual(['tables.0.roll.intervalMS: unknown key; did you mean intervalMs?'])
  })

  test('tables[0].partitonBy: one letter missing', () => {
    expect(issues({ tables: [{ ...table, partitonBy: 'sensor_id' }] })).toEqual(['tables.0.partitonBy: unknown key; did you mean partitionBy?'])
  })

  test('keys a table does not take are refused, with the keys it takes', () => {
    const refused = issues({ tables: [{ ...table, formatVersion: 3, mergeOnRead: true }] })
    expect(refused).toHaveLength(1)
    // the list grows with features (upsert, ...); that it names the table's keys is the point
    expect(refused[0]).toStartWith(`tables.0.mergeOnRead: unknown key; expected one of ${TABLE_KEYS.split(', formatVersion')[0]}, formatVersion, roll`)
  })

  test('in the rest catalog variant and in its auth: the keys of the variant its type names', () => {
    const catalog = { type: 'rest', uri: 'http://127.0.0.1:8181', warehous: 'analytics', auth: { type: 'bearer', token: 't', scope: 'all' } }
    expect(issues({ catalog, tables: [table] })).toEqual([
      'catalog.warehous: unknown key for type "rest"; did you mean warehouse?',
      'catalog.auth.scope: unknown key for type "bearer"; expected one of type, token',
    ])
    // The REST catalog's key on the embedded one: a forgotten "type": "rest".
    expect(issues({ catalog: { type: 'embedded', uri: 'http://127.0.0.1:8181' }, tables: [table] })).toEqual([
      'catalog.uri: unknown key for type "embedded"; expected one of type, path, warehouse, name',
    ])
  })

  test('deeper: storage, wal, kafka, table http, kafka columns, maintenance tasks', () => {
    expect(
      issues({
        storage: { type: 's3', accessKeyId: 'a', pathstyle: true },
        wal: { fsynk: false },
        kafka: { brokers: ['kafka-1:9092'], clientID: 'ingest' },
        tables: [
          {
            ...table,
            http: { tokns: ['t'] },
            kafka: { topics: ['sensor_data'], columns: { partiton: 'p' } },
            maintenance: { compaction: { minInputfiles: 3 }, orphans: { olderThan: 1 } },
          },
        ],
        catalog: { type: 'embedded', warehouse: 's3://bucket/wh' },
      }),
    ).toEqual([
      'storage.pathstyle: unknown key for type "s3"; did you mean pathStyle?',
      'wal.fsynk: unknown key; did you mean fsync?',
      'kafka.clientID: unknown key; did you mean clientId?',
      'tables.0.http.tokns: unknown key; did you mean tokens?',
      'tables.0.kafka.columns.partiton: unknown key; did you mean partition?',
      'tables.0.maintenance.compaction.minInputfiles: unknown key; did you mean minInputFiles?',
      'tables.0.maintenance.orphans.olderThan: unknown key; did you mean olderThanMs?',
    ])
  })

  test('free-form maps keep any key: properties and catalog.headers', () => {
    const raw = {
      catalog: { type: 'rest', uri: 'http://127.0.0.1:8181', headers: { 'X-Iceberg-Access-Delegation': 'vended-credentials' } },
      storage: { type: 's3', accessKeyId: 'a' },
      tables: [{ ...table, properties: { 'write.parquet.compression-codec': 'zstd', anything: 'goes' }, http: false, maintenance: { orphans: false } }],
    }
    const config = parseConfig(raw)
    expect(config.tables[0]!.properties).toEqual({ 'write.parquet.compression-codec': 'zstd', anything: 'goes' })
    expect(config.catalog).toMatchObject({ headers: { 'X-Iceberg-Access-Delegation': 'vended-credentials' } })
    // Only the table's own misspelt key is refused, not the maps' keys next to it.
    expect(issues({ ...raw, tables: [{ ...raw.tables[0], propertes: {} }] })).toEqual(['tables.0.propertes: unknown key; did you mean properties?'])
  })

  test('several problems at once: unknown keys in several objects, two in one object, next to invalid values', () => {
    expect(
      issues({
        htpp: { port: 8181 },
        tables: [
          { ...table, roll: { intervalMS: 1000, maxRow: 10, maxBytes: 0 } },
          { ...table, name: 'learning.other', partitonBy: 'sensor_id' },
        ],
      }),
    ).toEqual([
      'htpp: unknown key; did you mean http?',
      'tables.0.roll.intervalMS: unknown key; did you mean intervalMs?',
      'tables.0.roll.maxRow: unknown key; did you mean maxRows?',
      'tables.1.partitonBy: unknown key; did you mean partitionBy?',
      'tables.0.roll.maxBytes: Invalid value: Expected >=1 but received 0',
    ])
  })

  test('a key set from the environment is not the file\'s typo: ICEBERG_CATALOG_TOKEN on the embedded catalog keeps its own problem', () => {
    expect(issues({ tables: [table], catalog: { type: 'embedded', nmae: 'main' } }, { ICEBERG_CATALOG_TOKEN: 'secret' })).toEqual([
      'catalog.nmae: unknown key for type "embedded"; did you mean name?',
      'ICEBERG_CATALOG_TOKEN (value not shown): the embedded catalog takes no auth; set ICEBERG_CATALOG_URI (or catalog.type "rest" and catalog.uri) for a REST catalog',
    ])
  })
})

describe('the key meant', () => {
  test('edit distance counts a transposition as one edit', () => {
    expect(editDistance('nmae', 'name')).toBe(1)
    expect(editDistance('partitonBy', 'partitionBy')).toBe(1)
    expect(editDistance('kitten', 'sitting')).toBe(3)
  })

  test('case is ignored; within 2 edits, 1 for keys under 6 characters', () => {
    expect(closestKey('INTERVALMS', ['intervalMs', 'maxRows'])).toBe('intervalMs')
    expect(closestKey('maxByts', ['maxRows', 'maxBytes'])).toBe('maxBytes')
    expect(closestKey('ttl', ['http', 'tables'])).toBeUndefined()
    expect(closestKey('upsert', ['name', 'schema', 'partitionBy'])).toBeUndefined()
  })
})
