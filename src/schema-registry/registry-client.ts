/**
 * A Confluent-compatible schema registry over `fetch` (edge-safe): `GET {url}/schemas/ids/{id}` gives the
 * schema text, its type and its references. Confluent Schema Registry serves this API at its root,
 * Apicurio Registry under `/apis/ccompat/v7`, Redpanda and Karapace at their root; `url` includes that path.
 *
 * A registry never changes the schema behind an id, so each answer is cached for the life of the client;
 * failed lookups are not cached (the caller decides whether to retry). Credentials go only into the
 * Authorization header: error messages and logs name the URL without them.
 */
import { IngestError } from '../errors.ts'

export type RegistryAuth = { type: 'basic'; username: string; password: string } | { type: 'bearer'; token: string }

/** `schemaType` as the registry names it; a missing one means AVRO (Confluent's default). */
export type RegistrySchemaType = 'AVRO' | 'PROTOBUF' | 'JSON'

/** Another subject's schema this one imports (Protobuf `import`, Avro named types, JSON Schema `$ref`). */
export interface SchemaReference {
  name: string
  subject: string
  version: number
}

export interface RegistrySchema {
  id: number
  schemaType: RegistrySchemaType
  schema: string
  references: SchemaReference[]
}

export interface SchemaRegistryOptions {
  /** Base URL of the Confluent-compatible API, e.g. `http://registry:8081` or `http://apicurio:8080/apis/ccompat/v7`. */
  url: string
  auth?: RegistryAuth
  /** Injected so tests (and signing or retrying wrappers) can stand in; defaults to the global fetch. */
  fetch?: typeof fetch
  /** Per request, body included (default 10 s). */
  requestTimeoutMs?: number
}

export interface SchemaRegistryClient {
  /** The base URL, without credentials. */
  readonly url: string
  /**
   * The schema registered under `id`.
   * @throws SchemaRegistryError `SCHEMA_NOT_FOUND` when the registry has no such id (definite: not retryable);
   *   `SCHEMA_REGISTRY` for any other failure (retryable unless the registry refused the request itself: 4xx).
   */
  schemaById(id: number): Promise<RegistrySchema>
}

/** A registry lookup failed; `context` names the schema id, the URL (never credentials) and the HTTP status. */
export class SchemaRegistryError extends IngestError {
  constructor(code: 'SCHEMA_NOT_FOUND' | 'SCHEMA_REGISTRY', message: string, options: { id: number; url: string; status?: number; retryable: boolean; cause?: unknown }) {
    super(code, message, { retryable: options.retryable, cause: options.cause, context: { schemaId: options.id, url: options.url, status: options.status } })
  }
}

const SCHEMA_TYPES = new Set<string>(['AVRO', 'PROTOBUF', 'JSON'])

/** `url` without user info or a trailing slash: what may appear in messages. */
function displayUrl(url: string): string {
  const parsed = new URL(url)
  parsed.username = ''
  parsed.password = ''
  return parsed.toString().replace(/\/+$/, '')
}

function authorization(auth: RegistryAuth | undefined): string | undefined {
  if (!auth) return undefined
  if (auth.type === 'bearer') return `Bearer ${auth.token}`
  const bytes = new TextEncoder().encode(`${auth.username}:${auth.password}`)
  return `Basic ${btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''))}`
}

/** The registry's own words for a failure (`{"message": ..., "error_code": ...}`), cut short. */
async function registryMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '')
  try {
    const body = JSON.parse(text) as { message?: unknown; error_code?: unknown }
    if (typeof body.message === 'string') return `${body.message}${body.error_code === undefined ? '' : ` (error_code ${String(body.error_code)})`}`
  } catch {
    // not JSON: show the text itself
  }
  return text.slice(0, 200)
}

/** The answer body as a RegistrySchema, or the reason it is not one. */
function parseSchemaBody(id: number, body: unknown): RegistrySchema | string {
  if (typeof body !== 'object' || body === null) return 'the answer is not a JSON object'
  const { schema, schemaType, references } = body as Record<string, unknown>
  if (typeof schema !== 'string') return 'the answer has no "schema" string'
  const type = schemaType === undefined || schemaType === null ? 'AVRO' : schemaType
  if (typeof type !== 'string' || !SCHEMA_TYPES.has(type)) return `schemaType ${JSON.stringify(schemaType)} is none of AVRO, PROTOBUF, JSON`
  const refs: SchemaReference[] = []
  for (const ref of Array.isArray(references) ? (references as unknown[]) : []) {
    const { name, subject, version } = (ref ?? {}) as Record<string, unknown>
    if (typeof name !== 'string' || typeof subject !== 'string' || typeof version !== 'number') return `reference ${JSON.stringify(ref)} lacks name, subject or version`
    refs.push({ name, subject, version })
  }
  return { id, schemaType: type as RegistrySchemaType, schema, references: refs }
}

/**
 * A client with a per-id cache.
 * @throws IngestError `CONFIG` when `url` is not an http(s) URL.
 */
export function createSchemaRegistryClient(options: SchemaRegistryOptions): SchemaRegistryClient {
  if (!/^https?:\/\//i.test(options.url)) throw new IngestError('CONFIG', `schema registry url ${JSON.stringify(displayUrl(options.url))} is not an http(s) URL`)
  const url = displayUrl(options.url)
  // fetch refuses URLs with credentials (Fetch spec); `http://user:pass@host` means basic auth.
  const parsed = new URL(options.url)
  const fromUrl: RegistryAuth | undefined = parsed.username ? { type: 'basic', username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : undefined
  const base = url
  const doFetch = options.fetch ?? fetch
  const timeoutMs = options.requestTimeoutMs ?? 10_000
  const header = authorization(options.auth ?? fromUrl)
  const cache = new Map<number, Promise<RegistrySchema>>()

  const lookup = async (id: number): Promise<RegistrySchema> => {
    const where = `${url}/schemas/ids/${id}`
    let response: Response
    let body: unknown
    try {
      response = await doFetch(`${base}/schemas/ids/${id}`, {
        headers: { Accept: 'application/vnd.schemaregistry.v1+json, application/json', ...(header ? { Authorization: header } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      })
      if (response.status === 404) {
        throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `unknown schema id ${id}: GET ${where} answered 404 ${await registryMessage(response)}`, { id, url, status: 404, retryable: false })
      }
      if (!response.ok) {
        const status = response.status
        // 408 and 429 are the registry asking to come back later; other 4xx (401, 403) will not change by retrying the same request.
        const retryable = status >= 500 || status === 408 || status === 429
        throw new SchemaRegistryError('SCHEMA_REGISTRY', `GET ${where} answered ${status} ${await registryMessage(response)}`, { id, url, status, retryable })
      }
      body = await response.json()
    } catch (error) {
      if (error instanceof SchemaRegistryError) throw error
      throw new SchemaRegistryError('SCHEMA_REGISTRY', `GET ${where} failed: ${(error as Error).message}`, { id, url, retryable: true, cause: error })
    }
    const parsed = parseSchemaBody(id, body)
    if (typeof parsed === 'string') throw new SchemaRegistryError('SCHEMA_REGISTRY', `GET ${where}: ${parsed}`, { id, url, status: response.status, retryable: false })
    return parsed
  }

  return {
    url,
    schemaById(id) {
      let found = cache.get(id)
      if (!found) {
        found = lookup(id)
        cache.set(id, found)
        found.catch(() => cache.delete(id))
      }
      return found
    },
  }
}
