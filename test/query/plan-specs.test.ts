/** Planning a table whose partition spec evolved (e.g. by another engine): each file is pruned by its own spec. */
import { afterAll, describe, expect, test } from 'bun:test'
import { planScan } from '../../src/query/plan.ts'
import { BASE_MICROS, localWarehouse } from './fixture.ts'

const wh = localWarehouse()
afterAll(() => wh.cleanup())

const DAY_MICROS = 86_400_000_000n
/** day(ts) of BASE_MICROS: days since 1970-01-01. */
const DAY0 = Number(BASE_MICROS / DAY_MICROS)
const rows = (days: number[]) =>
  days.flatMap((day) => Array.from({ length: 8 }, (_, i) => ({ id: BigInt(day * 100 + i), sensor_id: `s${i % 4}`, ts: BASE_MICROS + BigInt(day) * DAY_MICROS + BigInt(i) * 1_000_000n })))

describe('planScan over several partition specs', () => {
  test('files of spec 0 (identity sensor_id) and spec 1 (day(ts)) are each pruned by their own partition fields', async () => {
    const table = await wh.table('specs.evolved', 'id long, sensor_id string, ts timestamp', 'sensor_id')
    await table.append(rows([0, 1])) // spec 0: one file per sensor, s0..s3
    await wh.catalog.commitTable(table.identifier, {
      requirements: [],
      updates: [
        { action: 'add-spec', spec: { 'spec-id': 1, fields: [{ 'source-id': 3, 'field-id': 1001, name: 'ts_day', transform: 'day' }] } },
        { action: 'set-default-spec', 'spec-id': -1 },
      ],
    })
    await table.refresh()
    await table.append(rows([2, 3])) // spec 1: one file per day
    const metadata = table.current().metadata
    const all = await planScan({ io: wh.io, metadata })
    expect(all.files.map((f) => f.specId).sort()).toEqual([0, 0, 0, 0, 1, 1])
    expect(all.totalRecords).toBe(32)

    // sensor_id is a partition field of spec 0 only: three spec-0 files go by partition, spec-1 files cannot.
    const bySensor = await planScan({ io: wh.io, metadata, filter: [{ column: 'sensor_id', op: '=', value: 's1' }] })
    expect(bySensor.files.map((f) => [f.specId, f.dataFile.partition])).toEqual(
      expect.arrayContaining([[0, ['s1']], [1, [DAY0 + 2]], [1, [DAY0 + 3]]]),
    )
    expect(bySensor.files).toHaveLength(3)
    expect(bySensor.prunedFiles.map((f) => f.reason)).toEqual(['partition', 'partition', 'partition'])

    // ts is a partition source of spec 1 only: day 2 goes by partition; the spec-0 files (days 0-1) by their ts bounds.
    const lastDay = await planScan({ io: wh.io, metadata, filter: [{ column: 'ts', op: '>=', value: BASE_MICROS + 3n * DAY_MICROS }] })
    expect(lastDay.files.map((f) => [f.specId, f.dataFile.partition])).toEqual([[1, [DAY0 + 3]]])
    expect(lastDay.prunedFiles.map((f) => f.reason).sort()).toEqual(['metrics', 'metrics', 'metrics', 'metrics', 'partition'])
  })
})
