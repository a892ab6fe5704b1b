/**
 * Request bodies → records. Formats: `application/json` (one object, or an array of records) and NDJSON
 * (`application/x-ndjson`, `application/jsonl`: one record per line, blank lines skipped). A malformed NDJSON line is
 * one bad record; a malformed JSON body is a bad request.
 */
import { HttpRequestError } from './errors.ts'

export type BodyFormat = 'json' | 'ndjson'

export const ACCEPTED_MEDIA_TYPES = ['application/json', 'application/x-ndjson', 'application/jsonl'] as const

/** One record of a body: its index (array position or line number from 0) and parsed value, or why it did not parse. */
export interface BodyEntry {
  index: number
  value: unknown
  parseError?: string
}

export interface ParsedBody {
  entries: BodyEntry[]
  /** The record's original text; computed on demand, since only rejected records need it. */
  rawText(index: number): string
  /** Every record as one JSON array text, from the body as sent (no re-serialising). */
  arrayText(): string
}

/**
 * The format for a Content-Type header, or undefined when it is not one we accept. A charset other than UTF-8 is
 * refused: JSON text exchanged between systems must be UTF-8 (RFC 8259 §8.1).
 */
export function bodyFormat(contentType: string | undefined): BodyFormat | undefined {
  if (contentType === undefined) return undefined
  const [type = '', ...parameters] = contentType.toLowerCase().split(';').map((part) => part.trim())
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '')
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return undefined
  if (type === 'application/json') return 'json'
  if (type === 'application/x-ndjson' || type === 'application/jsonl') return 'ndjson'
  return undefined
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Decodes the body as UTF-8 (a leading BOM is dropped). Throws HttpRequestError INVALID_BODY on invalid bytes. */
/** The body format a request's Content-Type asks for; throws HttpRequestError UNSUPPORTED_MEDIA_TYPE naming the accepted types. */
export function requestBodyFormat(contentType: string | undefined): BodyFormat {
  const format = bodyFormat(contentType)
  if (format === undefined) {
    throw new HttpRequestError('UNSUPPORTED_MEDIA_TYPE', `unsupported Content-Type ${JSON.stringify(contentType ?? '')}; send one of ${ACCEPTED_MEDIA_TYPES.join(', ')} (UTF-8)`)
  }
  return format
}

export function decodeUtf8(bytes: ArrayBuffer): string {
  try {
    return utf8.decode(bytes)
  } catch (cause) {
    // Decoding with replacement would store U+FFFD in place of the client's bytes without telling anyone.
    throw new HttpRequestError('INVALID_BODY', 'request body is not valid UTF-8', { cause })
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function parseNdjson(text: string): ParsedBody {
  const lines = text.split('\n')
  const entries: BodyEntry[] = []
  for (let index = 0; index < lines.length; index++) {
    let line = lines[index] as string
    if (line.endsWith('\r')) line = line.slice(0, -1)
    lines[index] = line
    if (line.trim() === '') continue
    try {
      entries.push({ index, value: JSON.parse(line) })
    } catch (error) {
      entries.push({ index, value: undefined, parseError: `invalid JSON: ${errorMessage(error)}` })
    }
  }
  return { entries, rawText: (index) => lines[index] ?? '', arrayText: () => `[${entries.map((entry) => lines[entry.index]).join(',')}]` }
}

const QUOTE = 34
const BACKSLASH = 92
const COMMA = 44
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93
const OPEN_BRACE = 123
const CLOSE_BRACE = 125

/**
 * `[start, end)` offsets of each top-level element of a JSON array text, so a dead letter carries the element
 * exactly as sent (re-serialising would change numbers JSON.parse rounded). The text has already parsed, so this
 * only tracks strings (with escapes), nesting depth and the four JSON whitespace characters.
 */
export function arrayElementSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = []
  let depth = 0
  let start = -1
  let end = -1
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) {
        inString = false
        end = i + 1
      }
      continue
    }
    if (c === 32 || c === 9 || c === 10 || c === 13) continue
    if (depth === 1 && (c === COMMA || c === CLOSE_BRACKET)) {
      if (start !== -1) spans.push([start, end])
      start = -1
      if (c === CLOSE_BRACKET) depth = 0
      continue
    }
    if (depth === 1 && start === -1) start = i
    if (c === QUOTE) inString = true
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) depth++
    else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--
    end = i + 1
  }
  return spans
}

function parseJson(text: string): ParsedBody {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new HttpRequestError('INVALID_BODY', `malformed JSON body: ${errorMessage(error)}`, { cause: error })
  }
  if (Array.isArray(value)) {
    let spans: Array<[number, number]> | undefined
    const rawText = (index: number): string => {
      spans ??= arrayElementSpans(text)
      const span = spans[index]
      return span === undefined ? '' : text.slice(span[0], span[1])
    }
    return { entries: value.map((item: unknown, index) => ({ index, value: item })), rawText, arrayText: () => text.trim() }
  }
  if (typeof value === 'object' && value !== null) return { entries: [{ index: 0, value }], rawText: () => text.trim(), arrayText: () => `[${text.trim()}]` }
  throw new HttpRequestError('INVALID_BODY', `a JSON body must be an object or an array of objects, got ${value === null ? 'null' : typeof value}`)
}

/** The records of a decoded body. Throws HttpRequestError INVALID_BODY when a JSON body does not parse or is not an object or array. */
export function parseBody(text: string, format: BodyFormat): ParsedBody {
  return format === 'ndjson' ? parseNdjson(text) : parseJson(text)
}
