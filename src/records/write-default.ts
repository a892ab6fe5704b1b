/** Column write defaults (format v3, spec "Default values"): what a record that omits a field gets, converted once per schema. */
import { ValidationError } from '../errors.ts'
import { isPrimitive, parsePrimitive } from '../iceberg/schema.ts'
import type { IcebergValue, NestedField } from '../iceberg/types.ts'
import { Invalid } from './invalid.ts'
import { primitiveConverter } from './primitives.ts'

/** Hex (the JSON single-value form of binary and fixed, spec Appendix D) → base64, which the binary converter takes. */
function hexToBase64(hex: string): string | undefined {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) return undefined
  let text = ''
  for (let i = 0; i < hex.length; i += 2) text += String.fromCharCode(Number.parseInt(hex.slice(i, i + 2), 16))
  return btoa(text)
}

/**
 * The canonical value of a field's `write-default`, or undefined when it has none. The default is in the JSON
 * single-value form (spec Appendix D): numbers, ISO date/time text, decimal text, hex for binary and fixed, which the
 * record converters read as they read input (longs past 2^53 arrive as bigint from parseJson and go as text).
 * Only primitive columns take defaults here; a struct's default (always `{}` in the spec) is not applied.
 * @throws ValidationError (code VALIDATION) naming the field when the default does not convert to its type.
 */
export function writeDefaultOf(field: NestedField): IcebergValue | undefined {
  const json = field['write-default']
  if (json === undefined || json === null || !isPrimitive(field.type)) return undefined
  const kind = parsePrimitive(field.type).kind
  let input: unknown = typeof json === 'bigint' ? String(json) : json
  if ((kind === 'binary' || kind === 'fixed') && typeof json === 'string') input = hexToBase64(json) ?? json
  const value = primitiveConverter(field.type)(input)
  if (value instanceof Invalid) {
    throw new ValidationError(`field ${field.name} (id ${field.id}): write-default ${JSON.stringify(typeof json === 'bigint' ? String(json) : json)} is not a ${field.type}: ${value.problem}`, { field: field.name })
  }
  return value
}
