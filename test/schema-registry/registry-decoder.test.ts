/** The registry client over an in-process fetch, and the decoder: cached lookups, waits, retries and reasons. */
import { describe, expect, test } from 'bun:test'
import avro from 'avsc'
import { createRegistryDecoder, type Decoded } from '../../src/schema-registry/registry-decoder.ts'
import { createSchemaRegistryClient, type SchemaRegistryError } from '../../src/schema-registry/registry-client.ts'
import { writeFrame } from '../../src/schema-registry/wire-format.ts'

const SCHEMA = { type: 'record', name: 'R', fields: [{ name: 'id', type: 'long' }] }

/** A registry answering from `schemas` (id → body); every request is recorded with its Authorization header. */
function fakeRegistry(schemas: Record<number, unknown>, failFirst = 0) {
  const requests: { url: string; authorization: string | null }[] = []
  let failures = failFirst
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input)
    requests.push({ url, authorization: new Headers(init?.headers).get('authorization') })
    if (failures > 0) {
      failures--
      return new Response('{"message":"warming up","error_code":50001}', { status: 503 })
    }
    const id = Number(/\/schemas\/ids\/(\d+)$/.exec(url)?.[1])
    const body = schemas[id]
    if (body === undefined) return new Response(`{"message":"No content with id/hash 'contentId-${id}' was found.","error_code":40403}`, { status: 404 })
    return Response.json(body)
  }) as typeof globalThis.fetch
  return { fetch, requests }
}

const avroValue = (id: number, value: unknown) => writeFrame(id, new Uint8Array(avro.Type.forSchema(SCHEMA as avro.Schema).toBuffer(value)))

async function settle(decoded: Decoded): Promise<void> {
  if (!decoded.ok && 'waiting' in decoded) await decoded.waiting
}

describe('schema registry client', () => {
  test('GET /schemas/ids/{id} once per id; basic and bearer auth go in the Authorization header only', async () => {
    const registry = fakeRegistry({ 1: { schema: JSON.stringify(SCHEMA) } })
    const client = createSchemaRegistryClient({ url: 'http://registry:8080/apis/ccompat/v7/', auth: { type: 'basic', username: 'u', password: 'pä' }, fetch: registry.fetch })
    expect(await client.schemaById(1)).toEqual({ id: 1, schemaType: 'AVRO', schema: JSON.stringify(SCHEMA), references: [] })
    await client.schemaById(1)
    expect(registry.requests).toEqual([{ url: 'http://registry:8080/apis/ccompat/v7/schemas/ids/1', authorization: `Basic ${btoa('u:p\xc3\xa4')}` }])
    const bearer = createSchemaRegistryClient({ url: 'http://registry:8081', auth: { type: 'bearer', token: 't0k' }, fetch: registry.fetch })
    await bearer.schemaById(1)
    expect(registry.requests.at(-1)!.authorization).toBe('Bearer t0k')
  })

  test('errors are typed and name the id and the URL, never the credentials', async () => {
    const registry = fakeRegistry({})
    const client = createSchemaRegistryClient({ url: 'http://user:secret@registry:8081', fetch: registry.fetch })
    const error = (await client.schemaById(42).catch((e: unknown) => e)) as SchemaRegistryError
    expect(error.code).toBe('SCHEMA_NOT_FOUND')
    expect(error.retryable).toBe(false)
    expect(error.message).toBe("unknown schema id 42: GET http://registry:8081/schemas/ids/42 answered 404 No content with id/hash 'contentId-42' was found. (error_code 40403)")
    expect(error.context).toEqual({ schemaId: 42, url: 'http://registry:8081', status: 404 })
    expect(JSON.stringify(error.context) + error.message).not.toContain('secret')
    // Credentials in the URL become basic auth; the request URL carries none.
    expect(registry.requests).toEqual([{ url: 'http://registry:8081/schemas/ids/42', authorization: `Basic ${btoa('user:secret')}` }])
    const down = createSchemaRegistryClient({ url: 'http://registry:8081', fetch: fakeRegistry({}, 1).fetch })
    expect(await down.schemaById(1).catch((e: { code: string; retryable: boolean }) => [e.code, e.retryable])).toEqual(['SCHEMA_REGISTRY', true])
    expect(() => createSchemaRegistryClient({ url: 'registry:8081' })).toThrow('is not an http(s) URL')
  })
})

describe('registry decoder', () => {
  test('the first message of an id waits for the lookup; later ones decode synchronously', async () => {
    const registry = fakeRegistry({ 3: { schema: JSON.stringify(SCHEMA) } })
    const decoder = createRegistryDecoder({ format: 'avro', registry: createSchemaRegistryClient({ url: 'http://r', fetch: registry.fetch }) })
    const first = decoder.decode(avroValue(3, { id: 1 }))
    expect(first).toEqual({ ok: false, waiting: expect.any(Promise) })
    // A second message with the same id while the lookup runs waits for the same lookup.
    const second = decoder.decode(avroValue(3, { id: 2 }))
    expect(!second.ok && 'waiting' in second && !first.ok && 'waiting' in first && second.waiting === first.waiting).toBe(true)
    await settle(first)
    expect(decoder.decode(avroValue(3, { id: 1 }))).toEqual({ ok: true, record: { id: 1 }, writer: { key: '3', fields: expect.objectContaining({ type: 'struct' }) } })
    expect(registry.requests.length).toBe(1)
  })

  test('no magic byte, an unknown id, a schema of another format: reasons naming the id and the registry', async () => {
    const registry = fakeRegistry({ 5: { schema: 'syntax = "proto3"; message M { int32 a = 1; }', schemaType: 'PROTOBUF' }, 6: { schema: JSON.stringify(SCHEMA), references: [{ name: 'x', subject: 'other', version: 2 }] } })
    const decoder = createRegistryDecoder({ format: 'avro', registry: createSchemaRegistryClient({ url: 'http://r', fetch: registry.fetch }) })
    expect(decoder.decode(new TextEncoder().encode('{"id":1}'))).toEqual({ ok: false, reason: expect.stringContaining('expected magic byte 0x00') })
    for (const id of [99, 5, 6]) await settle(decoder.decode(avroValue(id, { id: 1 })))
    expect(decoder.decode(avroValue(99, { id: 1 }))).toEqual({ ok: false, reason: expect.stringMatching(/^unknown schema id 99: GET http:\/\/r\/schemas\/ids\/99 answered 404/) })
    expect(decoder.decode(avroValue(5, { id: 1 }))).toEqual({ ok: false, reason: 'schema id 5 from http://r is PROTOBUF, but this table reads avro (AVRO)' })
    expect(decoder.decode(avroValue(6, { id: 1 }))).toEqual({ ok: false, reason: 'schema id 6 from http://r references other v2; schema references are not supported yet' })
  })

  test('an unknown id is asked again after a minute (it may have been registered since)', async () => {
    const schemas: Record<number, unknown> = {}
    const registry = fakeRegistry(schemas)
    let now = 0
    const decoder = createRegistryDecoder({ format: 'avro', registry: createSchemaRegistryClient({ url: 'http://r', fetch: registry.fetch }), now: () => now })
    await settle(decoder.decode(avroValue(8, { id: 1 })))
    expect(decoder.decode(avroValue(8, { id: 1 }))).toMatchObject({ ok: false, reason: expect.stringContaining('unknown schema id 8') })
    schemas[8] = { schema: JSON.stringify(SCHEMA) }
    now = 60_000
    await settle(decoder.decode(avroValue(8, { id: 1 })))
    expect(decoder.decode(avroValue(8, { id: 9 }))).toMatchObject({ ok: true, record: { id: 9 } })
  })

  test('a registry that is down is asked again (with a log line), never a dead letter', async () => {
    const registry = fakeRegistry({ 2: { schema: JSON.stringify(SCHEMA) } }, 2)
    const lines: string[] = []
    const decoder = createRegistryDecoder({ format: 'avro', registry: createSchemaRegistryClient({ url: 'http://r', fetch: registry.fetch }), retryDelayMs: 1, log: (line) => lines.push(line) })
    await settle(decoder.decode(avroValue(2, { id: 4 })))
    expect(decoder.decode(avroValue(2, { id: 4 }))).toMatchObject({ ok: true, record: { id: 4 } })
    expect(registry.requests.length).toBe(3)
    expect(lines).toEqual([expect.stringContaining('answered 503 warming up (error_code 50001); asking again in 1 ms'), expect.stringContaining('asking again in 2 ms')])
  })

  test('closing ends the retries; the next decode starts a new lookup', async () => {
    const registry = fakeRegistry({ 2: { schema: JSON.stringify(SCHEMA) } }, 1_000)
    const decoder = createRegistryDecoder({ format: 'avro', registry: createSchemaRegistryClient({ url: 'http://r', fetch: registry.fetch }), retryDelayMs: 60_000 })
    const waiting = decoder.decode(avroValue(2, { id: 1 }))
    await Bun.sleep(5)
    decoder.close()
    await settle(waiting)
    expect(decoder.decode(avroValue(2, { id: 1 }))).toEqual({ ok: false, waiting: expect.any(Promise) })
  })
})
