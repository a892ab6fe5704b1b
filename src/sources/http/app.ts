/**
 * The HTTP ingest API as a Hono app over injected deps (no I/O of its own, edge-safe):
 * `POST /v1/tables/{namespace}/{table}/records` (also `/v1/tables/{namespace.table}/records`), `POST /v1/records`
 * (routed by a field, routed-records.ts), `GET /health`,
 * `GET /metrics`. Status codes and bodies are documented in docs/records.md ("HTTP ingest").
 */
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import * as v from 'valibot'
import { ConfigError, IngestError, NoSuchEntityError } from '../../errors.ts'
import type { Row, TableIdentifier } from '../../iceberg/types.ts'
import { bearerToken, tokenMatches } from './auth.ts'
import { type BodyFormat, decodeUtf8, parseBody, requestBodyFormat } from './body.ts'
import { type IngestAppDeps, IngestAppOptionsSchema, type IngestResponse, type IngestTable, type RejectedRecord } from './deps.ts'
import { HttpRequestError, statusOf } from './errors.ts'
import { admitSettled } from '../../pipeline/intake.ts'
import { bodyFingerprint, requestIdempotencyKey } from './idempotency-key.ts'
import { routedRecordsHandler } from './routed-records.ts'
import { tableName } from '../../iceberg/table-identifier.ts'

/** What the admission middleware established about a records request. */
interface Admitted {
  identifier: TableIdentifier
  table: IngestTable
  format: BodyFormat
  idempotencyKey: string | undefined
}

export type IngestEnv = { Variables: { admitted: Admitted; outcome: IngestResponse } }

const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** The table address in the path: `:namespace` may be multi-level (`a.b`); `:qualified` is `namespace.table`. */
function tableAddress(c: Context<IngestEnv>): TableIdentifier {
  const qualified = c.req.param('qualified')
  const parts = qualified === undefined ? (c.req.param('namespace') ?? '').split('.') : qualified.split('.')
  const name = qualified === undefined ? (c.req.param('table') ?? '') : (parts.pop() ?? '')
  if (parts.length === 0 || parts.includes('') || name === '') {
    throw new HttpRequestError('INVALID_REQUEST', `invalid table address "${qualified ?? `${c.req.param('namespace')}/${c.req.param('table')}`}": expected namespace[.level…] and a table name`)
  }
  return { namespace: parts, name }
}

function addressLabel(c: Context<IngestEnv>): string {
  if (c.req.path === '/v1/records') return '/v1/records'
  return c.req.param('qualified') ?? `${c.req.param('namespace') ?? ''}.${c.req.param('table') ?? ''}`
}

/**
 * Builds the ingest app. Throws ConfigError (code CONFIG) when an option is invalid.
 * Request errors map to statuses in errors.ts (one `onError`); accept's WAL_FULL / BACKPRESSURE become 503.
 */
export function createIngestApp(deps: IngestAppDeps): Hono<IngestEnv> {
  const parsed = v.safeParse(IngestAppOptionsSchema, { auth: deps.auth, maxBodyBytes: deps.maxBodyBytes, retryAfterSeconds: deps.retryAfterSeconds })
  if (!parsed.success) throw new ConfigError(parsed.issues.map((issue) => `${v.getDotPath(issue) ?? 'deps'}: ${issue.message}`))
  const { maxBodyBytes, retryAfterSeconds } = parsed.output
  const globalTokens: readonly string[] = parsed.output.auth?.tokens ?? []
  const app = new Hono<IngestEnv>()

  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse()
    const status = statusOf(error) as ContentfulStatusCode
    const code = error instanceof IngestError ? error.code : 'INTERNAL'
    // 4xx and 503 messages are ours and name only what the client sent or the WAL's fill level. Any other error may
    // carry internals (file paths, endpoints, a URL with credentials): the client gets its code, the log the rest.
    const message = status < 500 || status === 503 ? error.message : 'internal error; see the ingest worker log'
    const headers: Record<string, string> = {}
    if (status === 401) {
      const presented = error instanceof IngestError && error.context.presented === true
      headers['WWW-Authenticate'] = presented ? 'Bearer realm="ingest", error="invalid_token"' : 'Bearer realm="ingest"'
    }
    if (status === 503) headers['Retry-After'] = String(retryAfterSeconds)
    return c.json({ error: { code, message } }, status, headers)
  })

  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404))

  app.get('/health', async (c) => {
    const report = await deps.health()
    c.header('Cache-Control', 'no-store')
    if (report.ready) return c.json({ status: 'ok' }, 200)
    return c.json({ status: report.state ?? 'degraded', reasons: report.reasons }, 503)
  })

  app.get('/metrics', async (c) => c.body(await deps.metrics(), 200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' }))

  const observe: MiddlewareHandler<IngestEnv> = async (c, next) => {
    const started = performance.now()
    await next()
    const onRequest = deps.onRequest
    if (onRequest === undefined) return
    const outcome = c.get('outcome')
    const event = {
      table: addressLabel(c),
      status: c.res.status,
      accepted: outcome?.accepted ?? 0,
      rejected: outcome?.rejected.length ?? 0,
      durationMs: performance.now() - started,
      ...(c.error === undefined ? {} : { error: c.error }),
    }
    // Outside the request: a failing observer must not turn a durable 200 into a 500 (the client would resend
    // rows already in the WAL). Its error still surfaces, as an uncaught exception the runtime reports.
    queueMicrotask(() => onRequest(event))
  }

  /** Authentication, table lookup, Content-Type and Idempotency-Key, all before a byte of the body is read. */
  const admit: MiddlewareHandler<IngestEnv> = async (c, next) => {
    const identifier = tableAddress(c)
    const label = tableName(identifier)
    const presented = bearerToken(c.req.header('Authorization'))
    const unauthorized = (): HttpRequestError =>
      new HttpRequestError('UNAUTHORIZED', presented === undefined ? 'missing bearer token' : 'invalid bearer token', { context: { presented: presented !== undefined } })
    // With global tokens, a request without any token is refused before the (possibly remote) table lookup.
    if (globalTokens.length > 0 && presented === undefined) throw unauthorized()
    const globalOk = presented !== undefined && (await tokenMatches(presented, globalTokens))
    const table = await deps.tables(identifier.namespace, identifier.name)
    if (table === undefined) {
      // Without a valid global token, 401 rather than 404: unknown callers cannot probe which tables exist.
      if (globalTokens.length > 0 && !globalOk) throw unauthorized()
      throw new NoSuchEntityError('table', label)
    }
    const tableTokens = table.tokens ?? []
    if ((globalTokens.length > 0 || tableTokens.length > 0) && !globalOk) {
      if (presented === undefined || !(await tokenMatches(presented, tableTokens))) throw unauthorized()
    }
    const format = requestBodyFormat(c.req.header('Content-Type'))
    const idempotencyKey = requestIdempotencyKey(c.req.header('Idempotency-Key'))
    c.set('admitted', { identifier, table, format, idempotencyKey })
    await next()
  }

  const limit = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw new HttpRequestError('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBodyBytes} bytes; split it into smaller requests`)
    },
  })

  /** A 200 answer; a replayed one (the first request's, for a repeated Idempotency-Key) says so in a header. */
  const answer = (c: Context<IngestEnv>, outcome: { body: unknown; replayed: boolean }): Response =>
    outcome.replayed ? c.json(outcome.body as IngestResponse, 200, { 'Idempotent-Replayed': 'true' }) : c.json(outcome.body as IngestResponse, 200)

  /**
   * With an Idempotency-Key (and a dep that tracks keys) the request first claims it: a key answered
   * before, or answered meanwhile by a request in flight, gets that answer back and writes nothing.
   */
  const ingest = async (c: Context<IngestEnv>): Promise<Response> => {
    const { identifier, idempotencyKey } = c.get('admitted')
    const bytes = await c.req.arrayBuffer()
    if (idempotencyKey === undefined || deps.claimIdempotencyKey === undefined) return answer(c, await ingestBody(c, bytes, undefined))
    const fingerprint = await bodyFingerprint(bytes)
    const claim = await deps.claimIdempotencyKey({ table: identifier, key: idempotencyKey, fingerprint })
    if ('replay' in claim) {
      c.set('outcome', { accepted: 0, rejected: [] })
      return answer(c, { body: claim.replay, replayed: true })
    }
    let outcome: { body: unknown; replayed: boolean }
    try {
      outcome = await ingestBody(c, bytes, fingerprint)
    } catch (error) {
      claim.claimed.release()
      throw error
    }
    claim.claimed.settle(outcome.body)
    return answer(c, outcome)
  }

  const ingestBody = async (c: Context<IngestEnv>, bytes: ArrayBuffer, fingerprint: string | undefined): Promise<{ body: unknown; replayed: boolean }> => {
    const { identifier, table, format, idempotencyKey } = c.get('admitted')
    const keyed = idempotencyKey === undefined ? {} : { idempotencyKey, ...(fingerprint === undefined ? {} : { fingerprint }) }
    const body = parseBody(decodeUtf8(bytes), format)
    const rows: Row[] = []
    const records: unknown[] = []
    const rejected: RejectedRecord[] = []
    for (const entry of body.entries) {
      if (entry.parseError !== undefined) {
        rejected.push({ index: entry.index, reason: entry.parseError })
        continue
      }
      // A record that needs a schema change waits for it (committed before any of this request is logged).
      const result = table.admit ? await admitSettled(table.admit, entry.value) : table.coerce(entry.value)
      if (result.ok) {
        rows.push(result.row)
        records.push(entry.value)
      } else rejected.push({ index: entry.index, reason: result.reason })
    }
    const response: IngestResponse = { accepted: rows.length, rejected }
    c.set('outcome', response)
    // Dead letters first: if accept then fails (WAL full), the client's retry may dead-letter the same records
    // again, which is better than accepted rows whose rejected siblings were never recorded.
    if (rejected.length > 0) {
      const letters = rejected.map((record) => ({ ...record, raw: body.rawText(record.index) }))
      // With no accepted record this is the request's only write, so it carries the answer for the key.
      await deps.deadLetter({ table: identifier, records: letters, source: 'http', ...keyed, ...(rows.length === 0 ? { response } : {}) })
    }
    if (rows.length > 0) {
      const result = await deps.accept({
        table: identifier,
        rows,
        records,
        ...(rejected.length === 0 ? { recordsJson: body.arrayText() } : {}),
        response,
        ...keyed,
      })
      if (result.duplicate === true) {
        c.set('outcome', { accepted: 0, rejected })
        return { body: result.response, replayed: true }
      }
    }
    return { body: response, replayed: false }
  }

  app.post('/v1/records', observe, limit, routedRecordsHandler(deps.routed, globalTokens))
  app.post('/v1/tables/:namespace/:table/records', observe, admit, limit, ingest)
  app.post('/v1/tables/:qualified/records', observe, admit, limit, ingest)
  return app
}
