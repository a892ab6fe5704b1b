/** Test helper: in-memory IngestAppDeps that record every call, with a sensor table at learning.sensor_readings. */
import type { Schema } from '../../../src/iceberg/types.ts'
import { createRecordCoercer } from '../../../src/records/coerce.ts'
import type { AcceptInput, AcceptResult, DeadLetterInput, HealthReport, IngestAppDeps, IngestRequestEvent, IngestTable } from '../../../src/sources/http/deps.ts'

export const sensorSchema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'sensor_id', required: true, type: 'string' },
    { id: 2, name: 'ts', required: true, type: 'timestamp' },
    { id: 3, name: 'reading', required: true, type: 'double' },
  ],
}

export interface FakeDeps extends IngestAppDeps {
  accepted: AcceptInput[]
  deadLetters: DeadLetterInput[]
  events: IngestRequestEvent[]
  /** Replaces accept's behaviour for the next calls. */
  acceptWith: (input: AcceptInput) => Promise<AcceptResult>
  healthReport: HealthReport
}

/** Fake deps; `tables` maps "ns.name" (namespace levels joined with '.') to tables. */
export function fakeDeps(overrides: Partial<IngestAppDeps> & { tableMap?: Record<string, IngestTable> } = {}): FakeDeps {
  const coerce = createRecordCoercer(sensorSchema)
  const tableMap: Record<string, IngestTable> = overrides.tableMap ?? { 'learning.sensor_readings': { coerce }, 'a.b.c': { coerce } }
  const deps: FakeDeps = {
    accepted: [],
    deadLetters: [],
    events: [],
    acceptWith: async () => ({ walSeq: 1n }),
    healthReport: { ready: true, reasons: [] },
    tables: (namespace, name) => tableMap[[...namespace, name].join('.')],
    accept: async (input) => {
      deps.accepted.push(input)
      return deps.acceptWith(input)
    },
    deadLetter: async (input) => {
      deps.deadLetters.push(input)
    },
    health: () => deps.healthReport,
    metrics: () => '# HELP up Up.\n# TYPE up gauge\nup 1\n',
    onRequest: (event) => deps.events.push(event),
    ...overrides,
  }
  return deps
}

export const SENSOR_PATH = '/v1/tables/learning/sensor_readings/records'

/** A POST request with a body and content type (default application/json). */
export function post(body: string, contentType = 'application/json', headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', body, headers: { 'Content-Type': contentType, ...headers } }
}
