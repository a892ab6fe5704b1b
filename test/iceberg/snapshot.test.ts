import { describe, expect, test } from 'bun:test'
import { ValidationError } from '../../src/errors.ts'
import { appendSummary, newSnapshotId, replaceSummary } from '../../src/iceberg/snapshot.ts'

describe('newSnapshotId', () => {
  test('positive, within 63 bits, and not repeating', () => {
    const ids = new Set<bigint>()
    for (let i = 0; i < 1000; i++) {
      const id = newSnapshotId()
      expect(id > 0n && id < 1n << 63n).toBe(true)
      ids.add(id)
    }
    expect(ids.size).toBe(1000)
    // Random 63-bit ids are almost always beyond 2^53, which is why the JSON layer keeps them exact.
    expect([...ids].some((id) => id > BigInt(Number.MAX_SAFE_INTEGER))).toBe(true)
  })
})

describe('appendSummary', () => {
  test('the first snapshot starts totals at zero', () => {
    expect(appendSummary(undefined, { dataFiles: 2, records: 10, fileSizeBytes: 300, partitions: 1 }, { 'kafka.offsets': '{"t":{"0":10}}' })).toEqual({
      operation: 'append',
      'kafka.offsets': '{"t":{"0":10}}',
      'added-data-files': '2',
      'added-records': '10',
      'added-files-size': '300',
      'changed-partition-count': '1',
      'total-records': '10',
      'total-files-size': '300',
      'total-data-files': '2',
      'total-delete-files': '0',
      'total-position-deletes': '0',
      'total-equality-deletes': '0',
    })
  })

  test('totals add to the parent totals, exactly beyond 2^53', () => {
    const previous = appendSummary(undefined, { dataFiles: 1, records: 5, fileSizeBytes: 100, partitions: 1 })
    const big = { ...previous, 'total-records': '9007199254740993' }
    const next = appendSummary(big, { dataFiles: 3, records: 7, fileSizeBytes: 50, partitions: 2 })
    expect(next['total-records']).toBe('9007199254741000')
    expect(next['total-data-files']).toBe('4')
    expect(next['total-files-size']).toBe('150')
    expect(next['total-delete-files']).toBe('0')
  })

  test('a parent without a total leaves that total out rather than guessing', () => {
    const next = appendSummary({ operation: 'append', 'total-records': '5' }, { dataFiles: 1, records: 1, fileSizeBytes: 1, partitions: 1 })
    expect(next['total-records']).toBe('6')
    expect(next['total-data-files']).toBeUndefined()
  })

  test('computed keys win over extra; negative counts are rejected', () => {
    expect(appendSummary(undefined, { dataFiles: 1, records: 1, fileSizeBytes: 1, partitions: 1 }, { 'total-records': '999', operation: 'delete' })).toMatchObject({
      operation: 'append',
      'total-records': '1',
    })
    expect(() => appendSummary(undefined, { dataFiles: -1, records: 1, fileSizeBytes: 1, partitions: 1 })).toThrow(ValidationError)
  })
})

describe('replaceSummary', () => {
  test('compaction keeps total records and moves file totals', () => {
    const previous = appendSummary(undefined, { dataFiles: 10, records: 100, fileSizeBytes: 1000, partitions: 1 })
    const next = replaceSummary(previous, { addedDataFiles: 1, addedRecords: 100, addedFilesSize: 900, deletedDataFiles: 10, deletedRecords: 100, removedFilesSize: 1000, partitions: 1 }, { 'kafka.offsets': 'x' })
    expect(next).toMatchObject({ operation: 'replace', 'total-records': '100', 'total-data-files': '1', 'total-files-size': '900', 'deleted-data-files': '10', 'kafka.offsets': 'x' })
  })
})
