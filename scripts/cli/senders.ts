// Where `produce` sends batches: a Kafka topic, or the ingest worker's HTTP endpoint (NDJSON, one record per line).
import { IngestError } from '../../src/errors.ts'
import { kafkaError } from './kafka.ts'
import { MissingTableError } from './missing-table.ts'

export interface OutgoingMessage {
  key: string
  value: string
}

export interface BatchOutcome {
  /** HTTP only: what the worker answered (its `accepted` count and the number of `rejected` records). */
  accepted?: number
  rejected?: number
}

export interface Sender {
  readonly target: string
  send(batch: readonly OutgoingMessage[]): Promise<BatchOutcome>
  close(): Promise<void>
}

/** A producer for `topic` (string keys and values); the Kafka client is imported on first use, not at start-up. */
export async function kafkaSender(brokers: string[], topic: string): Promise<Sender> {
  const { Producer, stringSerializers } = await import('@platformatic/kafka')
  // Idempotent: a retry after a timed-out request must not write the batch twice, or the topic
  // holds more messages than the summary this command prints.
  const producer = new Producer({ clientId: 'iceberg-ingest-produce', bootstrapBrokers: brokers, serializers: stringSerializers, retries: 3, idempotent: true })
  return {
    target: `topic ${topic}`,
    async send(batch) {
      try {
        await producer.send({ messages: batch.map((m) => ({ topic, key: m.key, value: m.value })) })
      } catch (error) {
        throw kafkaError(`cannot produce to ${topic}`, error, brokers)
      }
      return {}
    },
    close: () => producer.close(),
  }
}

/**
 * POSTs batches as NDJSON to the ingest endpoint, so a malformed line is one rejected record, not a refused request.
 * 503 (WAL full, back-pressure) is retried after Retry-After; 404 for an unknown table throws MissingTableError naming
 * `table`; other statuses throw IngestError (code HTTP) with the worker's error code and message.
 */
export function httpSender(url: string, token: string | undefined, table: string): Sender {
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' }
  if (token) headers.authorization = `Bearer ${token}`
  return {
    target: url,
    async send(batch) {
      const body = `${batch.map((m) => m.value).join('\n')}\n`
      for (let attempt = 1; ; attempt++) {
        let response: Response
        try {
          response = await fetch(url, { method: 'POST', headers, body })
        } catch (cause) {
          throw new IngestError('HTTP', `cannot POST to ${url}: ${(cause as Error).message} — is the ingest worker running (\`bun run ingest\`)?`, { cause })
        }
        const text = await response.text()
        if (response.status === 503 && attempt < 30) {
          await Bun.sleep(Number(response.headers.get('retry-after') ?? '1') * 1000)
          continue
        }
        if (!response.ok) {
          let detail = text.slice(0, 300)
          let code: string | undefined
          try {
            const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } }
            if (parsed.error) detail = `${parsed.error.code}: ${parsed.error.message}`
            code = parsed.error?.code
          } catch {
            // not JSON: show the text
          }
          if (response.status === 404 && (code === 'NO_SUCH_TABLE' || code === 'NO_SUCH_NAMESPACE')) {
            throw new MissingTableError('produce', table, `the ingest worker at ${new URL(url).origin}`, {
              hint: 'the worker takes the tables its config lists (and only those)',
              cause: new IngestError('HTTP', `POST ${url} answered 404 (${detail})`, { context: { status: 404 } }),
            })
          }
          throw new IngestError('HTTP', `POST ${url} answered ${response.status} (${detail})`, { context: { status: response.status } })
        }
        const parsed = JSON.parse(text) as { accepted: number; rejected: unknown[] }
        return { accepted: parsed.accepted, rejected: parsed.rejected.length }
      }
    },
    async close() {},
  }
}
