import { afterAll, describe, expect, test } from 'bun:test'
import { QueryError } from '../../src/query/errors.ts'
import { planScan } from '../../src/query/plan.ts'
import { appendSecondsApart, BASE_MICROS, localWarehouse, sensorRows } from './fixture.ts'

const wh = localWarehouse()
afterAll(() => wh.cleanup())

describe('planScan', () => {
  test('identity partition: an equality keeps only that partition\'s files, a manifest without it is pruned whole', async () => {
    const table = await wh.table('plan.by_sensor', 'sensor_id string, timestamp timestamp, reading double', 'sensor_id')
    await table.append(sensorRows(400, 4)) // s0..s3, one file each
    await table.append(sensorRows(400, 4, 400))
    await table.append(sensorRows(100, 1).map((r) => ({ ...r, sensor_id: 'z9' }))) // a manifest holding only z9
    const metadata = table.current().metadata
    const all = await planScan({ io: wh.io, metadata })
    expect(all.files.length).toBe(9)
    expect(all.totalFiles).toBe(9)
    expect(all.totalRecords).toBe(900)
    const one = await planScan({ io: wh.io, metadata, filter: [{ column: 'sensor_id', op: '=', value: 's1' }] })
    expect(one.files.map((f) => f.dataFile.partition)).toEqual([['s1'], ['s1']])
    expect(one.manifests).toEqual({ total: 3, pruned: 1, prunedFiles: 1, prunedRecords: 100 })
    expect(one.prunedFiles.every((f) => f.reason === 'partition')).toBe(true)
    expect(one.files.length + one.prunedFiles.length + one.manifests.prunedFiles).toBe(one.totalFiles)
    const some = await planScan({ io: wh.io, metadata, filter: [{ column: 'sensor_id', op: 'in', values: ['s0', 'z9'] }] })
    expect(some.files.map((f) => f.dataFile.partition[0]).sort()).toEqual(['s0', 's0', 'z9'])
    const none = await planScan({ io: wh.io, metadata, filter: [{ column: 'sensor_id', op: 'is-null' }] })
    expect(none.files).toEqual([])
    const notS1 = await planScan({ io: wh.io, metadata, filter: [{ column: 'sensor_id', op: '!=', value: 's1' }] })
    expect(notS1.files.length).toBe(7)
  })

  test('column bounds: files whose reading or timestamp range cannot match are skipped', async () => {
    const table = await wh.table('plan.bounds', 'sensor_id string, timestamp timestamp, reading double')
    // three unpartitioned files with disjoint time ranges
    for (let k = 0; k < 3; k++) await table.append(sensorRows(100, 2, k * 100))
    const metadata = table.current().metadata
    const late = await planScan({ io: wh.io, metadata, filter: [{ column: 'timestamp', op: '>=', value: '2026-01-01T00:03:20' }] })
    expect(late.files.length).toBe(1) // rows 200..299 start at second 200
    expect(late.prunedFiles.map((f) => f.reason)).toEqual(['metrics', 'metrics'])
    const edge = await planScan({ io: wh.io, metadata, filter: [{ column: 'timestamp', op: '>', value: BASE_MICROS + 199_000_000n }] })
    expect(edge.files.length).toBe(1)
    const inclusive = await planScan({ io: wh.io, metadata, filter: [{ column: 'timestamp', op: '>=', value: BASE_MICROS + 199_000_000n }] })
    expect(inclusive.files.length).toBe(2)
    const high = await planScan({ io: wh.io, metadata, filter: [{ column: 'reading', op: '>', value: 1000 }] })
    expect(high.files).toEqual([])
  })

  test('transforms: day() and bucket() and truncate() partitions prune through the projected predicate', async () => {
    const table = await wh.table('plan.transforms', 'id long, name string, ts timestamp', 'day(ts), bucket(4, id), truncate(2, name)')
    const day = 86_400_000_000n
    await table.append(Array.from({ length: 64 }, (_, i) => ({ id: BigInt(i), name: `n${i % 3}x`, ts: BASE_MICROS + BigInt(i % 2) * day })))
    const metadata = table.current().metadata
    const all = await planScan({ io: wh.io, metadata })
    const onDay2 = await planScan({ io: wh.io, metadata, filter: [{ column: 'ts', op: '>', value: '2026-01-01T23:59:59' }] })
    expect(onDay2.files.length).toBeGreaterThan(0)
    expect(onDay2.files.every((f) => f.dataFile.partition[0] === 20455)).toBe(true)
    expect(onDay2.files.length + onDay2.prunedFiles.length).toBe(all.files.length)
    const id7 = await planScan({ io: wh.io, metadata, filter: [{ column: 'id', op: '=', value: 7 }] })
    const bucket = id7.files[0]!.dataFile.partition[1]
    expect(id7.files.every((f) => f.dataFile.partition[1] === bucket)).toBe(true)
    expect(id7.files.length).toBeLessThan(all.files.length)
    const prefix = await planScan({ io: wh.io, metadata, filter: [{ column: 'name', op: '>=', value: 'n2' }] })
    expect(prefix.files.every((f) => f.dataFile.partition[2] === 'n2')).toBe(true)
  })

  test('time travel by snapshot id and as-of; errors name what exists', async () => {
    const table = await wh.table('plan.travel', 'sensor_id string, timestamp timestamp, reading double')
    await appendSecondsApart(table, sensorRows(10, 2), sensorRows(10, 2, 10))
    const metadata = table.current().metadata
    const [first, second] = table.snapshots()
    expect((await planScan({ io: wh.io, metadata, snapshotId: first!['snapshot-id'] })).totalRecords).toBe(10)
    expect((await planScan({ io: wh.io, metadata, asOfMs: second!['timestamp-ms'] - 1 })).totalRecords).toBe(10)
    expect((await planScan({ io: wh.io, metadata, asOfMs: second!['timestamp-ms'] })).totalRecords).toBe(20)
    const missing = planScan({ io: wh.io, metadata, snapshotId: 42n })
    await expect(missing).rejects.toThrow(/snapshot 42 is not in the table .*newest: \d+/)
    await expect(planScan({ io: wh.io, metadata, asOfMs: 0 })).rejects.toMatchObject({ code: 'NO_SNAPSHOT_AS_OF' })
    await expect(planScan({ io: wh.io, metadata, filter: [{ column: 'nope', op: 'is-null' }] })).rejects.toBeInstanceOf(QueryError)
    await expect(planScan({ io: wh.io, metadata, filter: [{ column: 'reading', op: '=', value: 'hot' }] })).rejects.toMatchObject({ code: 'INVALID_FILTER' })
  })

  test('a table without snapshots plans nothing', async () => {
    const table = await wh.table('plan.empty', 'a int')
    const plan = await planScan({ io: wh.io, metadata: table.current().metadata, filter: [{ column: 'a', op: '=', value: 1 }] })
    expect(plan).toMatchObject({ snapshot: undefined, files: [], totalFiles: 0 })
  })
})
