/**
 * A handoff: what a worker that is not its table's committer sends the committer instead of
 * committing (docs/design.md, "Several workers, one commit per table"): the data files it wrote
 * (already in object storage) and the offsets / WAL position they hold. Pure: the type and its JSON
 * form, which keeps 64-bit values exact (bigints as strings) and bounds as base64.
 *
 *   {"v":1,"table":"ns.t","worker":"…","id":"<batch snapshot id>","sentAtMs":…,"schemaId":0,"specId":0,
 *    "walId":"…","walSeqMax":"42","kafka":{"<topic>":{"<partition>":["<first>","<next>"]}},"opening":[["<topic>",<partition>]],"files":[…]}
 */
import { IngestError } from '../errors.ts'
import type { DataFile, IcebergValue } from '../iceberg/types.ts'
import type { BatchMarkers, OffsetRange } from './markers.ts'

export interface Handoff {
  /** Dotted table name. */
  table: string
  /** The sending worker (unique per process). */
  worker: string
  /** The sender's batch snapshot id: names the handoff in the committer's snapshot summary. */
  id: string
  sentAtMs: number
  /** The schema and default spec the files were written in: the committer folds only files of the table's current ones. */
  schemaId: number
  specId: number
  /** The sender's WAL, for a batch holding HTTP rows (its `ingest.wal.<walId>.seq` marker). */
  walId: string
  markers: BatchMarkers
  /** Partitions whose range opens them (handoff-fold.ts Contribution.opening). */
  opening: { topic: string; partition: number }[]
  files: DataFile[]
}

const FORMAT_VERSION = 1

/** The handoff as one JSON text (what goes on the control topic). */
export function encodeHandoff(handoff: Handoff): string {
  const kafka: Record<string, Record<string, [string, string]>> = {}
  for (const [topic, partitions] of handoff.markers.kafka) {
    kafka[topic] = Object.fromEntries([...partitions].map(([partition, range]) => [String(partition), [String(range.first), String(range.next)]]))
  }
  return JSON.stringify({
    v: FORMAT_VERSION,
    table: handoff.table,
    worker: handoff.worker,
    id: handoff.id,
    sentAtMs: handoff.sentAtMs,
    schemaId: handoff.schemaId,
    specId: handoff.specId,
    walId: handoff.walId,
    ...(handoff.markers.walSeqMax !== undefined ? { walSeqMax: String(handoff.markers.walSeqMax) } : {}),
    kafka,
    opening: handoff.opening.map(({ topic, partition }) => [topic, partition]),
    files: handoff.files.map(encodeDataFile),
  })
}

/** Reads what encodeHandoff wrote. Throws IngestError INVALID_HANDOFF naming what is wrong (and the text's start). */
export function decodeHandoff(text: string): Handoff {
  const invalid = (why: string) => new IngestError('INVALID_HANDOFF', `handoff ${why}: ${text.slice(0, 200)}`, { context: { text: text.slice(0, 200) } })
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(text) as Record<string, unknown>
  } catch {
    throw invalid('is not JSON')
  }
  if (typeof raw !== 'object' || raw === null) throw invalid('is not an object')
  if (raw.v !== FORMAT_VERSION) throw invalid(`has version ${JSON.stringify(raw.v)}, expected ${FORMAT_VERSION}`)
  for (const key of ['table', 'worker', 'id', 'walId'] as const) if (typeof raw[key] !== 'string') throw invalid(`has no string "${key}"`)
  for (const key of ['sentAtMs', 'schemaId', 'specId'] as const) if (typeof raw[key] !== 'number') throw invalid(`has no number "${key}"`)
  if (!Array.isArray(raw.files)) throw invalid('has no "files" array')
  if (!Array.isArray(raw.opening) || (raw.opening as unknown[]).some((o) => !Array.isArray(o) || typeof o[0] !== 'string' || !Number.isInteger(o[1]))) throw invalid('has no "opening" list of [topic, partition]')
  const kafka = new Map<string, Map<number, OffsetRange>>()
  try {
    for (const [topic, partitions] of Object.entries(raw.kafka as Record<string, Record<string, [string, string]>>)) {
      kafka.set(topic, new Map(Object.entries(partitions).map(([partition, [first, next]]) => [Number(partition), { first: BigInt(first), next: BigInt(next) }])))
    }
    return {
      table: raw.table as string,
      worker: raw.worker as string,
      id: raw.id as string,
      sentAtMs: raw.sentAtMs as number,
      schemaId: raw.schemaId as number,
      specId: raw.specId as number,
      walId: raw.walId as string,
      markers: { kafka, ...(typeof raw.walSeqMax === 'string' ? { walSeqMax: BigInt(raw.walSeqMax) } : {}) },
      opening: (raw.opening as [string, number][]).map(([topic, partition]) => ({ topic, partition })),
      files: (raw.files as Record<string, unknown>[]).map(decodeDataFile),
    }
  } catch (error) {
    throw error instanceof IngestError ? error : invalid(`has a malformed offset or file (${(error as Error).message})`)
  }
}

const toBase64 = (bytes: Uint8Array): string => {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0))

/**
 * A partition value in JSON: null, booleans, strings and finite numbers as they are; bigints (longs,
 * decimals, timestamps) and binary tagged, so the committer's manifest carries exactly what the
 * writer's would have.
 */
type TaggedValue = null | boolean | string | number | { long: string } | { bytes: string } | { double: string }

function encodeValue(value: IcebergValue): TaggedValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? value : { double: Object.is(value, -0) ? '-0' : String(value) }
  if (typeof value === 'bigint') return { long: String(value) }
  if (value instanceof Uint8Array) return { bytes: toBase64(value) }
  throw new IngestError('INVALID_HANDOFF', `a partition value must be a primitive, got ${JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`)
}

function decodeValue(value: TaggedValue): IcebergValue {
  if (value === null || typeof value !== 'object') return value
  if ('long' in value) return BigInt(value.long)
  if ('bytes' in value) return fromBase64(value.bytes)
  return Number(value.double)
}

const mapToJson = <V>(map: Map<number, V> | undefined, encode: (v: V) => unknown) => (map ? Object.fromEntries([...map].map(([k, v]) => [String(k), encode(v)])) : undefined)
const mapFromJson = <V>(json: unknown, decode: (v: never) => V) => (json === undefined ? undefined : new Map(Object.entries(json as Record<string, never>).map(([k, v]) => [Number(k), decode(v)])))

const countMaps = ['column-sizes', 'value-counts', 'null-value-counts', 'nan-value-counts'] as const
const boundMaps = ['lower-bounds', 'upper-bounds'] as const

function encodeDataFile(file: DataFile): Record<string, unknown> {
  const out: Record<string, unknown> = {
    content: file.content,
    'file-path': file['file-path'],
    'file-format': file['file-format'],
    partition: file.partition.map(encodeValue),
    'record-count': file['record-count'],
    'file-size-in-bytes': file['file-size-in-bytes'],
  }
  for (const key of countMaps) if (file[key]) out[key] = mapToJson(file[key], (v) => v)
  for (const key of boundMaps) if (file[key]) out[key] = mapToJson(file[key], toBase64)
  if (file['split-offsets']) out['split-offsets'] = file['split-offsets'].map(String)
  if (file['sort-order-id'] !== undefined) out['sort-order-id'] = file['sort-order-id']
  if (file['first-row-id'] !== undefined) out['first-row-id'] = String(file['first-row-id'])
  if (file['referenced-data-file'] !== undefined) out['referenced-data-file'] = file['referenced-data-file']
  if (file['content-offset'] !== undefined) out['content-offset'] = file['content-offset']
  if (file['content-size-in-bytes'] !== undefined) out['content-size-in-bytes'] = file['content-size-in-bytes']
  return out
}

function decodeDataFile(raw: Record<string, unknown>): DataFile {
  if (typeof raw['file-path'] !== 'string' || !Array.isArray(raw.partition) || typeof raw['record-count'] !== 'number') {
    throw new IngestError('INVALID_HANDOFF', `handoff data file lacks file-path, partition or record-count: ${JSON.stringify(raw).slice(0, 200)}`)
  }
  const file: DataFile = {
    content: raw.content as DataFile['content'],
    'file-path': raw['file-path'],
    'file-format': raw['file-format'] as DataFile['file-format'],
    partition: (raw.partition as TaggedValue[]).map(decodeValue),
    'record-count': raw['record-count'],
    'file-size-in-bytes': raw['file-size-in-bytes'] as number,
  }
  for (const key of countMaps) {
    const map = mapFromJson<number>(raw[key], (v: number) => v)
    if (map) file[key] = map
  }
  for (const key of boundMaps) {
    const map = mapFromJson<Uint8Array>(raw[key], (v: string) => fromBase64(v))
    if (map) file[key] = map
  }
  if (Array.isArray(raw['split-offsets'])) file['split-offsets'] = (raw['split-offsets'] as string[]).map((v) => BigInt(v))
  if (typeof raw['sort-order-id'] === 'number') file['sort-order-id'] = raw['sort-order-id']
  if (typeof raw['first-row-id'] === 'string') file['first-row-id'] = BigInt(raw['first-row-id'])
  if (typeof raw['referenced-data-file'] === 'string') file['referenced-data-file'] = raw['referenced-data-file']
  if (typeof raw['content-offset'] === 'number') file['content-offset'] = raw['content-offset']
  if (typeof raw['content-size-in-bytes'] === 'number') file['content-size-in-bytes'] = raw['content-size-in-bytes']
  return file
}
