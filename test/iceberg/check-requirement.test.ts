import { describe, expect, test } from 'bun:test'
import { CommitConflictError } from '../../src/errors.ts'
import { checkRequirement, checkRequirements } from '../../src/iceberg/check-requirement.ts'
import { applyUpdates, newTableMetadata } from '../../src/iceberg/table-metadata.ts'
import type { TableMetadata } from '../../src/iceberg/types.ts'

const empty = newTableMetadata(
  { name: 't', schema: { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] } },
  { location: 'mem://t', tableUuid: 'uuid-a', nowMs: 0 },
)
const withData: TableMetadata = applyUpdates(
  empty,
  [
    { action: 'add-snapshot', snapshot: { 'snapshot-id': 123n, 'sequence-number': 1, 'timestamp-ms': 1, 'manifest-list': 'm', summary: { operation: 'append' } } },
    { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 123n },
  ],
  2,
)

function conflict(fn: () => void): CommitConflictError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CommitConflictError)
    expect((error as CommitConflictError).retryable).toBe(true)
    return error as CommitConflictError
  }
  throw new Error('expected a CommitConflictError')
}

describe('checkRequirement', () => {
  test('passing requirements do not throw', () => {
    expect(() =>
      checkRequirements(withData, [
        { type: 'assert-table-uuid', uuid: 'uuid-a' },
        { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 123n },
        { type: 'assert-ref-snapshot-id', ref: 'dev', 'snapshot-id': null },
        { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 1 },
        { type: 'assert-current-schema-id', 'current-schema-id': 0 },
        { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 999 },
        { type: 'assert-default-spec-id', 'default-spec-id': 0 },
        { type: 'assert-default-sort-order-id', 'default-sort-order-id': 0 },
      ]),
    ).not.toThrow()
    expect(() => checkRequirement(undefined, { type: 'assert-create' })).not.toThrow()
  })

  test('failures carry the found and expected values', () => {
    expect(conflict(() => checkRequirement(withData, { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 456n })).message).toBe(
      'requirement failed: branch main is at snapshot 123, expected 456',
    )
    expect(conflict(() => checkRequirement(withData, { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null })).message).toBe(
      'requirement failed: branch main was created concurrently (at snapshot 123), expected it not to exist',
    )
    expect(conflict(() => checkRequirement(empty, { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 9n })).message).toBe(
      'requirement failed: branch or tag main is missing, expected snapshot 9',
    )
    expect(conflict(() => checkRequirement(withData, { type: 'assert-table-uuid', uuid: 'uuid-b' })).message).toBe('requirement failed: table uuid is uuid-a, expected uuid-b')
    expect(conflict(() => checkRequirement(withData, { type: 'assert-current-schema-id', 'current-schema-id': 4 })).message).toBe(
      'requirement failed: current schema id is 0, expected 4',
    )
    expect(conflict(() => checkRequirement(withData, { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 1000 })).message).toBe(
      'requirement failed: last assigned partition id is 999, expected 1000',
    )
    expect(conflict(() => checkRequirement(withData, { type: 'assert-create' })).message).toBe('requirement failed: table already exists (uuid uuid-a)')
    expect(conflict(() => checkRequirement(undefined, { type: 'assert-table-uuid', uuid: 'x' })).message).toContain('table does not exist')
  })

  test('checkRequirements stops at the first failure', () => {
    const error = conflict(() =>
      checkRequirements(withData, [
        { type: 'assert-default-spec-id', 'default-spec-id': 3 },
        { type: 'assert-table-uuid', uuid: 'other' },
      ]),
    )
    expect(error.message).toBe('requirement failed: default spec id is 0, expected 3')
  })
})
