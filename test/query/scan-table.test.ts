import { afterAll, describe, expect, test } from 'bun:test'
import type { RecordBatch } from 'apache-arrow'
import type { IcebergValue, Row } from '../../src/iceberg/types.ts'
import { holds, bindPredicates, type Predicate } from '../../src/query/predicate.ts'
import { hostDecompressors } from '../../src/adapter/bun/decompress.ts'
import { scanTable } from '../../src/query/scan-table.ts'
import { seededRandom } from '../../scripts/cli/sensor-data.ts'
import { localWarehouse } from './fixture.ts'
import { POOLS, soundnessTable } from './soundness-table.ts'

const ROUNDS = 100
const wh = localWarehouse()
afterAll(() => wh.cleanup())

async function collect(batches: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = []
  for await (const batch of batches) out.push(batch)
  return out
}

/** Raw values of one column across batches (BigInt64 for longs/timestamps, so nothing is rounded). */
function column(batches: RecordBatch[], name: string): unknown[] {
  return batches.flatMap((b) => {
    const vector = b.getChild(name)!
    return Array.from({ length: b.numRows }, (_, i) => (vector.isValid(i) ? (vector.data[0]!.values as ArrayLike<unknown>)[i] : null))
  })
}

describe('scanTable', () => {
  test(`pruning never loses a row: ${ROUNDS} random filters return exactly the rows a full filter keeps`, async () => {
    const rows = await soundnessTable(wh, 'scan.sound', 11)
    const table = await wh.catalog.loadTable({ namespace: ['scan'], name: 'sound' })
    const schema = table.metadata.schemas[0]!
    const random = seededRandom(5)
    const pick = <T>(pool: readonly T[]): T => pool[Math.floor(random() * pool.length)]!
    const literal: Record<string, () => unknown> = {
      id: () => BigInt(Math.floor(random() * 1300) - 50),
      name: () => pick(POOLS.name.filter((v) => v !== null)),
      ts: () => 1_767_225_600_000_000n + BigInt(Math.floor(random() * 12 * 2.7e12)),
      d: () => 20_000 + Math.floor(random() * 90),
      x: () => pick(POOLS.x.filter((v) => v !== null)),
      n: () => pick(POOLS.n.filter((v) => v !== null)),
      dec: () => BigInt(Math.floor(random() * 12_000) - 4500),
      flag: () => random() < 0.5,
    }
    const ops = ['=', '!=', '<', '<=', '>', '>=', 'in', 'is-null', 'is-not-null'] as const
    let pruningSeen = 0
    for (let round = 0; round < ROUNDS; round++) {
      const filter: Predicate[] = Array.from({ length: 1 + Math.floor(random() * 2) }, () => {
        const columnName = pick(Object.keys(literal))
        const op = pick(ops)
        if (op === 'is-null' || op === 'is-not-null') return { column: columnName, op }
        if (op === 'in') return { column: columnName, op, values: [literal[columnName]!(), literal[columnName]!()] }
        return { column: columnName, op, value: literal[columnName]!() }
      })
      const bound = bindPredicates(schema, filter)
      const expected = rows.filter((row) => bound.every((p) => holds(p.type, p.op, p.values, row[p.column] as IcebergValue))).map((r) => r.seq)
      let planned = 0
      let total = 0
      const batches = await collect(scanTable(table, { io: wh.io, columns: ['seq'], filter, onPlan: (plan) => ((planned = plan.files.length), (total = plan.totalFiles)) }))
      if (planned < total) pruningSeen++
      const got = column(batches, 'seq') as bigint[]
      expect({ filter: JSON.stringify(filter, (_, v) => (typeof v === 'bigint' ? `${v}n` : Number.isNaN(v) ? 'NaN' : v)), rows: got.sort() }).toEqual({
        filter: JSON.stringify(filter, (_, v) => (typeof v === 'bigint' ? `${v}n` : Number.isNaN(v) ? 'NaN' : v)),
        rows: (expected as bigint[]).sort(),
      })
    }
    // The test means something only if pruning happened often.
    expect(pruningSeen).toBeGreaterThan(ROUNDS / 4)
  }, 60_000)

  test('every primitive type arrives in Arrow with its exact value; columns, snapshot and zstd files', async () => {
    const table = await wh.table('scan.types', 'b boolean, i int, l long, f float, d double, dec decimal(38,10), dt date, tm time, ts timestamp, tz timestamptz, s string, u uuid, bin binary')
    const row: Row = {
      b: true, i: -7, l: -(2n ** 62n), f: 1.5, d: Number.NaN, dec: -(10n ** 30n) - 1n, dt: -1, tm: 86_399_999_999n, ts: 1_767_225_600_000_001n,
      tz: -1n, s: 'héllo 😀', u: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', bin: new Uint8Array([0, 255]),
    }
    const nulls: Row = Object.fromEntries(Object.keys(row).map((k) => [k, null]))
    await table.append([row, nulls])
    const first = table.current().metadata['current-snapshot-id']!
    const zstd = await import('../../src/adapter/bun/zstd.ts')
    const { loadTable } = await import('../../src/table/table.ts')
    const writer = await loadTable({ catalog: wh.catalog, io: wh.io, compression: 'zstd', compressors: { zstd: zstd.zstdCompress } }, table.identifier)
    await writer.append([row])
    const batches = await collect(scanTable(writer, { io: wh.io, compressors: hostDecompressors }))
    expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(3)
    const types = Object.fromEntries(batches[0]!.schema.fields.map((f) => [f.name, String(f.type)]))
    expect(types).toEqual({
      b: 'Bool', i: 'Int32', l: 'Int64', f: 'Float32', d: 'Float64', dec: 'Decimal[38e+10]', dt: 'Date32<DAY>', tm: 'Time64<MICROSECOND>',
      ts: 'Timestamp<MICROSECOND>', tz: 'Timestamp<MICROSECOND, UTC>', s: 'Utf8', u: 'FixedSizeBinary[16]', bin: 'Binary',
    })
    // Files come in manifest order (newest first): put the all-null row last.
    batches.sort((a, b) => b.numRows - a.numRows)
    const full = batches.find((b) => b.numRows === 1)!
    const all = (name: string) => batches.flatMap((b) => Array.from({ length: b.numRows }, (_, i) => b.getChild(name)!.get(i)))
    expect(column(batches, 'l')).toEqual([row.l, null, row.l])
    expect(column(batches, 'ts')).toEqual([row.ts, null, row.ts])
    expect(column(batches, 'tz')).toEqual([-1n, null, -1n])
    expect(column(batches, 'tm')).toEqual([row.tm, null, row.tm])
    expect(column(batches, 'dt')).toEqual([-1, null, -1])
    expect(all('s')).toEqual([row.s, null, row.s])
    expect(all('b')).toEqual([true, null, true])
    expect(Number.isNaN(all('d')[0])).toBe(true)
    expect(Array.from(all('bin')[0] as Uint8Array)).toEqual([0, 255])
    expect(Buffer.from(all('u')[0] as Uint8Array).toString('hex')).toBe('0f1e2d3c4b5a69788796a5b4c3d2e1f0')
    // Decimal128 words: -(10^30) - 1 as 128-bit two's complement.
    const words = full.getChild('dec')!.data[0]!.values as Uint32Array
    let value = 0n
    for (let w = 3; w >= 0; w--) value = (value << 32n) | BigInt(words[w]!)
    expect(BigInt.asIntN(128, value)).toBe(row.dec as bigint)

    const projected = await collect(scanTable(writer, { io: wh.io, compressors: hostDecompressors, columns: ['s', 'i'], snapshot: first, filter: [{ column: 'i', op: 'is-not-null' }] }))
    expect(projected.map((b) => b.schema.fields.map((f) => f.name))).toEqual([['s', 'i']])
    expect(projected[0]!.numRows).toBe(1)
    await expect(collect(scanTable(writer, { io: wh.io, columns: ['nope'] }))).rejects.toMatchObject({ code: 'UNKNOWN_COLUMN' })
    // zstd pages without a decompressor: the error names the file.
    await expect(collect(scanTable(writer, { io: wh.io }))).rejects.toThrow(/cannot read data file .*\.parquet/)
  })
})
