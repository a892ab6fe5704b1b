/**
 * OAuth2 client-credentials tokens for the REST catalog (`credential=id:secret`, `oauth2-server-uri`,
 * `scope`), fetched on first use and refreshed before they expire or after a 401.
 */
import { CatalogError } from '../../errors.ts'

export interface OAuth2Options {
  /** `client_id:client_secret`, as Iceberg's `credential` property. */
  credential: string
  /** Token endpoint; defaults to `<catalog uri>/v1/oauth/tokens`. */
  serverUri: string
  scope?: string
  fetch?: typeof fetch
  /** Clock, injectable for tests. */
  now?: () => number
}

interface TokenResponse {
  access_token?: string
  expires_in?: number
  token_type?: string
}

/** Returns a function that yields a valid bearer token; `invalidate()` forces a fresh one (after a 401). */
export function createOAuth2TokenSource(options: OAuth2Options): { token(): Promise<string>; invalidate(): void } {
  const doFetch = options.fetch ?? fetch
  const now = options.now ?? Date.now
  const separator = options.credential.indexOf(':')
  const clientId = separator < 0 ? '' : options.credential.slice(0, separator)
  const clientSecret = separator < 0 ? options.credential : options.credential.slice(separator + 1)
  // Only settled tokens are shared (see client.ts: no promise crosses requests on workerd).
  let cached: { token: string; refreshAt: number } | undefined

  const fetchToken = async (): Promise<string> => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_secret: clientSecret, scope: options.scope ?? 'catalog' })
    if (clientId) form.set('client_id', clientId)
    const response = await doFetch(options.serverUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    })
    const text = await response.text()
    if (!response.ok) {
      // The body may echo the request; never include the secret: only status and the server's error type.
      const type = /"error"\s*:\s*"([^"]+)"/.exec(text)?.[1] ?? 'unknown'
      throw new CatalogError(`OAuth2 token request to ${options.serverUri} failed with HTTP ${response.status} (${type})`, {
        status: response.status,
        code: 'AUTH',
      })
    }
    const body = JSON.parse(text) as TokenResponse
    if (!body.access_token) throw new CatalogError(`OAuth2 token response from ${options.serverUri} has no access_token`, { code: 'AUTH' })
    // Refresh at 80% of the lifetime so a request never carries a token that expires in flight.
    const lifetimeMs = (body.expires_in ?? 3600) * 1000
    cached = { token: body.access_token, refreshAt: now() + lifetimeMs * 0.8 }
    return body.access_token
  }

  return {
    token() {
      if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token)
      return fetchToken()
    },
    invalidate() {
      cached = undefined
    },
  }
}
