/**
 * What the HTTP ingest app needs from the worker: ports (tables, accept, dead letters, health, metrics) and a few
 * options. The worker builds concrete ones (WAL, catalog, DLQ); tests pass fakes. Edge-safe: types and valibot only.
 */
import * as v from 'valibot'
import type { Row, TableIdentifier } from '../../iceberg/types.ts'
import type { RecordCoercer } from '../../records/coerce.ts'
import type { Admission } from '../../pipeline/intake.ts'

/** A table the app may write to. */
export interface IngestTable {
  /** Built once per schema with createRecordCoercer. */
  coerce: RecordCoercer
  /**
   * Optional: coerce, or first commit the schema change the record needs (schema evolution); the app
   * awaits `evolving` and admits the record again. Without it, `coerce` decides.
   */
  admit?: (input: unknown) => Admission
  /** Bearer tokens that may write to this table, in addition to the global `auth.tokens`. */
  tokens?: readonly string[]
}

/** A record that was refused, as the client sees it. `index`: position in the JSON array, or NDJSON line number (from 0). */
export interface RejectedRecord {
  index: number
  reason: string
}

/** The 200 body of `POST …/records`. */
export interface IngestResponse {
  accepted: number
  rejected: RejectedRecord[]
}

export interface AcceptInput {
  table: TableIdentifier
  rows: Row[]
  /** The accepted records as parsed from the body, parallel to `rows` (what a WAL stores and re-coerces on replay). */
  records: unknown[]
  /**
   * The same records as one JSON array text, taken from the body as sent, when every record was accepted; a WAL
   * stores it instead of serialising `records` again (which costs more than parsing the body did).
   */
  recordsJson?: string
  /** The request's `Idempotency-Key` header, when sent. */
  idempotencyKey?: string
  /** Hex SHA-256 of the request body, with a key: what binds the key to this request. */
  fingerprint?: string
  /**
   * The body the client will get if this call succeeds. A dep that implements idempotency stores it with the key
   * (atomically with the rows) and returns it as `{duplicate: true, response}` when the key comes again.
   */
  response: IngestResponse
}

export type AcceptResult = { duplicate?: false; walSeq?: bigint } | { duplicate: true; response: unknown }

export interface DeadLetter extends RejectedRecord {
  /** The record's original JSON text (an NDJSON line, or the array element's text as sent). */
  raw: string
}

export interface DeadLetterInput {
  table: TableIdentifier
  records: DeadLetter[]
  source: 'http'
  idempotencyKey?: string
  fingerprint?: string
  /** The request's answer, when it accepted no record (so this is its only write): stored with the key as for accept. */
  response?: IngestResponse
}

/** A claimed Idempotency-Key; the app ends it exactly once. */
export interface KeyClaim {
  /** The request was answered with `response` (its writes are durable): requests waiting on the key replay it. */
  settle(response: unknown): void
  /** The request failed before anything was written: a waiting request goes ahead itself. */
  release(): void
}

export interface ClaimInput {
  table: TableIdentifier
  key: string
  /** Hex SHA-256 of the request body. */
  fingerprint: string
}

export interface HealthReport {
  ready: boolean
  /** Shown as `status` when not ready; `degraded` when absent. */
  state?: 'starting' | 'degraded'
  reasons: string[]
}

/** One finished `POST …/records` request, for the worker's metrics and its one-line log. */
export interface IngestRequestEvent {
  /** `namespace.table` as addressed in the path (not necessarily an existing table). */
  table: string
  status: number
  accepted: number
  rejected: number
  durationMs: number
  /** The error behind a 4xx/5xx, for the log; never sent to the client beyond its code and (for 4xx) message. */
  error?: unknown
}

/** Options checked once by createIngestApp (valibot schema → type, one source of truth). */
export const IngestAppOptionsSchema = v.object({
  /** Tokens accepted for every table. With none here and none on a table, requests need no Authorization. */
  auth: v.optional(v.object({ tokens: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))) })),
  /** Largest request body in bytes (default 16 MiB); larger bodies get 413. */
  maxBodyBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 16 * 1024 * 1024),
  /** `Retry-After` seconds sent with 503 when the WAL is full (default 1). */
  retryAfterSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 1),
})
export type IngestAppOptions = v.InferInput<typeof IngestAppOptionsSchema>

/** One table's share of a routed request; `table` undefined = the route's table for records it could not route. */
export interface RoutedPartInput {
  table: TableIdentifier | undefined
  rows: Row[]
  records: unknown[]
  letters: DeadLetter[]
}

/** `POST /v1/records`: records routed to tables by a field (the config's route with http). */
export interface RoutedIngest {
  /** Bearer tokens for this endpoint, in addition to the global ones. */
  tokens?: readonly string[]
  /** The table a record goes to (opened, or created, on first sight), or why it has none (a dead letter). */
  route(record: unknown): Promise<{ table: TableIdentifier; ingest: IngestTable } | { reason: string }>
  /** Logs every part of one request in one durable write, with the key; throws as `accept` does. */
  accept(input: { parts: RoutedPartInput[]; idempotencyKey?: string; fingerprint?: string; response: IngestResponse }): Promise<AcceptResult>
  claimIdempotencyKey?(key: string, fingerprint: string): Promise<{ replay: unknown } | { claimed: KeyClaim }>
}

export interface IngestAppDeps extends IngestAppOptions {
  /** Serves `POST /v1/records` when present (404 otherwise). */
  routed?: RoutedIngest
  /**
   * The table for an address, or undefined when there is none (→ 404). May throw NoSuchEntityError (→ 404) or any
   * other error (→ 500).
   */
  tables(namespace: string[], name: string): IngestTable | undefined | Promise<IngestTable | undefined>
  /**
   * Appends the rows durably (resolves after the WAL fsync) and decides idempotent replay. Throws IngestError with
   * code WAL_FULL or BACKPRESSURE to shed load (→ 503 + Retry-After). Not called when no record was accepted.
   */
  accept(input: AcceptInput): Promise<AcceptResult>
  /** Stores rejected records with their reasons; awaited before `accept` and before the response. */
  deadLetter(input: DeadLetterInput): Promise<void>
  /**
   * Optional. Called before anything else for a request with an Idempotency-Key: `replay` answers it with the first
   * request's answer; `claimed` lets it go ahead. Waits while another request with the key is in flight. Throws
   * IngestError IDEMPOTENCY_KEY_REUSED (→ 422) when the key belongs to a different body.
   */
  claimIdempotencyKey?(input: ClaimInput): Promise<{ replay: unknown } | { claimed: KeyClaim }>
  health(): HealthReport | Promise<HealthReport>
  /** Prometheus text exposition (see metrics.ts). */
  metrics(): string | Promise<string>
  onRequest?: (event: IngestRequestEvent) => void
}
