/** Commit requirements checked against the table's current metadata (REST spec: `TableRequirement`). */
import { CommitConflictError } from '../errors.ts'
import type { TableRequirement } from './requirements.ts'
import type { TableMetadata } from './types.ts'

function failed(message: string, requirement: TableRequirement): CommitConflictError {
  return new CommitConflictError(`requirement failed: ${message}`, { context: { requirement: requirement.type } })
}

function checkId(requirement: TableRequirement, what: string, actual: number, expected: number): void {
  if (actual !== expected) throw failed(`${what} is ${actual}, expected ${expected}`, requirement)
}

/**
 * Checks one requirement; `metadata` undefined means the table does not exist. Pure.
 * Throws CommitConflictError (code COMMIT_CONFLICT, retryable) with the found and expected values,
 * e.g. `requirement failed: branch main is at snapshot 123, expected 456`.
 */
export function checkRequirement(metadata: TableMetadata | undefined, requirement: TableRequirement): void {
  if (requirement.type === 'assert-create') {
    if (metadata !== undefined) throw failed(`table already exists (uuid ${metadata['table-uuid']})`, requirement)
    return
  }
  if (metadata === undefined) throw failed(`table does not exist (${requirement.type})`, requirement)
  switch (requirement.type) {
    case 'assert-table-uuid':
      if (metadata['table-uuid'] !== requirement.uuid) throw failed(`table uuid is ${metadata['table-uuid']}, expected ${requirement.uuid}`, requirement)
      return
    case 'assert-ref-snapshot-id': {
      const ref = metadata.refs[requirement.ref]
      const expected = requirement['snapshot-id']
      if (ref === undefined) {
        if (expected !== null) throw failed(`branch or tag ${requirement.ref} is missing, expected snapshot ${expected}`, requirement)
        return
      }
      if (expected === null) {
        throw failed(`${ref.type} ${requirement.ref} was created concurrently (at snapshot ${ref['snapshot-id']}), expected it not to exist`, requirement)
      }
      if (ref['snapshot-id'] !== expected) throw failed(`${ref.type} ${requirement.ref} is at snapshot ${ref['snapshot-id']}, expected ${expected}`, requirement)
      return
    }
    case 'assert-last-assigned-field-id':
      return checkId(requirement, 'last assigned field id', metadata['last-column-id'], requirement['last-assigned-field-id'])
    case 'assert-current-schema-id':
      return checkId(requirement, 'current schema id', metadata['current-schema-id'], requirement['current-schema-id'])
    case 'assert-last-assigned-partition-id':
      return checkId(requirement, 'last assigned partition id', metadata['last-partition-id'], requirement['last-assigned-partition-id'])
    case 'assert-default-spec-id':
      return checkId(requirement, 'default spec id', metadata['default-spec-id'], requirement['default-spec-id'])
    case 'assert-default-sort-order-id':
      return checkId(requirement, 'default sort order id', metadata['default-sort-order-id'], requirement['default-sort-order-id'])
    default: {
      const unknown: never = requirement
      throw failed(`unknown requirement type ${(unknown as { type: string }).type}`, requirement)
    }
  }
}

/** Checks every requirement in order. Throws CommitConflictError (code COMMIT_CONFLICT) at the first that fails. */
export function checkRequirements(metadata: TableMetadata | undefined, requirements: readonly TableRequirement[]): void {
  for (const requirement of requirements) checkRequirement(metadata, requirement)
}
