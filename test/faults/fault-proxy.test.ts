/** The fault proxy itself, against a local upstream that records what reaches it. */
import { afterAll, describe, expect, test } from 'bun:test'
import { catalogErrorBody, seededRandom, startFaultProxy, type FaultKind, type FaultProxy } from './fault-proxy.ts'

const hits: { method: string; path: string; host: string | null; body: string }[] = []
const upstream = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(request) {
    const url = new URL(request.url)
    const body = await request.text()
    hits.push({ method: request.method, path: url.pathname + url.search, host: request.headers.get('host'), body })
    if (url.pathname === '/v1/config') return Response.json({ defaults: {}, overrides: {} })
    if (request.method === 'HEAD') return new Response(null, { headers: { 'content-length': '1234' } })
    return new Response(`echo ${request.method} ${url.pathname} ${body}`.padEnd(200, '.'), { headers: { 'x-upstream': 'yes' } })
  },
})
const proxies: FaultProxy[] = []
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()))
  upstream.stop(true)
})

async function proxy(rules: { kind: FaultKind; rate: number }[], extra: Partial<Parameters<typeof startFaultProxy>[0]> = {}) {
  const started = await startFaultProxy({ upstream: `http://127.0.0.1:${upstream.port}`, seed: 7, rules, stallMs: 400, errorBody: catalogErrorBody, ...extra })
  proxies.push(started)
  return started
}

describe('fault proxy', () => {
  test('forwards method, path, query, body and the Host the client signed; HEAD keeps content-length', async () => {
    const p = await proxy([])
    hits.length = 0
    const response = await fetch(`${p.url}/bucket/key?x=1`, { method: 'PUT', body: 'payload' })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-upstream')).toBe('yes')
    expect((await response.text()).startsWith('echo PUT /bucket/key payload')).toBe(true)
    expect(hits).toEqual([{ method: 'PUT', path: '/bucket/key?x=1', host: new URL(p.url).host, body: 'payload' }])
    const head = await fetch(`${p.url}/bucket/key`, { method: 'HEAD' })
    expect(head.headers.get('content-length')).toBe('1234')
    expect(p.requests.get('PUT object')).toBe(1)
  })

  test('the schedule is seeded: same seed, same faults; rates hold over many requests', async () => {
    const a = seededRandom(42)
    const b = seededRandom(42)
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b))
    const p = await proxy([{ kind: '5xx', rate: 0.1 }])
    let refused = 0
    for (let i = 0; i < 400; i++) {
      const response = await fetch(`${p.url}/k${i}`)
      await response.arrayBuffer()
      if (response.status >= 500) refused++
    }
    expect(refused).toBe(p.injected['5xx'])
    expect(refused).toBeGreaterThan(20)
    expect(refused).toBeLessThan(65)
  })

  test('each kind as the client sees it, and whether the request reached the service', async () => {
    const outcome = async (kind: FaultKind) => {
      const p = await proxy([{ kind, rate: 1 }])
      hits.length = 0
      const result = await fetch(`${p.url}/v1/namespaces/ns/tables/t`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(200) })
        .then(async (r) => `${r.status} ${(await r.text()).length}`)
        .catch((e: unknown) => (e as Error).name)
      expect(p.injected[kind]).toBe(1)
      return { result, reached: hits.length }
    }
    expect(await outcome('5xx')).toEqual({ result: expect.stringMatching(/^50[023] /), reached: 0 })
    expect(await outcome('5xx-after')).toEqual({ result: expect.stringMatching(/^503 /), reached: 1 })
    expect(await outcome('drop')).toEqual({ result: expect.stringMatching(/Error/), reached: 1 })
    expect(await outcome('stall')).toEqual({ result: 'TimeoutError', reached: 1 })
    expect(await outcome('reset')).toEqual({ result: expect.stringMatching(/Error/), reached: 1 })
  })

  test('inactive: everything passes untouched', async () => {
    const p = await proxy([{ kind: '5xx', rate: 1 }])
    p.active = false
    expect((await fetch(`${p.url}/k`)).status).toBe(200)
    expect(p.injected['5xx']).toBe(0)
  })

  test('idempotency: config advertises the lifetime; a keyed request is applied once and replayed; a key with another body is refused', async () => {
    const p = await proxy([{ kind: 'drop', rate: 1 }], { idempotency: { lifetime: 'PT30M' } })
    expect(await (await fetch(`${p.url}/v1/config`)).json()).toEqual({ defaults: {}, overrides: {}, 'idempotency-key-lifetime': 'PT30M' })
    hits.length = 0
    const post = (body: string) => fetch(`${p.url}/v1/namespaces/ns/tables/t`, { method: 'POST', body, headers: { 'Idempotency-Key': 'k-1' } })
    await expect(post('{"a":1}')).rejects.toThrow() // forwarded, answer dropped
    const resend = await post('{"a":1}')
    expect(resend.status).toBe(200)
    expect((await resend.text()).startsWith('echo POST')).toBe(true)
    expect(hits).toHaveLength(1)
    expect((await post('{"a":2}')).status).toBe(422)
    expect(p.keyed.map((k) => k.outcome)).toEqual(['forwarded', 'replayed', 'replayed'])
    expect(new Set(p.keyed.map((k) => k.bodySha256)).size).toBe(2)
    expect(p.keyHeaders()).toBe(3)
  })
})
