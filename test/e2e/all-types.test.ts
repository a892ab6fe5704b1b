/**
 * Issue 4 acceptance 3: every primitive type, nested struct/list/map, and one partition field per
 * transform, written by us through the REST catalog and read back exactly by PyIceberg.
 */
import { expect, test, setDefaultTimeout } from 'bun:test'
import { createRestCatalog } from '../../src/catalog/rest/client.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import type { Row } from '../../src/iceberg/types.ts'
import { zstdCompress } from '../../src/adapter/bun/zstd.ts'
import { createFileIO } from '../../src/storage/file-io.ts'
import { createS3Store } from '../../src/storage/s3/index.ts'
import { createTable, dropTable } from '../../src/table/table.ts'
import { runPython } from './pyiceberg.ts'
import { stackEnv } from './stack-env.ts'

// Real services on a 2-core machine: far beyond bun's 5 s default (set per file: bun applies it to the calling file only).
setDefaultTimeout(120_000)

const schema = parseSchemaDsl(
  [
    'id int not null, b boolean, i int, l long, f float, d double, dec decimal(10,2), big_dec decimal(38,6)',
    'dt date, tm time, ts timestamp, tstz timestamptz, s string, u uuid, fx fixed[4], bin binary',
    'st struct<a:int,b:string>, li list<long>, mp map<string,double>, v int',
  ].join(', '),
)
const spec = parsePartitionDsl('s, bucket(8, l), truncate(3, s), year(ts), month(tstz), day(dt), hour(ts), void(v)', schema)

const rows: Row[] = [
  {
    id: 1,
    b: true,
    i: -2147483648,
    l: 9007199254740993n,
    f: 1.5,
    d: -0.1,
    dec: 12345678n, // 123456.78
    big_dec: 12345678901234567890123456789012n, // 26 integer digits, 6 fraction digits
    dt: 20454, // 2026-01-01
    tm: 45296789012n, // 12:34:56.789012
    ts: 1767225600123456n, // 2026-01-01T00:00:00.123456
    tstz: -1000001n, // 1969-12-31T23:59:58.999999Z
    s: 'zürich 🚀',
    u: 'f79c3e09-677c-4bbd-a479-3f349cb785e7',
    fx: new Uint8Array([0, 1, 2, 255]),
    bin: new Uint8Array([222, 173, 190, 239]),
    st: { a: 7, b: 'inner' },
    li: [1n, -2n, 3n],
    mp: new Map([['x', 1.25], ['y', -2.5]]),
    v: 42,
  },
  { id: 2, s: 'nulls', st: { a: null, b: null }, li: [], mp: new Map() },
  { id: 3, s: null, st: null, li: null, mp: null, dec: -1n, big_dec: -999999999999999999999999999999999999n, dt: -1, ts: -1n },
]

interface Report {
  count: number
  rows: Record<string, unknown>[]
  planned_files: string[]
}

test('every type round-trips exactly through PyIceberg, partitioned by every transform', async () => {
  const env = stackEnv()
  const credentials = { accessKeyId: env.s3AccessKeyId, secretAccessKey: env.s3SecretAccessKey }
  const options = {
    catalog: createRestCatalog({ uri: env.restUri }),
    io: createFileIO([createS3Store({ bucket: env.s3Bucket, region: env.s3Region, endpoint: env.s3Endpoint, credentials })]),
    compressors: { zstd: zstdCompress },
  }
  const namespace = `types_${crypto.randomUUID().slice(0, 8)}`
  const identifier = { namespace: [namespace], name: 'all_types' }
  const table = await createTable(options, identifier, { schema, partitionSpec: spec, createNamespace: true })
  await table.append(rows)

  const report = (await runPython('table_report.py', [
    JSON.stringify({ table: `${namespace}.all_types`, catalog: { type: 'rest' }, rows: true }),
  ])) as Report
  expect(report.count).toBe(3)
  const byId = new Map(report.rows.map((row) => [row.id as number, row]))
  expect(byId.get(1)).toEqual({
    id: 1,
    b: true,
    i: -2147483648,
    l: 9007199254740993,
    f: 1.5,
    d: -0.1,
    dec: '123456.78',
    big_dec: '12345678901234567890123456.789012',
    dt: '2026-01-01',
    tm: '12:34:56.789012',
    ts: '2026-01-01T00:00:00.123456',
    tstz: '1969-12-31T23:59:58.999999+00:00',
    s: 'zürich 🚀',
    u: 'f79c3e09-677c-4bbd-a479-3f349cb785e7',
    fx: { base64: 'AAEC/w==' },
    bin: { base64: '3q2+7w==' },
    st: { a: 7, b: 'inner' },
    li: [1, -2, 3],
    mp: [['x', 1.25], ['y', -2.5]],
    v: 42,
  })
  const nulls = byId.get(2)!
  expect(nulls.b).toBeNull()
  expect(nulls.u).toBeNull()
  expect(nulls.st).toEqual({ a: null, b: null })
  expect(nulls.li).toEqual([])
  const third = byId.get(3)!
  expect([third.s, third.st, third.li, third.mp]).toEqual([null, null, null, null])
  expect(third.dec).toBe('-0.01')
  expect(third.big_dec).toBe('-999999999999999999999999999999.999999')
  expect(third.dt).toBe('1969-12-31')
  expect(third.ts).toBe('1969-12-31T23:59:59.999999')
  // Each row has its own partition tuple, so PyIceberg plans one file per row.
  expect(report.planned_files).toHaveLength(3)
  expect(report.planned_files.find((f) => f.includes('s=z%C3%BCrich'))).toContain('ts_year=2026/tstz_month=1969-12/dt_day=2026-01-01/ts_hour=2026-01-01-00/v_null=null')
  await dropTable(options, identifier, { purge: true })
  await options.catalog.dropNamespace(identifier.namespace)
})
