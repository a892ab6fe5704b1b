/**
 * Dead letters as an Iceberg table beside each ingest table (`<table>_dead_letters`): the raw
 * record, why it was refused, and where it came from. Bad input is never dropped silently and
 * never stops the pipeline.
 */
import type { Row, Schema } from '../iceberg/types.ts'

export const DEAD_LETTER_SUFFIX = '_dead_letters'

export const deadLetterSchema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'source', required: true, type: 'string', doc: 'http or kafka' },
    { id: 2, name: 'received_at', required: true, type: 'timestamptz' },
    { id: 3, name: 'error', required: true, type: 'string' },
    { id: 4, name: 'raw', required: false, type: 'string', doc: 'the record as received (UTF-8; invalid bytes replaced)' },
    { id: 5, name: 'topic', required: false, type: 'string' },
    { id: 6, name: 'partition', required: false, type: 'int' },
    { id: 7, name: 'offset', required: false, type: 'long' },
    { id: 8, name: 'key', required: false, type: 'string' },
    { id: 9, name: 'record_index', required: false, type: 'int', doc: 'position of the record in its HTTP request' },
  ],
}

export interface DeadLetter {
  source: 'http' | 'kafka'
  receivedAtMs: number
  error: string
  raw: string | null
  topic?: string
  partition?: number
  offset?: bigint
  key?: string | null
  recordIndex?: number
}

export function deadLetterRow(letter: DeadLetter): Row {
  return {
    source: letter.source,
    received_at: BigInt(letter.receivedAtMs) * 1000n,
    error: letter.error,
    raw: letter.raw,
    topic: letter.topic ?? null,
    partition: letter.partition ?? null,
    offset: letter.offset ?? null,
    key: letter.key ?? null,
    record_index: letter.recordIndex ?? null,
  }
}
