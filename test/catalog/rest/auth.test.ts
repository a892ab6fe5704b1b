/**
 * REST catalog auth schemes against a local HTTP server that plays the token endpoint and a
 * protected catalog route (the protocol logic only; the real catalog is exercised in e2e).
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { authenticatedFetch } from '../../../src/catalog/rest/auth.ts'
import { createOAuth2TokenSource } from '../../../src/catalog/rest/oauth2.ts'
import { CatalogError } from '../../../src/errors.ts'

let issued = 0
let revoked = new Set<string>()
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(request) {
    const url = new URL(request.url)
    if (url.pathname === '/v1/oauth/tokens') {
      const form = new URLSearchParams(await request.text())
      if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== 'id' || form.get('client_secret') !== 's3cret') {
        return Response.json({ error: 'invalid_client' }, { status: 401 })
      }
      issued++
      return Response.json({ access_token: `token-${issued}`, token_type: 'bearer', expires_in: 60, scope: form.get('scope') })
    }
    const auth = request.headers.get('authorization') ?? ''
    const token = auth.replace(/^Bearer /, '')
    if (!token.startsWith('token-') && token !== 'static' || revoked.has(token)) return new Response('no', { status: 401 })
    return Response.json({ token })
  },
})
const base = `http://127.0.0.1:${server.port}`
afterAll(() => server.stop(true))

describe('REST catalog auth', () => {
  test('bearer: a static token on every request', async () => {
    const send = authenticatedFetch({ type: 'bearer', token: 'static' }, base, fetch)
    expect(await (await send(`${base}/v1/config`)).json()).toEqual({ token: 'static' })
  })

  test('oauth2: one token for many requests, a new one after expiry and after a 401', async () => {
    issued = 0
    let now = 0
    const tokens = createOAuth2TokenSource({ credential: 'id:s3cret', serverUri: `${base}/v1/oauth/tokens`, now: () => now })
    expect(await tokens.token()).toBe('token-1')
    expect(await tokens.token()).toBe('token-1')
    now = 60_000 * 0.8 + 1 // refreshed before it expires
    expect(await tokens.token()).toBe('token-2')
    const send = authenticatedFetch({ type: 'oauth2', credential: 'id:s3cret' }, base, fetch)
    const first = (await (await send(`${base}/v1/config`)).json()) as { token: string }
    revoked.add(first.token)
    const second = (await (await send(`${base}/v1/config`)).json()) as { token: string }
    expect(second.token).not.toBe(first.token)
    revoked = new Set()
  })

  test('oauth2: a refused credential is a CatalogError that does not echo the secret', async () => {
    const tokens = createOAuth2TokenSource({ credential: 'id:wrong-secret', serverUri: `${base}/v1/oauth/tokens` })
    const error = (await tokens.token().catch((e: unknown) => e)) as CatalogError
    expect(error).toBeInstanceOf(CatalogError)
    expect(error.message).toContain('HTTP 401 (invalid_client)')
    expect(error.message).not.toContain('wrong-secret')
  })
})
