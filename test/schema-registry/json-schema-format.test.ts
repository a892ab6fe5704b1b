/** JSON Schema writer schemas: the Iceberg types of their properties, and JSON payloads as records. */
import { describe, expect, test } from 'bun:test'
import type { Schema } from '../../src/iceberg/types.ts'
import { createRecordCoercer } from '../../src/records/coerce.ts'
import { jsonSchemaWriterSchema } from '../../src/schema-registry/json-schema-format.ts'

const ORDER = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['id', 'placed_at'],
  properties: {
    id: { type: 'integer' },
    placed_at: { type: 'string', format: 'date-time' },
    day: { type: 'string', format: 'date' },
    ref: { type: 'string', format: 'uuid' },
    note: { type: ['string', 'null'] },
    amount: { type: 'number' },
    paid: { type: 'boolean' },
    blob: { type: 'string', contentEncoding: 'base64' },
    status: { enum: ['NEW', 'PAID'] },
    tags: { type: 'array', items: { type: 'string' } },
    attrs: { type: 'object', additionalProperties: { type: ['number', 'null'] } },
    address: { $ref: '#/$defs/address' },
    maybe: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
    free: { type: 'object' },
    either: { type: ['string', 'integer'] },
  },
  $defs: { address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
}

const utf8 = (text: string) => new TextEncoder().encode(text)

describe('JSON Schema writer schema → Iceberg types', () => {
  test('properties map to columns; free-form and multi-type properties are left to inference', () => {
    const writer = jsonSchemaWriterSchema(4, JSON.stringify(ORDER))
    const result = writer.read(utf8('{"id": 1, "placed_at": "2026-01-01T00:00:00Z"}'))
    if (!result.ok) throw new Error(result.reason)
    const types = Object.fromEntries(result.writer.fields.fields.map((f) => [f.name, [typeof f.type === 'string' ? f.type : f.type.type, f.required]]))
    expect(types).toEqual({
      id: ['long', true],
      placed_at: ['timestamptz', true],
      day: ['date', false],
      ref: ['uuid', false],
      note: ['string', false],
      amount: ['double', false],
      paid: ['boolean', false],
      blob: ['binary', false],
      status: ['string', false],
      tags: ['list', false],
      attrs: ['map', false],
      address: ['struct', false],
      maybe: ['long', false],
    })
    const attrs = result.writer.fields.fields.find((f) => f.name === 'attrs')!.type
    expect(attrs).toMatchObject({ key: 'string', value: 'double', 'value-required': false })
  })

  test('the parsed payload coerces to the mapped types', () => {
    const writer = jsonSchemaWriterSchema(4, JSON.stringify(ORDER))
    const result = writer.read(utf8(JSON.stringify({ id: 7, placed_at: '2026-01-01T00:00:00.5Z', day: '2026-01-02', blob: 'AQI=', tags: ['a'], attrs: { x: 1 }, address: { city: 'Oslo' }, free: { any: 1 } })))
    if (!result.ok) throw new Error(result.reason)
    const coerced = createRecordCoercer({ ...result.writer.fields, 'schema-id': 0 } as Schema)(result.record)
    if (!coerced.ok) throw new Error(coerced.reason)
    expect(coerced.row).toMatchObject({ id: 7n, placed_at: 1_767_225_600_500_000n, day: 20_455, blob: new Uint8Array([1, 2]), tags: ['a'], attrs: new Map([['x', 1]]), address: { city: 'Oslo' } })
    // A property the writer struct leaves out still reaches the table with the record.
    expect(result.record.free).toEqual({ any: 1 })
  })

  test('payloads that are not JSON objects, and schemas that are not object schemas, say so', () => {
    const writer = jsonSchemaWriterSchema(4, JSON.stringify(ORDER))
    expect(writer.read(utf8('[1]'))).toEqual({ ok: false, reason: 'JSON Schema payload of schema id 4 is not a JSON object' })
    expect(writer.read(utf8('{oops'))).toEqual({ ok: false, reason: expect.stringContaining('JSON Schema payload of schema id 4 is not JSON') })
    expect(writer.read(new Uint8Array([0x7b, 0xff, 0x7d]))).toEqual({ ok: false, reason: expect.stringContaining('is not JSON') })
    expect(() => jsonSchemaWriterSchema(4, '{"type": "string"}')).toThrow('schema id 4 is not an object schema with properties')
    expect(() => jsonSchemaWriterSchema(4, 'nope')).toThrow('schema id 4 is not JSON')
  })

  test('a recursive $ref is left out rather than followed forever', () => {
    const tree = { type: 'object', properties: { name: { type: 'string' }, child: { $ref: '#' } } }
    const result = jsonSchemaWriterSchema(5, JSON.stringify(tree)).read(utf8('{"name": "a"}'))
    if (!result.ok) throw new Error(result.reason)
    expect(result.writer.fields.fields.map((f) => f.name)).toEqual(['name'])
    const nested = { type: 'object', properties: { a: { $ref: '#/$defs/node' } }, $defs: { node: { type: 'object', properties: { v: { type: 'integer' }, next: { $ref: '#/$defs/node' } } } } }
    const inner = jsonSchemaWriterSchema(6, JSON.stringify(nested)).read(utf8('{}'))
    if (!inner.ok) throw new Error(inner.reason)
    expect(inner.writer.fields.fields[0]!.type).toMatchObject({ type: 'struct', fields: [{ name: 'v', type: 'long' }] })
  })
})
