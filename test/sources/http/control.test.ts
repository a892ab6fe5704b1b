import { describe, expect, test } from 'bun:test'
import { ConfigError, IngestError } from '../../../src/errors.ts'
import { createIngestApp } from '../../../src/sources/http/app.ts'
import { bearerToken, tokenMatches } from '../../../src/sources/http/auth.ts'
import { createRecordCoercer } from '../../../src/records/coerce.ts'
import { WalFullError } from '../../../src/wal/errors.ts'
import { fakeDeps, post, SENSOR_PATH, sensorSchema } from './fake-deps.ts'

const record = JSON.stringify({ sensor_id: 's', ts: 0, reading: 1 })
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })

describe('bearer auth', () => {
  const coerce = createRecordCoercer(sensorSchema)
  const deps = () =>
    fakeDeps({
      auth: { tokens: ['global-secret'] },
      tableMap: { 'learning.sensor_readings': { coerce }, 'learning.private': { coerce, tokens: ['table-secret'] } },
    })

  test('missing or wrong token → 401 with WWW-Authenticate: Bearer; the token never appears in the body', async () => {
    const app = createIngestApp(deps())
    const missing = await app.request(SENSOR_PATH, post(record))
    expect(missing.status).toBe(401)
    expect(missing.headers.get('WWW-Authenticate')).toBe('Bearer realm="ingest"')
    const wrong = await app.request(SENSOR_PATH, post(record, 'application/json', bearer('guess')))
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('WWW-Authenticate')).toBe('Bearer realm="ingest", error="invalid_token"')
    expect(await wrong.text()).not.toContain('guess')
  })

  test('a global token opens every table; a table token only its table', async () => {
    const app = createIngestApp(deps())
    expect((await app.request(SENSOR_PATH, post(record, 'application/json', bearer('global-secret')))).status).toBe(200)
    expect((await app.request('/v1/tables/learning/private/records', post(record, 'application/json', bearer('global-secret')))).status).toBe(200)
    expect((await app.request('/v1/tables/learning/private/records', post(record, 'application/json', bearer('table-secret')))).status).toBe(200)
    expect((await app.request(SENSOR_PATH, post(record, 'application/json', bearer('table-secret')))).status).toBe(401)
  })

  test('without a valid global token, an unknown table answers 401, not 404', async () => {
    const app = createIngestApp(deps())
    expect((await app.request('/v1/tables/learning/nope/records', post(record, 'application/json', bearer('table-secret')))).status).toBe(401)
    expect((await app.request('/v1/tables/learning/nope/records', post(record, 'application/json', bearer('global-secret')))).status).toBe(404)
  })

  test('per-table tokens alone protect only that table', async () => {
    const app = createIngestApp(fakeDeps({ tableMap: { 'learning.private': { coerce, tokens: ['t'] }, 'learning.open': { coerce } } }))
    expect((await app.request('/v1/tables/learning/open/records', post(record))).status).toBe(200)
    expect((await app.request('/v1/tables/learning/private/records', post(record))).status).toBe(401)
    expect((await app.request('/v1/tables/learning/private/records', post(record, 'application/json', bearer('t')))).status).toBe(200)
  })

  test('bearerToken reads the scheme case-insensitively; tokenMatches compares whole tokens', async () => {
    expect(bearerToken('bearer abc.def')).toBe('abc.def')
    expect(bearerToken('Basic abc')).toBeUndefined()
    expect(bearerToken(undefined)).toBeUndefined()
    expect(await tokenMatches('abc', ['x', 'abc'])).toBe(true)
    expect(await tokenMatches('ab', ['abc'])).toBe(false)
    expect(await tokenMatches('abcd', ['abc'])).toBe(false)
    expect(await tokenMatches('abc', [])).toBe(false)
  })
})

describe('accept failures', () => {
  test('WAL_FULL → 503 with Retry-After from deps', async () => {
    const deps = fakeDeps({ retryAfterSeconds: 7 })
    deps.acceptWith = async () => {
      throw new WalFullError(100, 10, 105)
    }
    const res = await createIngestApp(deps).request(SENSOR_PATH, post(record))
    expect(res.status).toBe(503)
    expect(res.headers.get('Retry-After')).toBe('7')
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('WAL_FULL')
  })

  test('BACKPRESSURE → 503 with the default Retry-After of 1', async () => {
    const deps = fakeDeps()
    deps.acceptWith = async () => {
      throw new IngestError('BACKPRESSURE', 'too many open writers', { retryable: true })
    }
    const res = await createIngestApp(deps).request(SENSOR_PATH, post(record))
    expect(res.status).toBe(503)
    expect(res.headers.get('Retry-After')).toBe('1')
  })

  test('any other error → 500 with its code and no internals', async () => {
    const deps = fakeDeps()
    deps.acceptWith = async () => {
      throw new IngestError('WAL_IO', 'fsync /var/lib/wal/00001.seg failed (token=s3cr3t)')
    }
    const res = await createIngestApp(deps).request(SENSOR_PATH, post(record))
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(JSON.parse(text)).toEqual({ error: { code: 'WAL_IO', message: 'internal error; see the ingest worker log' } })
    expect(text).not.toContain('s3cr3t')
    deps.acceptWith = async () => {
      throw new TypeError('boom')
    }
    const plain = await createIngestApp(deps).request(SENSOR_PATH, post(record))
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe('INTERNAL')
  })
})

describe('idempotency', () => {
  test('the key reaches accept and dead letters; a duplicate replays the stored response', async () => {
    const deps = fakeDeps()
    const stored = new Map<string, unknown>()
    deps.acceptWith = async (input) => {
      const key = input.idempotencyKey as string
      if (stored.has(key)) return { duplicate: true, response: stored.get(key) }
      stored.set(key, input.response)
      return {}
    }
    const app = createIngestApp(deps)
    const body = JSON.stringify([JSON.parse(record), { bad: true }])
    const first = await app.request(SENSOR_PATH, post(body, 'application/json', { 'Idempotency-Key': 'req-42' }))
    expect(first.status).toBe(200)
    expect(first.headers.get('Idempotent-Replayed')).toBeNull()
    const firstBody = await first.json()
    const again = await app.request(SENSOR_PATH, post(body, 'application/json', { 'Idempotency-Key': 'req-42' }))
    expect(again.status).toBe(200)
    expect(again.headers.get('Idempotent-Replayed')).toBe('true')
    expect(await again.json()).toEqual(firstBody)
    expect(deps.accepted.map((a) => a.idempotencyKey)).toEqual(['req-42', 'req-42'])
    expect(deps.deadLetters[0]?.idempotencyKey).toBe('req-42')
  })

  test('an unusable key → 400', async () => {
    const res = await createIngestApp(fakeDeps()).request(SENSOR_PATH, post(record, 'application/json', { 'Idempotency-Key': 'has space' }))
    expect(res.status).toBe(400)
  })
})

describe('health and metrics', () => {
  test('ready → 200 ok; starting or degraded → 503 with reasons', async () => {
    const deps = fakeDeps()
    const app = createIngestApp(deps)
    const ok = await app.request('/health')
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ status: 'ok' })
    deps.healthReport = { ready: false, state: 'starting', reasons: ['recovering WAL'] }
    const starting = await app.request('/health')
    expect(starting.status).toBe(503)
    expect(await starting.json()).toEqual({ status: 'starting', reasons: ['recovering WAL'] })
    deps.healthReport = { ready: false, reasons: ['commits failing for learning.sensor_readings'] }
    expect(await (await app.request('/health')).json()).toEqual({ status: 'degraded', reasons: ['commits failing for learning.sensor_readings'] })
  })

  test('/metrics serves deps.metrics() as Prometheus text 0.0.4', async () => {
    const res = await createIngestApp(fakeDeps()).request('/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(await res.text()).toBe('# HELP up Up.\n# TYPE up gauge\nup 1\n')
  })

  test('unknown routes → JSON 404', async () => {
    const res = await createIngestApp(fakeDeps()).request('/v2/nothing')
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND')
  })
})

describe('options', () => {
  test('invalid options throw ConfigError naming each key', () => {
    expect(() => createIngestApp(fakeDeps({ maxBodyBytes: 0 }))).toThrow(ConfigError)
    expect(() => createIngestApp(fakeDeps({ maxBodyBytes: 1.5, retryAfterSeconds: -1 }))).toThrow(/maxBodyBytes[\s\S]*retryAfterSeconds/)
    expect(() => createIngestApp(fakeDeps({ auth: { tokens: [''] } }))).toThrow(/auth\.tokens/)
  })
})
