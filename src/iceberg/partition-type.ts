/** The partition tuple's type: one field per spec field, typed by its transform's result (spec: "Partitioning"). */
import { ValidationError } from '../errors.ts'
import { fieldById, isPrimitive } from './schema.ts'
import { transformResultType } from './transforms.ts'
import type { PartitionSpec, PrimitiveType, Schema } from './types.ts'

export interface PartitionFieldType {
  name: string
  fieldId: number
  sourceType: PrimitiveType
  type: PrimitiveType
}

/** Throws ValidationError (code VALIDATION) when a spec field's source is missing or not primitive. */
export function partitionType(spec: PartitionSpec, schema: Schema): PartitionFieldType[] {
  return spec.fields.map((field) => {
    const source = fieldById(schema, field['source-id'])
    if (!source) throw new ValidationError(`partition field ${field.name} refers to missing source column id ${field['source-id']}`)
    if (!isPrimitive(source.type)) {
      throw new ValidationError(`partition field ${field.name} has a non-primitive source column ${source.name}`)
    }
    const sourceType = source.type as PrimitiveType
    return { name: field.name, fieldId: field['field-id'], sourceType, type: transformResultType(field.transform, sourceType) }
  })
}
