// Which Kafka brokers a command talks to, and @platformatic/kafka's nested errors as one readable line.
import { IngestError } from '../../src/errors.ts'
import { loadConfig } from './catalog.ts'
import { UsageError } from './usage.ts'

export const KAFKA_HELP = `  -b, --bootstrap HOST:PORT[,...]
                      Kafka brokers (default: $KAFKA_BOOTSTRAP, else kafka.brokers of --config,
                      else localhost:9092)`

/** Brokers from --bootstrap, $KAFKA_BOOTSTRAP, the config file's kafka.brokers, or localhost:9092, in that order. */
export function kafkaBrokers(command: string, bootstrap: string | undefined, configPath: string | undefined, env: Record<string, string | undefined>): string[] {
  const text = bootstrap ?? env.KAFKA_BOOTSTRAP
  if (text !== undefined) {
    const brokers = text.split(',').map((b) => b.trim()).filter(Boolean)
    const bad = brokers.find((b) => !/^[^\s:]+:\d{1,5}$/.test(b))
    if (!brokers.length || bad !== undefined) {
      throw new UsageError(`${command}: brokers are HOST:PORT[,HOST:PORT...], got ${JSON.stringify(text)} (from ${bootstrap !== undefined ? '--bootstrap' : 'KAFKA_BOOTSTRAP'}); e.g. --bootstrap 127.0.0.1:9092`)
    }
    return brokers
  }
  if (configPath ?? env.INGEST_CONFIG) return loadConfig(command, configPath, env).config.kafka?.brokers ?? ['localhost:9092']
  return ['localhost:9092']
}

function messages(error: unknown, out: string[]): void {
  if (!(error instanceof Error)) return
  const nested = (error as Error & { errors?: unknown[] }).errors
  const cause = (error as Error & { cause?: unknown }).cause
  if (!nested?.length && !cause) out.push(error.message)
  for (const e of nested ?? []) messages(e, out)
  if (cause) messages(cause, out)
}

/** A Kafka client failure → IngestError (code KAFKA) whose message carries the innermost reasons and the brokers. */
export function kafkaError(what: string, error: unknown, brokers: readonly string[]): IngestError {
  const reasons: string[] = []
  messages(error, reasons)
  const unique = [...new Set(reasons)].slice(0, 3).join('; ')
  const unreachable = /ECONNREFUSED|connect|timed out|timeout/i.test(unique)
  const hint = unreachable ? ` — is Kafka running at ${brokers.join(',')}? (set --bootstrap or KAFKA_BOOTSTRAP)` : ''
  return new IngestError('KAFKA', `${what}: ${unique || (error as Error).message}${hint}`, { cause: error, context: { brokers } })
}
