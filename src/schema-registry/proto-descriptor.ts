/**
 * .proto text → a google.protobuf.FileDescriptorProto (edge-safe), what protoc would produce for it, so
 * @bufbuild/protobuf can decode by reflection. protobufjs does the parsing only: its parser builds plain
 * reflection objects, while its encoders and decoders are generated with `Function` at run time, which
 * Workers forbid and which we never call. @bufbuild/protobuf cannot parse .proto text, but decodes from
 * descriptors without generated code (and passes the Protobuf conformance suite).
 *
 * Imports may name the well-known types (google/protobuf/*.proto); imports of other files (registry
 * references) are refused until references are supported. proto2 and proto3 only, no editions yet.
 */
import protobuf from 'protobufjs'
import { create, type MessageInitShape } from '@bufbuild/protobuf'
import {
  type DescriptorProtoSchema,
  type EnumDescriptorProtoSchema,
  type FieldDescriptorProtoSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt'
import { UnsupportedSchemaError } from './writer-schema.ts'

/** The well-known files an import may name; @bufbuild/protobuf carries their descriptors. */
export const WELL_KNOWN_IMPORTS = [
  'google/protobuf/any.proto',
  'google/protobuf/duration.proto',
  'google/protobuf/empty.proto',
  'google/protobuf/field_mask.proto',
  'google/protobuf/struct.proto',
  'google/protobuf/timestamp.proto',
  'google/protobuf/wrappers.proto',
] as const

const SCALAR_TYPES: Record<string, FieldDescriptorProto_Type> = {
  double: FieldDescriptorProto_Type.DOUBLE,
  float: FieldDescriptorProto_Type.FLOAT,
  int64: FieldDescriptorProto_Type.INT64,
  uint64: FieldDescriptorProto_Type.UINT64,
  int32: FieldDescriptorProto_Type.INT32,
  fixed64: FieldDescriptorProto_Type.FIXED64,
  fixed32: FieldDescriptorProto_Type.FIXED32,
  bool: FieldDescriptorProto_Type.BOOL,
  string: FieldDescriptorProto_Type.STRING,
  bytes: FieldDescriptorProto_Type.BYTES,
  uint32: FieldDescriptorProto_Type.UINT32,
  sfixed32: FieldDescriptorProto_Type.SFIXED32,
  sfixed64: FieldDescriptorProto_Type.SFIXED64,
  sint32: FieldDescriptorProto_Type.SINT32,
  sint64: FieldDescriptorProto_Type.SINT64,
}

type MessageInit = MessageInitShape<typeof DescriptorProtoSchema>
type FieldInit = MessageInitShape<typeof FieldDescriptorProtoSchema>
type EnumInit = MessageInitShape<typeof EnumDescriptorProtoSchema>

/** `foo_bar` → `FooBarEntry`, the name protoc gives a map field's entry message. */
function mapEntryName(field: string): string {
  return `${field.replace(/(?:^|_)([a-z])/g, (_, c: string) => c.toUpperCase()).replace(/_/g, '')}Entry`
}

/** `.pkg.Outer.Inner` of a resolved protobufjs type. */
function qualified(object: protobuf.ReflectionObject): string {
  return object.fullName.startsWith('.') ? object.fullName : `.${object.fullName}`
}

function valueType(field: protobuf.Field | protobuf.MapField, path: string): Pick<FieldInit, 'type' | 'typeName'> {
  const scalar = SCALAR_TYPES[field.type]
  if (scalar !== undefined) return { type: scalar }
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Enum) return { type: FieldDescriptorProto_Type.ENUM, typeName: qualified(resolved) }
  if (resolved instanceof protobuf.Type) {
    if ((resolved as protobuf.Type & { group?: boolean }).group) throw new UnsupportedSchemaError(path, 'proto2 groups are not supported')
    return { type: FieldDescriptorProto_Type.MESSAGE, typeName: qualified(resolved) }
  }
  throw new UnsupportedSchemaError(path, `type ${field.type} is not defined`)
}

function enumDescriptor(type: protobuf.Enum): EnumInit {
  return { name: type.name, value: Object.entries(type.values).map(([name, number]) => ({ name, number })) }
}

function messageDescriptor(type: protobuf.Type, path: string): MessageInit {
  // Real oneofs first, then proto3 `optional`'s synthetic ones, as protoc orders them.
  const oneofs = [...type.oneofsArray].sort((a, b) => Number(a.isProto3Optional) - Number(b.isProto3Optional))
  const nestedType: MessageInit[] = []
  const enumType: EnumInit[] = []
  for (const nested of type.nestedArray) {
    if (nested instanceof protobuf.Type) nestedType.push(messageDescriptor(nested, `${path}.${nested.name}`))
    else if (nested instanceof protobuf.Enum) enumType.push(enumDescriptor(nested))
  }
  const field = type.fieldsArray.map((f): FieldInit => {
    const where = `${path}.${f.name}`
    if (f instanceof protobuf.MapField) {
      const entry = mapEntryName(f.name)
      const keyType = SCALAR_TYPES[f.keyType]
      if (keyType === undefined) throw new UnsupportedSchemaError(where, `map key type ${f.keyType} is not a scalar`)
      nestedType.push({
        name: entry,
        field: [
          { name: 'key', number: 1, label: FieldDescriptorProto_Label.OPTIONAL, type: keyType },
          { name: 'value', number: 2, label: FieldDescriptorProto_Label.OPTIONAL, ...valueType(f, where) },
        ],
        options: { mapEntry: true },
      })
      return { name: f.name, number: f.id, label: FieldDescriptorProto_Label.REPEATED, type: FieldDescriptorProto_Type.MESSAGE, typeName: `${qualified(type)}.${entry}` }
    }
    const oneof = f.partOf ? oneofs.indexOf(f.partOf) : -1
    return {
      name: f.name,
      number: f.id,
      label: f.repeated ? FieldDescriptorProto_Label.REPEATED : f.required ? FieldDescriptorProto_Label.REQUIRED : FieldDescriptorProto_Label.OPTIONAL,
      ...valueType(f, where),
      ...(oneof >= 0 ? { oneofIndex: oneof } : {}),
      ...(f.partOf?.isProto3Optional ? { proto3Optional: true } : {}),
    }
  })
  return { name: type.name, field, nestedType, enumType, oneofDecl: oneofs.map((o) => ({ name: o.name })) }
}

/** `proto2` or `proto3` as the text declares it (proto2 when it does not). */
function syntaxOf(text: string): 'proto2' | 'proto3' {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '')
  if (/^\s*edition\s*=/m.test(code)) throw new UnsupportedSchemaError('', 'Protobuf editions are not supported yet (proto2 and proto3 are)')
  return /^\s*syntax\s*=\s*["']proto3["']/m.test(code) ? 'proto3' : 'proto2'
}

/**
 * The descriptor of one .proto file named `name`.
 * @throws UnsupportedSchemaError `SCHEMA_UNSUPPORTED` for editions, groups and imports other than the
 *   well-known types; protobufjs's Error for text that does not parse or names undefined types.
 */
export function protoFileDescriptor(name: string, text: string): FileDescriptorProto {
  const syntax = syntaxOf(text)
  const parsed = protobuf.parse(text, new protobuf.Root(), { keepCase: true })
  const imports = [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]
  const unknown = imports.filter((file) => !(WELL_KNOWN_IMPORTS as readonly string[]).includes(file))
  if (unknown.length) throw new UnsupportedSchemaError('', `imports ${unknown.join(', ')}: only the well-known google/protobuf types can be imported (schema references are not supported yet)`)
  const root = parsed.root
  const scope = parsed.package ? root.lookup(parsed.package) : root
  if (!(scope instanceof protobuf.Namespace)) throw new UnsupportedSchemaError('', `package ${parsed.package} declares nothing`)
  // The file's own top-level definitions, taken before the well-known types join the same root.
  const topLevel = [...scope.nestedArray]
  for (const file of imports) root.addJSON(protobuf.common.get(file)!.nested!)
  root.resolveAll()
  const prefix = parsed.package ?? ''
  return create(FileDescriptorProtoSchema, {
    name,
    ...(parsed.package ? { package: parsed.package } : {}),
    dependency: imports,
    syntax,
    messageType: topLevel.filter((n): n is protobuf.Type => n instanceof protobuf.Type).map((t) => messageDescriptor(t, prefix ? `${prefix}.${t.name}` : t.name)),
    enumType: topLevel.filter((n): n is protobuf.Enum => n instanceof protobuf.Enum).map(enumDescriptor),
  })
}
