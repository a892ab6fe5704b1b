/** Fakes for S3 store unit tests: a scripted `fetch` that records every request, canned S3 answers, a store wired to them. */
import { IngestError } from '../../src/errors.ts'
import { createS3Store, type S3StoreOptions } from '../../src/storage/s3/index.ts'

export interface SentRequest {
  method: string
  url: URL
  headers: Headers
  body: Uint8Array | undefined
}

/** A response, a thrown error (network failure), or 'hang' (never answers; honours the abort signal). */
export type Reply = Response | Error | 'hang'

export interface FakeFetch {
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>
  sent: SentRequest[]
}

function bodyBytes(body: BodyInit | null | undefined): Uint8Array | undefined {
  if (body === null || body === undefined) return undefined
  if (typeof body === 'string') return new TextEncoder().encode(body)
  if (body instanceof Uint8Array) return body.slice()
  throw new Error(`fake fetch: unexpected body type ${Object.prototype.toString.call(body)}`)
}

/** `replies` is used in order (the last one repeats), or a handler decides per request. */
export function fakeFetch(replies: Reply[] | ((request: SentRequest) => Reply | Promise<Reply>)): FakeFetch {
  const sent: SentRequest[] = []
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request: SentRequest = {
      method: init?.method ?? 'GET',
      url: new URL(input.toString()),
      headers: new Headers(init?.headers),
      body: bodyBytes(init?.body),
    }
    sent.push(request)
    const reply = Array.isArray(replies) ? replies[Math.min(sent.length - 1, replies.length - 1)]! : await replies(request)
    if (reply === 'hang') {
      return new Promise((_, reject) => {
        const signal = init?.signal
        if (!signal) return
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      })
    }
    if (reply instanceof Error) throw reply
    // A Response body can be read once; hand out a copy so a repeated reply still works.
    return reply.clone()
  }
  return { fetch, sent }
}

export function xmlResponse(status: number, xml: string, headers: Record<string, string> = {}): Response {
  return new Response(xml, { status, headers: { 'content-type': 'application/xml', ...headers } })
}

export function s3ErrorResponse(status: number, code: string, message: string): Response {
  return xmlResponse(status, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>REQ1</RequestId></Error>`)
}

export const SECRET = 'SECRET-must-never-appear-in-messages'
export const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: SECRET }

/** A store on `http://s3.test:9000/bkt` over `fake`; backoff sleeps are recorded, not slept. */
export function storeWith(fake: FakeFetch, extra: Partial<S3StoreOptions> = {}) {
  const sleeps: number[] = []
  const store = createS3Store(
    { bucket: 'bkt', region: 'us-east-1', endpoint: 'http://s3.test:9000', credentials: CREDENTIALS, fetch: fake.fetch, ...extra },
    { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
  )
  return { store, sleeps }
}

export async function errorOf(promise: Promise<unknown>): Promise<IngestError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof IngestError) return error
    throw error
  }
  throw new Error('expected a rejection')
}
