import { describe, expect, test } from 'bun:test'
import { createIngestApp } from '../../../src/sources/http/app.ts'
import { fakeDeps, post, SENSOR_PATH } from './fake-deps.ts'

const good = (i: number) => ({ sensor_id: `s${i}`, ts: 1_700_000_000_000 + i, reading: i / 2 })

describe('POST /v1/tables/{namespace}/{table}/records', () => {
  test('a JSON object is one record, made durable through accept', async () => {
    const deps = fakeDeps()
    const res = await createIngestApp(deps).request(SENSOR_PATH, post(JSON.stringify(good(1))))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ accepted: 1, rejected: [] })
    expect(deps.accepted).toHaveLength(1)
    expect(deps.accepted[0]?.table).toEqual({ namespace: ['learning'], name: 'sensor_readings' })
    expect(deps.accepted[0]?.rows).toEqual([{ sensor_id: 's1', ts: 1_700_000_000_001_000n, reading: 0.5 }])
    // Every record accepted: the WAL gets the body's own text as the records' JSON.
    expect(deps.accepted[0]?.recordsJson).toBe(`[${JSON.stringify(good(1))}]`)
    expect(deps.deadLetters).toHaveLength(0)
  })

  test('a JSON array is many records; rejects keep their index, reason and exact original text', async () => {
    const deps = fakeDeps()
    const body = `[ ${JSON.stringify(good(0))},\n  {"sensor_id": "s1", "ts": 1, "reading": "abc"} , ${JSON.stringify(good(2))}, {"sensor_id":"s3","ts":9007199254740993,"reading":1}, 7 ]`
    const res = await createIngestApp(deps).request(SENSOR_PATH, post(body))
    expect(res.status).toBe(200)
    const json = (await res.json()) as { accepted: number; rejected: Array<{ index: number; reason: string }> }
    expect(json.accepted).toBe(2)
    expect(json.rejected.map((r) => r.index)).toEqual([1, 3, 4])
    expect(json.rejected[0]?.reason).toBe('field "reading": expected double, got string "abc"')
    expect(json.rejected[2]?.reason).toBe('record: expected object, got number 7')
    expect(deps.accepted[0]?.rows.map((row) => row.sensor_id)).toEqual(['s0', 's2'])
    // Some rejected: the body's text is not the accepted records', so none is offered.
    expect(deps.accepted[0]?.recordsJson).toBeUndefined()
    expect(deps.accepted[0]?.response).toEqual(json)
    expect(deps.deadLetters).toHaveLength(1)
    expect(deps.deadLetters[0]?.source).toBe('http')
    expect(deps.deadLetters[0]?.records.map((r) => r.raw)).toEqual([
      '{"sensor_id": "s1", "ts": 1, "reading": "abc"}',
      // As sent: the number JSON.parse rounded is kept digit for digit.
      '{"sensor_id":"s3","ts":9007199254740993,"reading":1}',
      '7',
    ])
  })

  test('NDJSON: a malformed line is one rejected record indexed by line number; blank lines are skipped', async () => {
    const deps = fakeDeps()
    const lines = [JSON.stringify(good(0)), '{"sensor_id": oops', '', JSON.stringify(good(3)) + '\r', '{"ts": 1, "reading": 2}', '']
    for (const type of ['application/x-ndjson', 'application/jsonl; charset=utf-8']) {
      deps.accepted.length = 0
      deps.deadLetters.length = 0
      const res = await createIngestApp(deps).request(SENSOR_PATH, post(lines.join('\n'), type))
      expect(res.status).toBe(200)
      const json = (await res.json()) as { accepted: number; rejected: Array<{ index: number; reason: string }> }
      expect(json.accepted).toBe(2)
      expect(json.rejected.map((r) => r.index)).toEqual([1, 4])
      expect(json.rejected[0]?.reason).toStartWith('invalid JSON: ')
      expect(json.rejected[1]?.reason).toBe('missing required field "sensor_id"')
      expect(deps.deadLetters[0]?.records.map((r) => r.raw)).toEqual(['{"sensor_id": oops', '{"ts": 1, "reading": 2}'])
    }
  })

  test('when every record is rejected: 200 with accepted 0, dead letters written, accept not called', async () => {
    const deps = fakeDeps()
    const res = await createIngestApp(deps).request(SENSOR_PATH, post('[{"sensor_id": 1}]'))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ accepted: 0, rejected: [{ index: 0, reason: 'field "sensor_id": expected string, got number 1' }] })
    expect(deps.accepted).toHaveLength(0)
    expect(deps.deadLetters[0]?.records).toEqual([{ index: 0, reason: 'field "sensor_id": expected string, got number 1', raw: '{"sensor_id": 1}' }])
  })

  test('multi-level namespaces: a.b in the namespace segment, or one qualified segment', async () => {
    const deps = fakeDeps()
    const app = createIngestApp(deps)
    expect((await app.request('/v1/tables/a.b/c/records', post(JSON.stringify(good(1))))).status).toBe(200)
    expect((await app.request('/v1/tables/learning.sensor_readings/records', post(JSON.stringify(good(1))))).status).toBe(200)
    expect(deps.accepted.map((a) => a.table)).toEqual([
      { namespace: ['a', 'b'], name: 'c' },
      { namespace: ['learning'], name: 'sensor_readings' },
    ])
    const bad = await app.request('/v1/tables/a..b/c/records', post('{}'))
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_REQUEST')
  })

  test('malformed JSON body → 400 with the parse error; a JSON scalar → 400', async () => {
    const app = createIngestApp(fakeDeps())
    const res = await app.request(SENSOR_PATH, post('{"sensor_id": '))
    expect(res.status).toBe(400)
    const json = (await res.json()) as { error: { code: string; message: string } }
    expect(json.error.code).toBe('INVALID_BODY')
    expect(json.error.message).toStartWith('malformed JSON body: ')
    const scalar = await app.request(SENSOR_PATH, post('42'))
    expect(scalar.status).toBe(400)
    expect(((await scalar.json()) as { error: { message: string } }).error.message).toContain('object or an array')
  })

  test('invalid UTF-8 → 400 rather than silent replacement characters', async () => {
    const res = await createIngestApp(fakeDeps()).request(SENSOR_PATH, {
      method: 'POST',
      body: new Uint8Array([0x7b, 0xff, 0x7d]),
      headers: { 'Content-Type': 'application/json' },
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('request body is not valid UTF-8')
  })

  test('unknown table → 404 naming it', async () => {
    const res = await createIngestApp(fakeDeps()).request('/v1/tables/learning/nope/records', post('{}'))
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: { code: 'NO_SUCH_TABLE', message: 'no such table: learning.nope' } })
  })

  test('unsupported Content-Type → 415 listing the accepted types', async () => {
    const app = createIngestApp(fakeDeps())
    for (const type of ['text/plain', 'application/json; charset=latin1']) {
      const res = await app.request(SENSOR_PATH, post('{}', type))
      expect(res.status).toBe(415)
      const json = (await res.json()) as { error: { code: string; message: string } }
      expect(json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
      expect(json.error.message).toContain('application/json, application/x-ndjson, application/jsonl')
    }
    const none = await app.request(SENSOR_PATH, { method: 'POST', body: '{}' })
    expect(none.status).toBe(415)
  })

  test('body over maxBodyBytes → 413, with and without Content-Length', async () => {
    const deps = fakeDeps({ maxBodyBytes: 64 })
    const app = createIngestApp(deps)
    const big = JSON.stringify([good(1), good(2), good(3)])
    const sized = await app.request(SENSOR_PATH, post(big, 'application/json', { 'Content-Length': String(big.length) }))
    expect(sized.status).toBe(413)
    expect(((await sized.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE')
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big))
        controller.close()
      },
    })
    const streamed = await app.request(SENSOR_PATH, { method: 'POST', body: stream, headers: { 'Content-Type': 'application/json' } })
    expect(streamed.status).toBe(413)
    expect(deps.accepted).toHaveLength(0)
    const small = await app.request(SENSOR_PATH, post(JSON.stringify(good(1))))
    expect(small.status).toBe(200)
  })

  test('onRequest sees each request with its table, status and counts', async () => {
    const deps = fakeDeps()
    const app = createIngestApp(deps)
    await app.request(SENSOR_PATH, post(JSON.stringify([good(1), {}])))
    await app.request('/v1/tables/learning/nope/records', post('{}'))
    await Promise.resolve()
    expect(deps.events.map(({ table, status, accepted, rejected }) => ({ table, status, accepted, rejected }))).toEqual([
      { table: 'learning.sensor_readings', status: 200, accepted: 1, rejected: 1 },
      { table: 'learning.nope', status: 404, accepted: 0, rejected: 0 },
    ])
    expect(deps.events[1]?.error).toBeInstanceOf(Error)
  })
})
