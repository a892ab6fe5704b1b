/** Orphan removal: a planted file goes, nothing else does; the age guard, dry run, a foreign nested table, a mismatched listing. */
import { describe, expect, test } from 'bun:test'
import { MaintenanceError } from '../../src/maintenance/errors.ts'
import { compactTable } from '../../src/maintenance/compact.ts'
import { removeOrphanFiles } from '../../src/maintenance/orphans.ts'
import type { FileIO } from '../../src/storage/file-io.ts'
import { createTable } from '../../src/table/table.ts'
import { appendMany, fixture, identifier, schema, storedObjects, tableRows } from './table-fixture.ts'

const FOUR_DAYS = 4 * 24 * 3600 * 1000
const later = () => Date.now() + FOUR_DAYS

describe('removeOrphanFiles', () => {
  test('deletes planted unreferenced files and nothing else; dry run first', async () => {
    const f = await fixture()
    await appendMany(f, 4, 5)
    await compactTable({ catalog: f.catalog, io: f.io }, identifier)
    const location = f.table.current().metadata.location
    const planted = [`${location}/data/sensor_id=s0/stray.parquet`, `${location}/metadata/stray.avro`, `${location}/elsewhere.txt`]
    for (const p of planted) await f.io.write(p, new Uint8Array([1, 2, 3]))
    const before = await storedObjects(f)
    const rowsBefore = await tableRows(f)

    const dry = await removeOrphanFiles({ catalog: f.catalog, io: f.io, now: later }, identifier)
    expect(dry.dryRun).toBe(true)
    expect(dry.orphans.map((o) => o.location).sort()).toEqual([...planted].sort())
    expect(await storedObjects(f)).toEqual(before)

    const real = await removeOrphanFiles({ catalog: f.catalog, io: f.io, now: later }, identifier, { dryRun: false })
    expect(real.orphans).toHaveLength(3)
    expect(before.filter((o) => !planted.includes(o))).toEqual(await storedObjects(f))
    expect(await tableRows(f)).toEqual(rowsBefore)
  })

  test('files younger than the safety age are kept', async () => {
    const f = await fixture()
    await appendMany(f, 2, 5)
    await f.io.write(`${f.table.current().metadata.location}/data/in-flight.parquet`, new Uint8Array([1]))
    const result = await removeOrphanFiles({ catalog: f.catalog, io: f.io }, identifier, { dryRun: false })
    expect(result.orphans).toEqual([])
    expect(result.tooNew).toBe(1)
    const shortAge = await removeOrphanFiles({ catalog: f.catalog, io: f.io, now: () => Date.now() + 10_000 }, identifier, { dryRun: false, olderThanMs: 5_000 })
    expect(shortAge.orphans).toHaveLength(1)
  })

  test('a table nested inside the location is left alone', async () => {
    const f = await fixture()
    await appendMany(f, 2, 5)
    const location = f.table.current().metadata.location
    const nested = await createTable({ catalog: f.catalog, io: f.io }, { namespace: ['ns'], name: 'inner' }, { schema, location: `${location}/inner` })
    await nested.append([{ id: 1n, sensor_id: 'x', reading: 1, at: 0n }])
    const result = await removeOrphanFiles({ catalog: f.catalog, io: f.io, now: later }, identifier, { dryRun: false })
    expect(result.orphans).toEqual([])
    expect(result.foreign).toBeGreaterThan(2)
  })

  test('a listing that shows none of the table files (scheme/alias mismatch) refuses', async () => {
    const f = await fixture()
    await appendMany(f, 2, 5)
    const aliased: FileIO = {
      ...f.io,
      async *list(prefix) {
        for await (const o of f.io.list(prefix)) yield { ...o, location: o.location.replace('memory://wh/', 'memory://wh/alias/') }
      },
    }
    const error = await removeOrphanFiles({ catalog: f.catalog, io: aliased, now: later }, identifier, { dryRun: false }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MaintenanceError)
    expect((error as MaintenanceError).code).toBe('PREFIX_MISMATCH')
  })
})
