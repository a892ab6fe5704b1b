import { describe, expect, test } from 'bun:test'
import { buildDeleteIndex, noDeletes, type LiveFile } from '../../src/deletes/delete-index.ts'
import { DELETE_FILE_PATH_ID } from '../../src/deletes/position-delete-file.ts'
import type { DataFile } from '../../src/iceberg/types.ts'

const utf8 = new TextEncoder()
const file = (path: string, content: 0 | 1 | 2, extra: Partial<DataFile> = {}): DataFile => ({
  content,
  'file-path': path,
  'file-format': 'PARQUET',
  partition: ['p1'],
  'record-count': 10,
  'file-size-in-bytes': 100,
  ...extra,
})
const live = (f: DataFile, sequenceNumber: number, specId = 0): LiveFile => ({ file: f, specId, sequenceNumber })
const paths = (files: LiveFile[]) => files.map((f) => f.file['file-path'])

describe('delete index: which deletes apply to a data file', () => {
  const data = live(file('s3://b/t/data/a.parquet', 0), 5)

  test('position deletes apply at the same or a higher sequence number, in the same spec and partition', () => {
    const index = buildDeleteIndex([
      live(file('older.parquet', 1), 4),
      live(file('same.parquet', 1), 5),
      live(file('newer.parquet', 1), 6),
      live(file('other-partition.parquet', 1, { partition: ['p2'] }), 6),
      live(file('other-spec.parquet', 1), 6, 1),
    ])
    expect(paths(index.forDataFile(data).positionDeletes)).toEqual(['same.parquet', 'newer.parquet'])
  })

  test('file_path bounds and referenced-data-file narrow position deletes to the files they may hold', () => {
    const bounded = (name: string, lower: string, upper: string) =>
      live(file(name, 1, { 'lower-bounds': new Map([[DELETE_FILE_PATH_ID, utf8.encode(lower)]]), 'upper-bounds': new Map([[DELETE_FILE_PATH_ID, utf8.encode(upper)]]) }), 9)
    const index = buildDeleteIndex([
      bounded('covers.parquet', 's3://b/t/data/a', 's3://b/t/data/z'),
      bounded('before.parquet', 's3://b/t/data/b', 's3://b/t/data/c'),
      live(file('scoped-other.parquet', 1, { 'referenced-data-file': 's3://b/t/data/x.parquet' }), 9),
      live(file('scoped-mine.parquet', 1, { 'referenced-data-file': 's3://b/t/data/a.parquet' }), 9),
    ])
    expect(paths(index.forDataFile(data).positionDeletes)).toEqual(['covers.parquet', 'scoped-mine.parquet'])
  })

  test('a deletion vector for the file wins over position deletes; one for an older sequence number does not apply', () => {
    const dv = (seq: number, path = 's3://b/t/data/a.parquet') => live(file(`dv-${seq}.puffin`, 1, { 'file-format': 'PUFFIN', 'referenced-data-file': path }), seq)
    const withDv = buildDeleteIndex([dv(7), live(file('pos.parquet', 1), 8), dv(9, 's3://b/t/data/other.parquet')]).forDataFile(data)
    expect(withDv.deletionVector?.file['file-path']).toBe('dv-7.puffin')
    expect(withDv.positionDeletes).toEqual([])
    const stale = buildDeleteIndex([dv(4), live(file('pos.parquet', 1), 8)]).forDataFile(data)
    expect(stale.deletionVector).toBeUndefined()
    expect(paths(stale.positionDeletes)).toEqual(['pos.parquet'])
  })

  test('equality deletes apply only at a strictly higher sequence number; unpartitioned ones to every partition', () => {
    const index = buildDeleteIndex([
      live(file('eq-same.parquet', 2), 5),
      live(file('eq-newer.parquet', 2), 6),
      live(file('eq-global.parquet', 2, { partition: [] }), 6, 1),
    ])
    expect(paths(index.forDataFile(data).equalityDeletes)).toEqual(['eq-newer.parquet', 'eq-global.parquet'])
    expect(noDeletes(buildDeleteIndex([]).forDataFile(data))).toBe(true)
  })
})
