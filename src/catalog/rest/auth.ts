/** How the REST catalog client authenticates: a fetch wrapper per scheme, so the client itself stays auth-agnostic. */
import { createSigV4Fetch, type AwsCredentials } from '../../auth/sigv4.ts'
import { createOAuth2TokenSource } from './oauth2.ts'

export type RestAuth =
  | { type: 'none' }
  | { type: 'bearer'; token: string }
  /** Iceberg's `credential=id:secret`; token endpoint defaults to `<uri>/v1/oauth/tokens`. */
  | { type: 'oauth2'; credential: string; serverUri?: string; scope?: string }
  /** `signingName` is `execute-api` by default, `glue` for AWS Glue, `s3tables` for S3 Tables. */
  | { type: 'sigv4'; region: string; signingName?: string; credentials: AwsCredentials }

/** Wraps `baseFetch` so each request carries the scheme's credentials. */
export function authenticatedFetch(auth: RestAuth, catalogUri: string, baseFetch: typeof fetch): typeof fetch {
  switch (auth.type) {
    case 'none':
      return baseFetch
    case 'bearer':
      return ((input: RequestInfo | URL, init?: RequestInit) => {
        const headers = new Headers(init?.headers)
        headers.set('authorization', `Bearer ${auth.token}`)
        return baseFetch(input, { ...init, headers })
      }) as typeof fetch
    case 'oauth2': {
      const tokens = createOAuth2TokenSource({
        credential: auth.credential,
        serverUri: auth.serverUri ?? `${catalogUri.replace(/\/$/, '')}/v1/oauth/tokens`,
        scope: auth.scope,
        fetch: baseFetch,
      })
      const send = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
        const headers = new Headers(init?.headers)
        headers.set('authorization', `Bearer ${await tokens.token()}`)
        return baseFetch(input, { ...init, headers })
      }
      return (async (input: RequestInfo | URL, init?: RequestInit) => {
        const response = await send(input, init)
        // A 401 means the server dropped our token early (rotation, restart): fetch a new one once.
        if (response.status !== 401) return response
        tokens.invalidate()
        return send(input, init)
      }) as typeof fetch
    }
    case 'sigv4':
      return createSigV4Fetch({
        region: auth.region,
        service: auth.signingName ?? 'execute-api',
        credentials: auth.credentials,
        fetch: baseFetch,
      })
    default: {
      const unknown: never = auth
      throw new Error(`unknown REST auth ${JSON.stringify(unknown)}`)
    }
  }
}
