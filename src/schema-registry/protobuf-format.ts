/**
 * Protobuf writer schemas → Iceberg types, and Protobuf payloads → records (edge-safe): the .proto text
 * becomes a descriptor (proto-descriptor.ts), @bufbuild/protobuf decodes by reflection over it.
 *
 * Types: message → struct · repeated → list (elements required) · map<K, V> → map<K', V'> (values required)
 *   int32, sint32, sfixed32 → int · uint32, fixed32 → long (beyond int) · int64, sint64, sfixed64 → long
 *   uint64, fixed64 → long (values past 2^63-1 are refused by the coercer, never wrapped) · float, double,
 *   bool, string as such · bytes → binary · enum → string (the value's name; an unknown number as its digits)
 *   google.protobuf.Timestamp → timestamptz · the wrapper types (Int64Value, ...) → their primitive, optional
 *   oneof members → optional fields of the message (one of them set). Recursive messages: UnsupportedSchemaError.
 * Presence: a proto3 field without `optional` always has a value (its zero default), so it is required and
 * always filled; fields with presence (proto3 `optional`, proto2 optional, messages, oneof members) are
 * optional and null when unset; proto2 `required` is required.
 */
import { createFileRegistry, type DescField, type DescMessage, fromBinary, ScalarType } from '@bufbuild/protobuf'
import { reflect, type ReflectList, type ReflectMap, type ReflectMessage } from '@bufbuild/protobuf/reflect'
import {
  FeatureSet_FieldPresence,
  file_google_protobuf_any,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_field_mask,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_wrappers,
} from '@bufbuild/protobuf/wkt'
import { floorDiv, floorMod, formatTimestamp } from '../iceberg/datetime.ts'
import type { IcebergType, NestedField, PrimitiveType, StructType } from '../iceberg/types.ts'
import { protoFileDescriptor } from './proto-descriptor.ts'
import { readMessageIndexes } from './wire-format.ts'
import { childPath, integerValue, placeholderIds, UnsupportedSchemaError, type ReadResult, type Writer, type WriterSchema } from './writer-schema.ts'

const WELL_KNOWN_FILES = new Map(
  [file_google_protobuf_any, file_google_protobuf_duration, file_google_protobuf_empty, file_google_protobuf_field_mask, file_google_protobuf_struct, file_google_protobuf_timestamp, file_google_protobuf_wrappers].map(
    (file) => [file.proto.name, file],
  ),
)

const SCALARS: Record<ScalarType, PrimitiveType> = {
  [ScalarType.DOUBLE]: 'double',
  [ScalarType.FLOAT]: 'float',
  [ScalarType.INT64]: 'long',
  [ScalarType.UINT64]: 'long',
  [ScalarType.INT32]: 'int',
  [ScalarType.FIXED64]: 'long',
  [ScalarType.FIXED32]: 'long',
  [ScalarType.BOOL]: 'boolean',
  [ScalarType.STRING]: 'string',
  [ScalarType.BYTES]: 'binary',
  [ScalarType.UINT32]: 'long',
  [ScalarType.SFIXED32]: 'int',
  [ScalarType.SFIXED64]: 'long',
  [ScalarType.SINT32]: 'int',
  [ScalarType.SINT64]: 'long',
}

const WRAPPERS = new Set(['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map((name) => `google.protobuf.${name}`))

type Convert = (value: unknown) => unknown

interface Mapped {
  type: IcebergType
  convert: Convert
}

function scalarValue(value: unknown): unknown {
  if (typeof value === 'bigint') return integerValue(value)
  // The reader's bytes are views into the Kafka fetch buffer: a copy does not pin it.
  if (value instanceof Uint8Array) return value.slice()
  return value
}

/** ISO text of a google.protobuf.Timestamp; nanoseconds past the microseconds stay, so the coercer refuses them rather than truncating. */
function timestampText(message: ReflectMessage): string {
  const seconds = message.get(message.desc.field.seconds!) as bigint
  const nanos = message.get(message.desc.field.nanos!) as number
  if (nanos % 1000 === 0) return formatTimestamp(seconds * 1_000_000n + BigInt(nanos / 1000), true)
  const total = seconds * 1_000_000_000n + BigInt(nanos)
  const whole = floorDiv(total, 1_000_000_000n)
  return `${formatTimestamp(whole * 1_000_000n, false)}.${floorMod(total, 1_000_000_000n).toString().padStart(9, '0')}Z`
}

function mapMessage(desc: DescMessage, path: string, ids: () => number, open: Set<DescMessage>): Mapped {
  if (desc.typeName === 'google.protobuf.Timestamp') return { type: 'timestamptz', convert: (v) => timestampText(v as ReflectMessage) }
  if (WRAPPERS.has(desc.typeName)) {
    const inner = desc.fields[0]!
    return { type: SCALARS[inner.scalar!], convert: (v) => scalarValue((v as ReflectMessage).get(inner)) }
  }
  if (open.has(desc)) throw new UnsupportedSchemaError(path, `message ${desc.typeName} contains itself; Iceberg has no recursive types`)
  open.add(desc)
  const fieldIds = desc.fields.map(() => ids())
  const parts = desc.fields.map((field) => mapField(field, childPath(path, field.name), ids, open))
  open.delete(desc)
  const fields: NestedField[] = desc.fields.map((field, i) => ({ id: fieldIds[i]!, name: field.name, required: parts[i]!.required, type: parts[i]!.type }))
  const reads = desc.fields.map((field, i) => ({ field, name: field.name, ...parts[i]! }))
  return {
    type: { type: 'struct', fields },
    convert: (value) => {
      const message = value as ReflectMessage
      const record: Record<string, unknown> = Object.create(null)
      for (const { field, name, convert, alwaysSet } of reads) {
        record[name] = alwaysSet || message.isSet(field) ? convert(message.get(field)) : null
      }
      return record
    },
  }
}

function mapEnum(field: DescField & { enum: NonNullable<DescField['enum']> }): Convert {
  const names = new Map(field.enum.values.map((value) => [value.number, value.name]))
  return (value) => names.get(value as number) ?? String(value)
}

function mapSingular(field: DescField, path: string, ids: () => number, open: Set<DescMessage>): Mapped {
  if (field.scalar !== undefined) return { type: SCALARS[field.scalar], convert: scalarValue }
  if (field.enum !== undefined) return { type: 'string', convert: mapEnum(field as DescField & { enum: NonNullable<DescField['enum']> }) }
  return mapMessage(field.message!, path, ids, open)
}

function mapField(field: DescField, path: string, ids: () => number, open: Set<DescMessage>): Mapped & { required: boolean; alwaysSet: boolean } {
  switch (field.fieldKind) {
    case 'list': {
      const elementId = ids()
      const element = mapSingular(field, `${path}[]`, ids, open)
      return {
        type: { type: 'list', 'element-id': elementId, element: element.type, 'element-required': true },
        required: true,
        alwaysSet: true,
        convert: (value) => Array.from(value as ReflectList, element.convert),
      }
    }
    case 'map': {
      const keyId = ids()
      const valueId = ids()
      const mapValue = mapSingular(field, `${path}{}`, ids, open)
      return {
        type: { type: 'map', 'key-id': keyId, key: SCALARS[field.mapKey], 'value-id': valueId, value: mapValue.type, 'value-required': true },
        required: true,
        alwaysSet: true,
        convert: (value) => Array.from(value as ReflectMap, ([key, item]) => ({ key: scalarValue(key), value: mapValue.convert(item) })),
      }
    }
    default: {
      const mapped = mapSingular(field, path, ids, open)
      const implicit = field.presence === FeatureSet_FieldPresence.IMPLICIT
      return { ...mapped, required: implicit || field.presence === FeatureSet_FieldPresence.LEGACY_REQUIRED, alwaysSet: implicit }
    }
  }
}

/** The message at `indexes` (top-level index, then nested ones) of `messages`. */
function messageAt(messages: readonly DescMessage[], indexes: number[]): DescMessage | undefined {
  let found: DescMessage | undefined
  let level = messages
  for (const index of indexes) {
    found = level[index]
    if (!found) return undefined
    level = found.nestedMessages
  }
  return found
}

/**
 * The writer schema for .proto text registered under `id`. Each payload names its message by indexes
 * (almost always [0], the file's first message); every message gets its own mapping and writer key.
 * @throws UnsupportedSchemaError `SCHEMA_UNSUPPORTED` (see proto-descriptor.ts and the types above), or
 *   protobufjs's Error for text that does not parse.
 */
export function protobufWriterSchema(id: number, text: string): WriterSchema {
  const fileProto = protoFileDescriptor(`schema-${id}.proto`, text)
  const registry = createFileRegistry(fileProto, (name) => WELL_KNOWN_FILES.get(name))
  const file = registry.getFile(fileProto.name)!
  if (!file.messages.length) throw new UnsupportedSchemaError('', `schema id ${id} declares no message`)
  const mappings = new Map<DescMessage, Mapped & { writer: Writer }>()
  const mappingOf = (desc: DescMessage, indexes: number[]) => {
    let mapped = mappings.get(desc)
    if (!mapped) {
      const message = mapMessage(desc, '', placeholderIds(), new Set())
      const key = indexes.length === 1 && indexes[0] === 0 ? String(id) : `${id}:${indexes.join('.')}`
      mappings.set(desc, (mapped = { ...message, writer: { key, fields: message.type as StructType } }))
    }
    return mapped
  }
  // The first message is mapped up front, so a schema Iceberg cannot hold fails here, once, for every record.
  mappingOf(file.messages[0]!, [0])
  return {
    id,
    read(payload): ReadResult {
      const framed = readMessageIndexes(payload)
      if (!framed.ok) return { ok: false, reason: `${framed.reason} (schema id ${id})` }
      const desc = messageAt(file.messages, framed.indexes)
      if (!desc) return { ok: false, reason: `message index [${framed.indexes.join(', ')}] names no message of schema id ${id}` }
      let mapped: Mapped & { writer: Writer }
      try {
        mapped = mappingOf(desc, framed.indexes)
      } catch (error) {
        return { ok: false, reason: `schema id ${id} message ${desc.typeName}: ${(error as Error).message}` }
      }
      try {
        const message = fromBinary(desc, framed.payload)
        return { ok: true, record: mapped.convert(reflect(desc, message)) as Record<string, unknown>, writer: mapped.writer }
      } catch (error) {
        return { ok: false, reason: `Protobuf payload does not decode as ${desc.typeName} of schema id ${id}: ${(error as Error).message}` }
      }
    },
  }
}
