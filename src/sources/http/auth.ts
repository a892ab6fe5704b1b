/** Bearer-token checks (RFC 6750 §2.1) compared in constant time over SHA-256 digests, with web crypto only. */

const encoder = new TextEncoder()
/** Digests of configured token lists, computed once per list (lists are fixed when the app or table is built). */
const digestCache = new WeakMap<readonly string[], Promise<Uint8Array[]>>()

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
}

function digestsOf(tokens: readonly string[]): Promise<Uint8Array[]> {
  let digests = digestCache.get(tokens)
  if (digests === undefined) {
    digests = Promise.all(tokens.map(sha256))
    digestCache.set(tokens, digests)
  }
  return digests
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  // Any non-space token is read (not only RFC token68 characters): configured tokens are compared exactly anyway.
  const match = /^Bearer +(\S+) *$/i.exec(header)
  return match?.[1]
}

/**
 * True when `presented` equals one of `tokens`. Both sides are hashed first, so the comparison always covers 32
 * bytes whatever the token lengths, and every configured token is compared without an early exit: the time taken
 * reveals neither a token's length nor how much of it a guess got right.
 */
export async function tokenMatches(presented: string, tokens: readonly string[]): Promise<boolean> {
  if (tokens.length === 0) return false
  const [candidate, digests] = await Promise.all([sha256(presented), digestsOf(tokens)])
  let matched = 0
  for (const digest of digests) {
    let difference = 0
    for (let i = 0; i < digest.length; i++) difference |= (digest[i] as number) ^ (candidate[i] as number)
    matched |= difference === 0 ? 1 : 0
  }
  return matched === 1
}
