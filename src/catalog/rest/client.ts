/**
 * Iceberg REST catalog client (open-api/rest-catalog-open-api.yaml): config, namespaces, tables,
 * commits. Only `fetch`; auth is a fetch wrapper (auth.ts); statuses map to typed errors in errors.ts;
 * Idempotency-Keys on mutations when the server advertises them (idempotency.ts).
 */
import { CatalogError, CommitStateUnknownError } from '../../errors.ts'
import { parseJson, stringifyJson } from '../../iceberg/serde/json.ts'
import { tableMetadataFromJson } from '../../iceberg/serde/table-metadata.ts'
import type { TableIdentifier } from '../../iceberg/types.ts'
import type { Catalog, CommitTableRequest, CreateTableRequest, LoadedTable, Namespace } from '../catalog.ts'
import { authenticatedFetch, type RestAuth } from './auth.ts'
import { restError, type RestOperation } from './errors.ts'
import { commitIdempotencyKey, parseIsoDurationMs, randomIdempotencyKey } from './idempotency.ts'
import { tableName } from '../../iceberg/table-identifier.ts'

export interface RestCatalogOptions {
  /** Base URI, e.g. `http://127.0.0.1:8181` (the `/v1/...` paths are appended). */
  uri: string
  /** Sent as `?warehouse=` to `GET /v1/config`; Glue wants the account id, S3 Tables the bucket ARN. */
  warehouse?: string
  auth?: RestAuth
  fetch?: typeof fetch
  /** Extra headers on every request, e.g. `X-Iceberg-Access-Delegation: vended-credentials`. */
  headers?: Record<string, string>
  requestTimeoutMs?: number
  /** Attempts for idempotent reads (GET/HEAD) on 5xx, 429 and network errors. */
  maxReadAttempts?: number
  /**
   * Attempts for a mutation (commit, create, drop) carrying an Idempotency-Key, on 5xx, 408, 429 and
   * network errors — keys only when `/v1/config` advertises `idempotency-key-lifetime` — and for creates
   * with or without one. Other mutations without a key are sent once (a commit's unknown outcome is then
   * resolved by the caller reloading the table).
   */
  maxMutationAttempts?: number
  /** Sees every attempt that got no answer or a 5xx/408/429: for counting, never for control. */
  onUnavailable?: (event: RestUnavailable) => void
}

/** An attempt the catalog did not answer, or answered 5xx/408/429. */
export interface RestUnavailable {
  method: string
  path: string
  operation: RestOperation
  attempt: number
  /** Another attempt follows (with the same Idempotency-Key, for a mutation). */
  retrying: boolean
  /** `HTTP 503`, or the network error / timeout. */
  reason: string
}

interface LoadTableResult {
  'metadata-location': string
  metadata: unknown
  config?: Record<string, string>
}

const NAMESPACE_SEPARATOR = '\u001f'

/** Multi-level namespaces are joined with the unit separator (%1F) in paths, per the REST spec. */
export function namespacePath(namespace: Namespace): string {
  return encodeURIComponent(namespace.join(NAMESPACE_SEPARATOR))
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Statuses that say "not now" rather than "no": the call may be tried again. */
const unavailable = (status: number) => status >= 500 || status === 408 || status === 429

/** The `timestamp-ms` of the snapshot a commit adds, if it adds one. */
function addedSnapshotTimestamp(request: CommitTableRequest): number | undefined {
  for (const update of request.updates) if (update.action === 'add-snapshot') return update.snapshot['timestamp-ms']
  return undefined
}

/**
 * Creates a REST catalog. Fetches `/v1/config` once (lazily) to learn the `prefix` and defaults.
 * Throws CatalogError (code CATALOG) when the config endpoint is unreachable or refuses.
 */
export function createRestCatalog(options: RestCatalogOptions): Catalog {
  const base = options.uri.replace(/\/+$/, '')
  const send = authenticatedFetch(options.auth ?? { type: 'none' }, base, options.fetch ?? fetch)
  const timeoutMs = options.requestTimeoutMs ?? 30_000
  const maxReadAttempts = options.maxReadAttempts ?? 4

  const maxMutationAttempts = options.maxMutationAttempts ?? 4
  const report = options.onUnavailable ?? (() => {})

  /**
   * One REST call. Reads are retried on 5xx/429/network errors. A mutation with `idempotencyKey` is
   * retried the same way with the same key — the server then applies it at most once and answers a
   * resend of a finished one with its first answer — but only within the advertised key lifetime.
   * A `create` is retried without a key too: if the first attempt landed, the resend is answered 409
   * AlreadyExists, the answer a concurrent creator would have caused and callers already take as "exists".
   * Any other mutation without a key is sent once: a commit without an answer is CommitStateUnknown.
   */
  async function call(
    method: string,
    path: string,
    operation: RestOperation,
    subject: string,
    body?: unknown,
    idempotencyKey?: string,
    create = false,
  ) {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (idempotencyKey !== undefined) headers['Idempotency-Key'] = idempotencyKey
    const idempotent = method === 'GET' || method === 'HEAD'
    const maxAttempts = idempotent ? maxReadAttempts : idempotencyKey !== undefined || create ? maxMutationAttempts : 1
    const payload = body === undefined ? undefined : stringifyJson(body)
    const started = Date.now()
    const mayRetry = (attempt: number) => attempt < maxAttempts && (idempotencyKey === undefined || Date.now() - started < (keyLifetimeMs ?? 0))
    for (let attempt = 1; ; attempt++) {
      let response: Response
      try {
        response = await send(`${base}${path}`, { method, headers, body: payload, signal: AbortSignal.timeout(timeoutMs) })
      } catch (cause) {
        const retrying = mayRetry(attempt)
        report({ method, path, operation, attempt, retrying, reason: String(cause) })
        if (retrying) {
          await sleep(Math.random() * 100 * 2 ** attempt)
          continue
        }
        // A commit whose request may have reached the server has an unknown outcome.
        if (operation === 'commit') throw new CommitStateUnknownError(`REST commit ${subject}: ${String(cause)}`, { cause })
        throw new CatalogError(`REST catalog ${method} ${path} failed: ${String(cause)}`, { cause, retryable: true })
      }
      let text: string
      try {
        text = await response.text()
      } catch (cause) {
        // The answer was cut off mid-body: as good as no answer.
        const retrying = mayRetry(attempt)
        report({ method, path, operation, attempt, retrying, reason: `HTTP ${response.status}, body cut off: ${String(cause)}` })
        if (retrying) {
          await sleep(Math.random() * 100 * 2 ** attempt)
          continue
        }
        if (operation === 'commit') throw new CommitStateUnknownError(`REST commit ${subject}: response body cut off: ${String(cause)}`, { cause })
        throw new CatalogError(`REST catalog ${method} ${path}: response body cut off: ${String(cause)}`, { cause, retryable: true })
      }
      if (response.ok) return { status: response.status, text }
      if (unavailable(response.status)) {
        const retrying = mayRetry(attempt)
        report({ method, path, operation, attempt, retrying, reason: `HTTP ${response.status}` })
        if (retrying) {
          await sleep(Math.random() * 100 * 2 ** attempt)
          continue
        }
      }
      if (method === 'HEAD' && response.status === 404) return { status: 404, text }
      throw restError(operation, subject, response.status, text)
    }
  }

  // Cache the settled value, never a shared promise: on workerd a promise made during one request
  // cannot be awaited by another, and a cancelled first request would strand every later one.
  let prefixValue: string | undefined
  /** From `/v1/config`'s `idempotency-key-lifetime`; undefined: the server does not honour Idempotency-Key. */
  let keyLifetimeMs: number | undefined
  const prefix = async (): Promise<string> => {
    if (prefixValue !== undefined) return prefixValue
    const query = options.warehouse ? `?warehouse=${encodeURIComponent(options.warehouse)}` : ''
    const { text } = await call('GET', `/v1/config${query}`, 'other', 'config')
    const config = JSON.parse(text) as { defaults?: Record<string, string>; overrides?: Record<string, string>; 'idempotency-key-lifetime'?: unknown }
    const lifetime = config['idempotency-key-lifetime']
    keyLifetimeMs = typeof lifetime === 'string' ? parseIsoDurationMs(lifetime) : undefined
    const value = config.overrides?.prefix ?? config.defaults?.prefix
    prefixValue = value ? `/${value.replace(/^\/+|\/+$/g, '')}` : ''
    return prefixValue
  }
  /** A key for a create or drop, when the server takes keys (call `prefix()` first). */
  const mutationKey = () => (keyLifetimeMs === undefined ? undefined : randomIdempotencyKey())
  const tablePath = async (id: TableIdentifier) =>
    `/v1${await prefix()}/namespaces/${namespacePath(id.namespace)}/tables/${encodeURIComponent(id.name)}`
  const loaded = (identifier: TableIdentifier, text: string): LoadedTable => {
    const result = parseJson(text) as LoadTableResult
    return {
      identifier,
      metadataLocation: result['metadata-location'],
      metadata: tableMetadataFromJson(result.metadata),
      config: result.config ?? {},
    }
  }

  return {
    name: `rest:${base}`,

    async listNamespaces(parent) {
      const namespaces: Namespace[] = []
      let pageToken: string | undefined
      do {
        const query = new URLSearchParams()
        if (parent?.length) query.set('parent', parent.join(NAMESPACE_SEPARATOR))
        if (pageToken) query.set('pageToken', pageToken)
        const qs = query.size ? `?${query}` : ''
        const { text } = await call('GET', `/v1${await prefix()}/namespaces${qs}`, 'namespace', parent?.join('.') ?? '(root)')
        const page = JSON.parse(text) as { namespaces: Namespace[]; 'next-page-token'?: string | null }
        namespaces.push(...page.namespaces)
        pageToken = page['next-page-token'] ?? undefined
      } while (pageToken)
      return namespaces
    },

    async createNamespace(namespace, properties = {}) {
      const path = `/v1${await prefix()}/namespaces`
      await call('POST', path, 'namespace', namespace.join('.'), { namespace, properties }, mutationKey(), true)
    },

    async loadNamespaceProperties(namespace) {
      const { text } = await call('GET', `/v1${await prefix()}/namespaces/${namespacePath(namespace)}`, 'namespace', namespace.join('.'))
      return (JSON.parse(text) as { properties?: Record<string, string> }).properties ?? {}
    },

    async dropNamespace(namespace) {
      const path = `/v1${await prefix()}/namespaces/${namespacePath(namespace)}`
      await call('DELETE', path, 'namespace', namespace.join('.'), undefined, mutationKey())
    },

    async listTables(namespace) {
      const tables: TableIdentifier[] = []
      let pageToken: string | undefined
      do {
        const qs = pageToken ? `?pageToken=${encodeURIComponent(pageToken)}` : ''
        const path = `/v1${await prefix()}/namespaces/${namespacePath(namespace)}/tables${qs}`
        const { text } = await call('GET', path, 'namespace', namespace.join('.'))
        const page = JSON.parse(text) as { identifiers: TableIdentifier[]; 'next-page-token'?: string | null }
        tables.push(...page.identifiers)
        pageToken = page['next-page-token'] ?? undefined
      } while (pageToken)
      return tables
    },

    async createTable(namespace, request: CreateTableRequest) {
      const identifier = { namespace, name: request.name }
      const path = `/v1${await prefix()}/namespaces/${namespacePath(namespace)}/tables`
      const { text } = await call('POST', path, 'table', tableName(identifier), { ...request, 'stage-create': false }, mutationKey(), true)
      return loaded(identifier, text)
    },

    async loadTable(identifier) {
      const { text } = await call('GET', await tablePath(identifier), 'table', tableName(identifier))
      return loaded(identifier, text)
    },

    async tableExists(identifier) {
      const { status } = await call('HEAD', await tablePath(identifier), 'table', tableName(identifier))
      return status !== 404
    },

    async commitTable(identifier, request: CommitTableRequest) {
      const body = { identifier, requirements: request.requirements, updates: request.updates }
      const path = await tablePath(identifier)
      const key = keyLifetimeMs === undefined ? undefined : await commitIdempotencyKey(stringifyJson(body), addedSnapshotTimestamp(request) ?? Date.now())
      const { text } = await call('POST', path, 'commit', tableName(identifier), body, key)
      const result = parseJson(text) as LoadTableResult
      return {
        identifier,
        metadataLocation: result['metadata-location'],
        metadata: tableMetadataFromJson(result.metadata),
        config: {},
      }
    },

    async dropTable(identifier, dropOptions = {}) {
      const qs = dropOptions.purge ? '?purgeRequested=true' : ''
      const path = `${await tablePath(identifier)}${qs}`
      await call('DELETE', path, 'table', tableName(identifier), undefined, mutationKey())
    },
  }
}
