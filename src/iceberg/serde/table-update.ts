/** Commit updates and requirements <-> the REST spec's JSON (`TableUpdate` by `action`, `TableRequirement` by `type`). */
import type { TableRequirement } from '../requirements.ts'
import type { TableUpdate } from '../updates.ts'
import { asArray, asObject, defined, invalid, optInt, reqInt, reqLong, reqString, stringMap, toLong } from './read-json.ts'
import { partitionSpecFromJson, partitionSpecToJson, schemaFromJson, schemaToJson, sortOrderFromJson, sortOrderToJson } from './schema.ts'
import { snapshotFromJson, snapshotRefFromJson, snapshotToJson } from './snapshot.ts'
import { partitionStatisticsFileFromJson, partitionStatisticsFileToJson, statisticsFileFromJson, statisticsFileToJson } from './statistics.ts'

/** The request-body form of an update: the model already is the wire shape, with nested objects in Java's key order. */
export function tableUpdateToJson(update: TableUpdate): unknown {
  switch (update.action) {
    case 'add-schema':
      return defined({ action: update.action, schema: schemaToJson(update.schema), 'last-column-id': update['last-column-id'] })
    case 'add-spec':
      return { action: update.action, spec: partitionSpecToJson(update.spec) }
    case 'add-sort-order':
      return { action: update.action, 'sort-order': sortOrderToJson(update['sort-order']) }
    case 'add-snapshot':
      return { action: update.action, snapshot: snapshotToJson(update.snapshot) }
    case 'remove-snapshots':
      return { action: update.action, 'snapshot-ids': [...update['snapshot-ids']] }
    case 'set-statistics':
      return { action: update.action, statistics: statisticsFileToJson(update.statistics) }
    case 'set-partition-statistics':
      return { action: update.action, 'partition-statistics': partitionStatisticsFileToJson(update['partition-statistics']) }
    default:
      return defined({ ...update })
  }
}

/** Reads one update of a commit request. Throws ValidationError (code VALIDATION) for an unknown action or bad field. */
export function tableUpdateFromJson(json: unknown, path = 'update'): TableUpdate {
  const obj = asObject(json, path)
  const action = reqString(obj, 'action', path)
  switch (action) {
    case 'assign-uuid':
      return { action, uuid: reqString(obj, 'uuid', path) }
    case 'upgrade-format-version':
      return { action, 'format-version': reqInt(obj, 'format-version', path) }
    case 'add-schema': {
      const lastColumnId = optInt(obj, 'last-column-id', path)
      const schema = schemaFromJson(obj.schema, `${path}.schema`)
      return lastColumnId === undefined ? { action, schema } : { action, schema, 'last-column-id': lastColumnId }
    }
    case 'set-current-schema':
      return { action, 'schema-id': reqInt(obj, 'schema-id', path) }
    case 'add-spec':
      return { action, spec: partitionSpecFromJson(obj.spec, `${path}.spec`) }
    case 'set-default-spec':
      return { action, 'spec-id': reqInt(obj, 'spec-id', path) }
    case 'add-sort-order':
      return { action, 'sort-order': sortOrderFromJson(obj['sort-order'], `${path}.sort-order`) }
    case 'set-default-sort-order':
      return { action, 'sort-order-id': reqInt(obj, 'sort-order-id', path) }
    case 'add-snapshot':
      return { action, snapshot: snapshotFromJson(obj.snapshot, `${path}.snapshot`) }
    case 'set-snapshot-ref':
      return { action, 'ref-name': reqString(obj, 'ref-name', path), ...snapshotRefFromJson(obj, path) }
    case 'remove-snapshots':
      return { action, 'snapshot-ids': asArray(obj['snapshot-ids'], `${path}.snapshot-ids`).map((id, i) => toLong(id, `${path}.snapshot-ids[${i}]`)) }
    case 'remove-snapshot-ref':
      return { action, 'ref-name': reqString(obj, 'ref-name', path) }
    case 'set-location':
      return { action, location: reqString(obj, 'location', path) }
    case 'set-properties':
      return { action, updates: stringMap(obj.updates, `${path}.updates`) }
    case 'remove-properties':
      return {
        action,
        removals: asArray(obj.removals, `${path}.removals`).map((key, i) => {
          if (typeof key !== 'string') throw invalid(`${path}.removals[${i}]`, 'a string', key)
          return key
        }),
      }
    case 'set-statistics':
      return { action, statistics: statisticsFileFromJson(obj.statistics, `${path}.statistics`) }
    case 'remove-statistics':
      return { action, 'snapshot-id': reqLong(obj, 'snapshot-id', path) }
    case 'set-partition-statistics':
      return { action, 'partition-statistics': partitionStatisticsFileFromJson(obj['partition-statistics'], `${path}.partition-statistics`) }
    case 'remove-partition-statistics':
      return { action, 'snapshot-id': reqLong(obj, 'snapshot-id', path) }
    default:
      throw invalid(`${path}.action`, 'a v2 table update action this toolkit applies', action)
  }
}

/** The request-body form of a requirement (`snapshot-id: null` kept: it asserts the ref does not exist). */
export function tableRequirementToJson(requirement: TableRequirement): unknown {
  return { ...requirement }
}

/** Reads one requirement of a commit request. Throws ValidationError (code VALIDATION) for an unknown type or bad field. */
export function tableRequirementFromJson(json: unknown, path = 'requirement'): TableRequirement {
  const obj = asObject(json, path)
  const type = reqString(obj, 'type', path)
  switch (type) {
    case 'assert-create':
      return { type }
    case 'assert-table-uuid':
      return { type, uuid: reqString(obj, 'uuid', path) }
    case 'assert-ref-snapshot-id':
      return { type, ref: reqString(obj, 'ref', path), 'snapshot-id': obj['snapshot-id'] === null ? null : reqLong(obj, 'snapshot-id', path) }
    case 'assert-last-assigned-field-id':
    case 'assert-current-schema-id':
    case 'assert-last-assigned-partition-id':
    case 'assert-default-spec-id':
    case 'assert-default-sort-order-id': {
      const key = type.slice('assert-'.length)
      return { type, [key]: reqInt(obj, key, path) } as TableRequirement
    }
    default:
      throw invalid(`${path}.type`, 'a table requirement type', type)
  }
}
