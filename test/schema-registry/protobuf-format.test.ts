/**
 * Protobuf writer schemas from .proto text: the descriptor built from it, the Iceberg types, and payloads
 * written by protobufjs (an independent encoder) read back by @bufbuild/protobuf into coercible records.
 */
import { describe, expect, test } from 'bun:test'
import protobuf from 'protobufjs'
import type { Schema } from '../../src/iceberg/types.ts'
import { createRecordCoercer } from '../../src/records/coerce.ts'
import { protoFileDescriptor } from '../../src/schema-registry/proto-descriptor.ts'
import { protobufWriterSchema } from '../../src/schema-registry/protobuf-format.ts'
import { writeMessageIndexes } from '../../src/schema-registry/wire-format.ts'

const ORDER_PROTO = `
syntax = "proto3";
package acme.v1;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

// The topic's record.
message Order {
  int64 id = 1;
  string customer_name = 2;
  optional int32 qty = 3;
  repeated string tags = 4;
  map<string, Item> items = 5;
  google.protobuf.Timestamp placed_at = 6;
  oneof payment { string card = 7; int64 cash_cents = 8; }
  Status status = 9;
  uint32 small_unsigned = 10;
  uint64 big_unsigned = 11;
  bytes raw = 12;
  google.protobuf.StringValue comment = 13;
  map<int32, string> codes = 14;
  Item main_item = 15;
  double score = 16;
  bool flag = 17;

  message Item { double price = 1; bytes sku = 2; }
  enum Status { STATUS_UNKNOWN = 0; STATUS_PAID = 1; }
}

message Refund { int64 order_id = 1; }
`

function encode(proto: string, type: string, value: Record<string, unknown>, indexes = [0]): Uint8Array {
  const parsed = protobuf.parse(proto, { keepCase: true })
  const root = parsed.root
  for (const file of parsed.imports ?? []) root.addJSON(protobuf.common.get(file)!.nested!)
  const message = root.lookupType(type)
  const bytes = message.encode(message.fromObject(value)).finish()
  return new Uint8Array([...writeMessageIndexes(indexes), ...bytes])
}

describe('Protobuf writer schema → Iceberg types', () => {
  const writer = protobufWriterSchema(11, ORDER_PROTO)

  test('the descriptor is what protoc would make: packages, nested types, map entries, oneofs with the synthetic one last', () => {
    const file = protoFileDescriptor('order.proto', ORDER_PROTO)
    expect(file.package).toBe('acme.v1')
    expect(file.syntax).toBe('proto3')
    expect(file.dependency).toEqual(['google/protobuf/timestamp.proto', 'google/protobuf/wrappers.proto'])
    const order = file.messageType[0]!
    expect(order.name).toBe('Order')
    expect(order.nestedType.map((t) => t.name)).toEqual(['Item', 'ItemsEntry', 'CodesEntry'])
    expect(order.nestedType[1]!.options?.mapEntry).toBe(true)
    expect(order.oneofDecl.map((o) => o.name)).toEqual(['payment', '_qty'])
    expect(order.field.find((f) => f.name === 'qty')).toMatchObject({ proto3Optional: true, oneofIndex: 1 })
    expect(order.field.find((f) => f.name === 'placed_at')?.typeName).toBe('.google.protobuf.Timestamp')
    expect(order.field.find((f) => f.name === 'main_item')?.typeName).toBe('.acme.v1.Order.Item')
  })

  test('types and presence: implicit-presence proto3 fields are required, the rest optional', () => {
    const result = writer.read(encode(ORDER_PROTO, 'acme.v1.Order', { id: 1 }))
    if (!result.ok) throw new Error(result.reason)
    const types = Object.fromEntries(result.writer.fields.fields.map((field) => [field.name, [typeof field.type === 'string' ? field.type : field.type.type, field.required]]))
    expect(types).toEqual({
      id: ['long', true],
      customer_name: ['string', true],
      qty: ['int', false],
      tags: ['list', true],
      items: ['map', true],
      placed_at: ['timestamptz', false],
      card: ['string', false],
      cash_cents: ['long', false],
      status: ['string', true],
      small_unsigned: ['long', true],
      big_unsigned: ['long', true],
      raw: ['binary', true],
      comment: ['string', false],
      codes: ['map', true],
      main_item: ['struct', false],
      score: ['double', true],
      flag: ['boolean', true],
    })
    expect(result.writer.key).toBe('11')
  })

  test('decoded values coerce to the mapped types: defaults for implicit fields, null for unset ones', () => {
    const payload = encode(ORDER_PROTO, 'acme.v1.Order', {
      id: '9223372036854775807',
      customer_name: 'Åsa',
      tags: ['x', 'y'],
      items: { a: { price: 2.5, sku: Buffer.from([7]) } },
      placed_at: { seconds: 1_704_067_200, nanos: 123_456_000 },
      cash_cents: 250,
      status: 1,
      small_unsigned: 4_000_000_000,
      big_unsigned: '12',
      comment: { value: 'hi' },
      codes: { 3: 'three' },
    })
    const result = writer.read(payload)
    if (!result.ok) throw new Error(result.reason)
    const coerced = createRecordCoercer({ ...result.writer.fields, 'schema-id': 0 } as Schema)(result.record)
    if (!coerced.ok) throw new Error(coerced.reason)
    expect(coerced.row).toEqual({
      id: 9_223_372_036_854_775_807n,
      customer_name: 'Åsa',
      qty: null,
      tags: ['x', 'y'],
      items: new Map([['a', { price: 2.5, sku: new Uint8Array([7]) }]]),
      placed_at: 1_704_067_200_123_456n,
      card: null,
      cash_cents: 250n,
      status: 'STATUS_PAID',
      small_unsigned: 4_000_000_000n,
      big_unsigned: 12n,
      raw: new Uint8Array([]),
      comment: 'hi',
      codes: new Map([[3, 'three']]),
      main_item: null,
      score: 0,
      flag: false,
    })
  })

  test('message indexes pick the message; another message has its own writer key', () => {
    const result = writer.read(encode(ORDER_PROTO, 'acme.v1.Refund', { order_id: 5 }, [1]))
    expect(result).toEqual({ ok: true, record: { order_id: 5 }, writer: { key: '11:1', fields: { type: 'struct', fields: [{ id: 1, name: 'order_id', required: true, type: 'long' }] } } })
    const nested = writer.read(encode(ORDER_PROTO, 'acme.v1.Order.Item', { price: 1 }, [0, 0]))
    expect(nested).toMatchObject({ ok: true, record: { price: 1 }, writer: { key: '11:0.0' } })
    expect(writer.read(new Uint8Array([2, 10, 0]))).toEqual({ ok: false, reason: 'message index [5] names no message of schema id 11' })
  })

  test('a payload that is not this message is a reason', () => {
    expect(writer.read(new Uint8Array([0, 0x0a, 0x05, 0x61]))).toEqual({ ok: false, reason: expect.stringContaining('Protobuf payload does not decode as acme.v1.Order of schema id 11') })
  })

  test('schemas with no Iceberg equivalent, editions and imports of other files are refused', () => {
    expect(() => protobufWriterSchema(1, 'syntax = "proto3"; message Node { Node next = 1; }')).toThrow('field "next": message Node contains itself')
    expect(() => protobufWriterSchema(1, 'edition = "2023"; message M { int32 a = 1; }')).toThrow('Protobuf editions are not supported yet')
    expect(() => protobufWriterSchema(1, 'syntax = "proto3"; import "other.proto"; message M { int32 a = 1; }')).toThrow('imports other.proto')
    expect(() => protobufWriterSchema(1, 'syntax = "proto3"; message M { Missing a = 1; }')).toThrow()
  })

  test('proto2: required is required, optional fields are null when unset', () => {
    const proto = 'syntax = "proto2"; message P { required int32 a = 1; optional string b = 2; repeated int64 c = 3 [packed=true]; }'
    const result = protobufWriterSchema(2, proto).read(encode(proto, 'P', { a: 1, c: [1, 2] }))
    if (!result.ok) throw new Error(result.reason)
    expect(result.writer.fields.fields.map((f) => [f.name, f.required])).toEqual([['a', true], ['b', false], ['c', true]])
    expect(result.record).toEqual({ a: 1, b: null, c: [1, 2] })
  })

  test('parsing and decoding never generate code (protobufjs codegen is never called)', () => {
    const codegen = protobuf.util.codegen
    protobuf.util.codegen = (() => {
      throw new Error('protobufjs generated code')
    }) as unknown as typeof codegen
    try {
      const payload = new Uint8Array([0, 0x08, 0x05])
      expect(protobufWriterSchema(3, ORDER_PROTO).read(payload)).toMatchObject({ ok: true, record: { id: 5 } })
    } finally {
      protobuf.util.codegen = codegen
    }
  })
})
