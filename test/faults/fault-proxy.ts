/**
 * A fault-injecting HTTP proxy on 127.0.0.1 for the fault suite: a real proxy (node:http, requests forwarded
 * to the real S3 server or REST catalog with their headers, Host included, so SigV4 signatures still check),
 * and a seeded schedule of faults drawn per request while `active`:
 *
 * - `5xx`      answered 500/502/503 without forwarding (the service refused)
 * - `5xx-after` forwarded, then answered 503 (it landed; the client is told it failed: apache/iceberg #13867)
 * - `stall`    forwarded, then no answer until the client has timed out, then the connection is closed
 * - `reset`    forwarded, the response's headers and half its body sent, then the connection reset
 * - `drop`     forwarded, the connection closed without a response (it landed; the client does not know)
 *
 * `idempotency` makes it play a catalog that honours the REST spec's Idempotency-Key in front of one that does
 * not: `/v1/config` gains `idempotency-key-lifetime`, a keyed mutation is forwarded once, its final answer
 * (2xx, 4xx) is kept and replayed to every resend of the key — whatever fault the first attempt met — and
 * every keyed request is recorded for the test to compare keys across resends.
 */
import { createHash } from 'node:crypto'
import { Agent, createServer, request as upstreamRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'

export type FaultKind = '5xx' | '5xx-after' | 'stall' | 'reset' | 'drop'
export const FAULT_KINDS: readonly FaultKind[] = ['5xx', '5xx-after', 'stall', 'reset', 'drop']

export interface ProxiedRequest {
  method: string
  /** Path and query, as sent. */
  path: string
}

/** `rate` of the requests `when` matches (all when omitted) get `kind`; rules are drawn from one number per request. */
export interface FaultRule {
  kind: FaultKind
  rate: number
  when?: (request: ProxiedRequest) => boolean
}

export interface FaultProxyOptions {
  /** `http://127.0.0.1:port` of the real service. */
  upstream: string
  /** Seed of the schedule (mulberry32): the same seed and request order give the same faults. */
  seed: number
  rules: FaultRule[]
  /** How long a `stall` holds the connection; make it longer than the client's request timeout. */
  stallMs: number
  /** Body of a `5xx` answer: S3 wants an XML `<Error>`, the catalog a JSON ErrorModel. */
  errorBody: (status: number) => { contentType: string; body: string }
  /** Play a catalog that honours Idempotency-Key (see the module comment), advertising this lifetime. */
  idempotency?: { lifetime: string }
}

/** A keyed mutation as the proxy saw it (idempotency mode). */
export interface KeyedRequest {
  key: string
  method: string
  path: string
  /** SHA-256 of the body: one key must always come with one body. */
  bodySha256: string
  /** `forwarded` reached the service; `replayed` was answered from the kept answer; `refused` a 5xx fault. */
  outcome: 'forwarded' | 'replayed' | 'refused'
}

export interface FaultProxy {
  readonly url: string
  /** Faults injected so far, by kind. */
  readonly injected: Record<FaultKind, number>
  /** Requests seen, by `METHOD kind-of-path` (see `requestClass`). */
  readonly requests: Map<string, number>
  /** Keyed mutations, in arrival order (idempotency mode only). */
  readonly keyed: KeyedRequest[]
  /** Requests that carried an Idempotency-Key header, in any mode. */
  readonly keyHeaders: () => number
  /** Faults are drawn only while active (default true); off, the proxy forwards everything untouched. */
  active: boolean
  close(): Promise<void>
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A catalog table commit: `POST /v1/{prefix}/namespaces/{ns}/tables/{table}`. */
export const isCatalogCommit = (r: ProxiedRequest) => r.method === 'POST' && /\/namespaces\/[^/]+\/tables\/[^/?]+(\?|$)/.test(r.path)

/** `PUT object`, `GET config`, `POST commit`...: what the figures count requests by. */
export function requestClass(r: ProxiedRequest): string {
  if (isCatalogCommit(r)) return 'POST commit'
  if (r.path.startsWith('/v1/config')) return `${r.method} config`
  if (r.path.startsWith('/v1/')) return `${r.method} catalog`
  return `${r.method} object`
}

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** Hop-by-hop headers that must not be copied from a buffered upstream answer. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'])

const readAll = async (stream: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Starts the proxy on an ephemeral 127.0.0.1 port. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream)
  const agent = new Agent({ keepAlive: true, maxSockets: 32 })
  const random = seededRandom(options.seed)
  const injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>
  const requests = new Map<string, number>()
  const keyed: KeyedRequest[] = []
  const kept = new Map<string, { bodySha256: string; answer: Answer }>()
  const timers = new Set<ReturnType<typeof setTimeout>>()
  let keyHeaders = 0

  const forward = (req: IncomingMessage, body: Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers }
      for (const name of HOP_BY_HOP) delete headers[name]
      if (body.length > 0 || headers['content-length'] !== undefined) headers['content-length'] = String(body.length)
      const out = upstreamRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
        (res) => void readAll(res).then((buffer) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: buffer }), reject),
      )
      out.on('error', reject)
      out.end(body)
    })

  const answerHeaders = (answer: Answer, method: string): Record<string, string | string[]> => {
    const headers: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value
    // HEAD keeps the object's content-length (S3 head reads the size from it); a buffered body states its own.
    if (method !== 'HEAD') headers['content-length'] = String(answer.body.length)
    return headers
  }

  const send = (res: ServerResponse, answer: Answer, method: string) => {
    res.writeHead(answer.status, answerHeaders(answer, method))
    res.end(method === 'HEAD' ? undefined : answer.body)
  }

  const refuse = (res: ServerResponse, status: number) => {
    const { contentType, body } = options.errorBody(status)
    res.writeHead(status, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) })
    res.end(body)
  }

  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      run()
    }, ms)
    timers.add(timer)
  }

  const draw = (request: ProxiedRequest): FaultKind | undefined => {
    if (!proxy.active) return undefined
    const r = random()
    let edge = 0
    for (const rule of options.rules) {
      if (rule.when && !rule.when(request)) continue
      edge += rule.rate
      if (r < edge) return rule.kind
    }
    return undefined
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const request = { method: req.method ?? 'GET', path: req.url ?? '/' }
    const cls = requestClass(request)
    requests.set(cls, (requests.get(cls) ?? 0) + 1)
    const body = await readAll(req)
    if (req.headers['idempotency-key'] !== undefined) keyHeaders++

    if (options.idempotency && request.method === 'GET' && request.path.startsWith('/v1/config')) {
      // Plain JSON to rewrite: not the gzip the catalog would send otherwise.
      delete req.headers['accept-encoding']
      const answer = await forward(req, body)
      const config = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>
      config['idempotency-key-lifetime'] = options.idempotency.lifetime
      send(res, { ...answer, body: Buffer.from(JSON.stringify(config)) }, request.method)
      return
    }
    const key = options.idempotency && request.method !== 'GET' && request.method !== 'HEAD' ? req.headers['idempotency-key'] : undefined
    const keyText = typeof key === 'string' ? key : undefined
    const bodySha256 = createHash('sha256').update(body).digest('hex')
    const record = (outcome: KeyedRequest['outcome']) => {
      if (keyText !== undefined) keyed.push({ key: keyText, method: request.method, path: request.path, bodySha256, outcome })
    }
    if (keyText !== undefined) {
      const previous = kept.get(keyText)
      if (previous) {
        record('replayed')
        if (previous.bodySha256 !== bodySha256) return refuse(res, 422) // the spec forbids reusing a key for another request
        return send(res, previous.answer, request.method)
      }
    }

    const fault = draw(request)
    if (fault === '5xx') {
      injected[fault]++
      record('refused')
      return refuse(res, [500, 502, 503][Math.floor(random() * 3)]!)
    }
    const answer = await forward(req, body)
    record('forwarded')
    // A server finalizes 2xx and 4xx answers to a keyed request, never 5xx (REST spec, idempotency-key).
    if (keyText !== undefined && answer.status < 500) kept.set(keyText, { bodySha256, answer })
    if (fault === undefined) return send(res, answer, request.method)
    injected[fault]++
    switch (fault) {
      case '5xx-after':
        return refuse(res, 503)
      case 'drop':
        res.socket?.destroy()
        return
      case 'stall':
        later(options.stallMs, () => res.socket?.destroy())
        return
      case 'reset': {
        if (request.method === 'HEAD' || answer.body.length < 2) {
          res.socket?.destroy()
          return
        }
        res.writeHead(answer.status, answerHeaders(answer, request.method))
        res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)), () => later(20, () => res.socket?.destroy()))
        return
      }
      default: {
        const unknown: never = fault
        throw new Error(`unknown fault ${String(unknown)}`)
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // The upstream itself failed (refused, reset): say so as a gateway would.
      if (!res.headersSent) refuse(res, 502)
      else res.socket?.destroy()
      if (!(error instanceof Error && /ECONNRESET|ECONNREFUSED|socket/i.test(error.message))) console.error(`fault proxy: ${String(error)}`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0

  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${port}`,
    injected,
    requests,
    keyed,
    keyHeaders: () => keyHeaders,
    active: true,
    async close() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      server.closeAllConnections?.()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      agent.destroy()
    },
  }
  return proxy
}

/** S3's error document for a refused request. */
export const s3ErrorBody = (status: number) => ({
  contentType: 'application/xml',
  body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${status === 503 ? 'ServiceUnavailable' : 'InternalError'}</Code><Message>injected by the fault proxy</Message></Error>`,
})

/** The REST spec's ErrorModel for a refused request. */
export const catalogErrorBody = (status: number) => ({
  contentType: 'application/json',
  body: JSON.stringify({ error: { message: 'injected by the fault proxy', type: status === 503 ? 'ServiceUnavailableException' : 'ServerError', code: status } }),
})
