/**
 * `POST /v1/records`: a body of records that each name their table by a field (the config's route,
 * table-route.ts). Every record is routed, admitted by its table (schema evolution included) or
 * refused with its reason — a record without a valid route goes to the route's unrouted dead-letter
 * table — and the whole request is logged as ONE durable write with its Idempotency-Key, so a crash
 * cannot land some tables of a request and not others. Answers as `POST …/records` does, plus
 * `tables`: accepted records per table. Edge-safe.
 */
import type { Context, Handler } from 'hono'
import { tableName } from '../../iceberg/table-identifier.ts'
import type { Row } from '../../iceberg/types.ts'
import { admitSettled } from '../../pipeline/intake.ts'
import { bearerToken, tokenMatches } from './auth.ts'
import { decodeUtf8, parseBody, requestBodyFormat } from './body.ts'
import type { IngestResponse, RejectedRecord, RoutedIngest, RoutedPartInput } from './deps.ts'
import { HttpRequestError } from './errors.ts'
import { bodyFingerprint, requestIdempotencyKey } from './idempotency-key.ts'
import type { IngestEnv } from './app.ts'

/** The 200 body of `POST /v1/records`. */
export interface RoutedIngestResponse extends IngestResponse {
  /** Accepted records per table (dotted name). */
  tables: Record<string, number>
}

/** The handler (404 when the worker has no route serving HTTP). */
export function routedRecordsHandler(routed: RoutedIngest | undefined, globalTokens: readonly string[]): Handler<IngestEnv> {
  return async (c) => {
    if (!routed) throw new HttpRequestError('NO_ROUTE', 'POST /v1/records needs a route with a field (config routes[].route.field); address a table with POST /v1/tables/{namespace}/{table}/records')
    await authorize(c, routed, globalTokens)
    requestBodyFormat(c.req.header('Content-Type'))
    const idempotencyKey = requestIdempotencyKey(c.req.header('Idempotency-Key'))
    const bytes = await c.req.arrayBuffer()
    if (idempotencyKey === undefined || routed.claimIdempotencyKey === undefined) return answer(c, await ingest(c, routed, bytes, undefined, undefined))
    const fingerprint = await bodyFingerprint(bytes)
    const claim = await routed.claimIdempotencyKey(idempotencyKey, fingerprint)
    if ('replay' in claim) {
      c.set('outcome', { accepted: 0, rejected: [] })
      return answer(c, { body: claim.replay, replayed: true })
    }
    try {
      const outcome = await ingest(c, routed, bytes, idempotencyKey, fingerprint)
      claim.claimed.settle(outcome.body)
      return answer(c, outcome)
    } catch (error) {
      claim.claimed.release()
      throw error
    }
  }
}

/** With tokens configured (global or the route's), a request needs one of them. */
async function authorize(c: Context<IngestEnv>, routed: RoutedIngest, globalTokens: readonly string[]): Promise<void> {
  const tokens = [...globalTokens, ...(routed.tokens ?? [])]
  if (!tokens.length) return
  const presented = bearerToken(c.req.header('Authorization'))
  if (presented === undefined || !(await tokenMatches(presented, tokens))) {
    throw new HttpRequestError('UNAUTHORIZED', presented === undefined ? 'missing bearer token' : 'invalid bearer token', { context: { presented: presented !== undefined } })
  }
}

const answer = (c: Context<IngestEnv>, outcome: { body: unknown; replayed: boolean }): Response =>
  outcome.replayed ? c.json(outcome.body as RoutedIngestResponse, 200, { 'Idempotent-Replayed': 'true' }) : c.json(outcome.body as RoutedIngestResponse, 200)

async function ingest(
  c: Context<IngestEnv>,
  routed: RoutedIngest,
  bytes: ArrayBuffer,
  idempotencyKey: string | undefined,
  fingerprint: string | undefined,
): Promise<{ body: unknown; replayed: boolean }> {
  const body = parseBody(decodeUtf8(bytes), requestBodyFormat(c.req.header('Content-Type')))
  // One part per table, in first-seen order; the unrouted part (table undefined) keys as ''.
  const parts = new Map<string, RoutedPartInput>()
  const part = (key: string, table: RoutedPartInput['table']): RoutedPartInput => {
    let found = parts.get(key)
    if (!found) parts.set(key, (found = { table, rows: [] as Row[], records: [], letters: [] }))
    return found
  }
  const rejected: RejectedRecord[] = []
  for (const entry of body.entries) {
    const refuse = (target: RoutedPartInput, reason: string) => {
      rejected.push({ index: entry.index, reason })
      target.letters.push({ index: entry.index, reason, raw: body.rawText(entry.index) })
    }
    if (entry.parseError !== undefined) {
      refuse(part('', undefined), entry.parseError)
      continue
    }
    const route = await routed.route(entry.value)
    if ('reason' in route) {
      refuse(part('', undefined), route.reason)
      continue
    }
    const name = tableName(route.table)
    const target = part(name, route.table)
    // A record that needs a schema change waits for it (committed before any of this request is logged).
    const result = route.ingest.admit ? await admitSettled(route.ingest.admit, entry.value) : route.ingest.coerce(entry.value)
    if (result.ok) {
      target.rows.push(result.row)
      target.records.push(entry.value)
    } else refuse(target, `table ${name}: ${result.reason}`)
  }
  const tables: Record<string, number> = {}
  for (const [name, p] of parts) if (name && p.rows.length) tables[name] = p.rows.length
  const accepted = Object.values(tables).reduce((sum, n) => sum + n, 0)
  const response: RoutedIngestResponse = { accepted, rejected, tables }
  c.set('outcome', response)
  if (!parts.size) return { body: response, replayed: false }
  const result = await routed.accept({
    parts: [...parts.values()],
    response,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey, ...(fingerprint === undefined ? {} : { fingerprint }) }),
  })
  if (result.duplicate === true) {
    c.set('outcome', { accepted: 0, rejected })
    return { body: result.response, replayed: true }
  }
  return { body: response, replayed: false }
}
