/**
 * Registry-framed message values → records (edge-safe): the wire-format header names a schema id, the
 * registry gives its schema once, the format builds a writer schema from it, and every later payload with
 * that id is read synchronously. While an id is being looked up, `decode` answers what to wait for; the
 * caller keeps the message (and the ones after it) until that settles, then decodes it again.
 *
 * A value that cannot become a record is a reason, never an exception: no wire-format header, an id the
 * registry does not know (asked again after a minute), a schema of another format or with no Iceberg
 * equivalent, a payload that does not decode. A registry that cannot be reached, or refuses our
 * credentials, is not the message's fault: the lookup is retried (with a log line) until it answers, and
 * the messages wait in the topic rather than becoming dead letters.
 */
import { IngestError } from '../errors.ts'
import { avroWriterSchema } from './avro-format.ts'
import { jsonSchemaWriterSchema } from './json-schema-format.ts'
import { protobufWriterSchema } from './protobuf-format.ts'
import type { RegistrySchema, RegistrySchemaType, SchemaRegistryClient } from './registry-client.ts'
import { readFrame } from './wire-format.ts'
import type { Writer, WriterSchema } from './writer-schema.ts'

export type RegistryFormat = 'avro' | 'protobuf' | 'json-schema'

export type Decoded = { ok: true; record: Record<string, unknown>; writer: Writer } | { ok: false; reason: string } | { ok: false; waiting: Promise<void> }

export interface RegistryDecoder {
  readonly format: RegistryFormat
  /** Framed values are bytes (the header is), whatever the payload: keep them as such (base64) in dead letters. */
  readonly binary: true
  /** One message value → a record and its writer, the reason it cannot be one, or a lookup to wait for first. */
  decode(value: Uint8Array | undefined): Decoded
  /** Ends the retries of lookups still waiting (a stopping worker): they settle, and the next decode starts over. */
  close(): void
}

export interface RegistryDecoderOptions {
  format: RegistryFormat
  registry: SchemaRegistryClient
  log?: (line: string) => void
  /** First pause before asking again after a failure that may pass (doubles up to 30 s; default 1 s). */
  retryDelayMs?: number
  /** Clock for the unknown-id recheck (default Date.now). */
  now?: () => number
}

/** An id the registry did not know may be registered later (a producer's registry ahead of ours): ask again after this long. */
const NOT_FOUND_RECHECK_MS = 60_000
const MAX_RETRY_DELAY_MS = 30_000

const SCHEMA_TYPE: Record<RegistryFormat, RegistrySchemaType> = { avro: 'AVRO', protobuf: 'PROTOBUF', 'json-schema': 'JSON' }
const BUILDERS: Record<RegistryFormat, (id: number, text: string) => WriterSchema> = {
  avro: avroWriterSchema,
  protobuf: protobufWriterSchema,
  'json-schema': jsonSchemaWriterSchema,
}

type SchemaState = { schema: WriterSchema } | { reason: string; until?: number } | { pending: Promise<void> }

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

/** The writer schema of a registry answer, or why messages with its id cannot be read. */
function writerSchemaOf(format: RegistryFormat, schema: RegistrySchema, url: string): WriterSchema | string {
  const where = `schema id ${schema.id} from ${url}`
  if (schema.schemaType !== SCHEMA_TYPE[format]) return `${where} is ${schema.schemaType}, but this table reads ${format} (${SCHEMA_TYPE[format]})`
  if (schema.references.length) {
    return `${where} references ${schema.references.map((r) => `${r.subject} v${r.version}`).join(', ')}; schema references are not supported yet`
  }
  try {
    return BUILDERS[format](schema.id, schema.schema)
  } catch (error) {
    return `${where}: ${(error as Error).message}`
  }
}

export function createRegistryDecoder(options: RegistryDecoderOptions): RegistryDecoder {
  const { format, registry } = options
  const closing = new AbortController()
  const signal = closing.signal
  const log = options.log ?? (() => {})
  const now = options.now ?? Date.now
  const firstDelay = options.retryDelayMs ?? 1000
  const states = new Map<number, SchemaState>()

  const load = async (id: number): Promise<void> => {
    let delay = firstDelay
    for (;;) {
      try {
        const built = writerSchemaOf(format, await registry.schemaById(id), registry.url)
        states.set(id, typeof built === 'string' ? { reason: built } : { schema: built })
        if (typeof built === 'string') log(`schema registry: ${built}; its messages become dead letters`)
        return
      } catch (error) {
        const known = error instanceof IngestError
        if (known && error.code === 'SCHEMA_NOT_FOUND') {
          states.set(id, { reason: error.message, until: now() + NOT_FOUND_RECHECK_MS })
          return
        }
        if (signal.aborted) {
          states.delete(id)
          return
        }
        // Retryable or not (401/403 stays 401/403 until someone fixes the credentials), the messages are not to blame: wait.
        log(`schema registry: ${(error as Error).message}; asking again in ${delay} ms, messages wait meanwhile`)
        await sleep(delay, signal)
        delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS)
      }
    }
  }

  return {
    format,
    binary: true,
    close: () => closing.abort(),
    decode(value) {
      const frame = readFrame(value)
      if (!frame.ok) return frame
      const state = states.get(frame.schemaId)
      if (state === undefined || ('until' in state && state.until !== undefined && now() >= state.until)) {
        const pending = load(frame.schemaId)
        states.set(frame.schemaId, { pending })
        return { ok: false, waiting: pending }
      }
      if ('pending' in state) return { ok: false, waiting: state.pending }
      if ('reason' in state) return { ok: false, reason: state.reason }
      return state.schema.read(frame.payload)
    },
  }
}
