/**
 * Where a table's progress markers are when other engines write the same table (pure).
 *
 * Our snapshots carry the complete markers in their summaries (markers.ts), but the current
 * snapshot may be another engine's: a Spark or PyIceberg append, a Trino delete, another engine's
 * compaction — none of them copy `ingest.*` keys. And another engine's `expire_snapshots` may
 * remove every snapshot that has them. So the markers live in two places:
 *
 *   1. the summaries: the newest snapshot along the current snapshot's parent chain that has markers;
 *   2. the table property `ingest.markers`, set in the same commit as each of our appends
 *      (`set-properties`): `{"snapshot-id": "<our snapshot>", "markers": {<the same keys>}}`.
 *      Properties are table metadata, not snapshots, so every engine's expiry keeps them.
 *
 * Which one decides: while the snapshot the property names is still in the table, the chain does
 * (it is that snapshot, or one of our maintenance snapshots carrying it; if that snapshot is no
 * longer an ancestor, another engine rolled the table back and its rows are gone, so its markers
 * must not count). Once that snapshot expired, nothing in the table contradicts the property: the
 * markers are the higher of the chain's and the property's, key by key, so nothing committed is
 * ingested again.
 */
import { IngestError } from '../errors.ts'
import { ancestorsOf } from '../iceberg/table-metadata.ts'
import type { TableMetadata } from '../iceberg/types.ts'
import { KAFKA_MARKER_PREFIX, kafkaMarkerValue, markersOf, parseKafkaMarker, WAL_MARKER_PREFIX, type Markers } from './markers.ts'

/** The table property holding a copy of the markers of our newest append. */
export const MARKERS_PROPERTY = 'ingest.markers'

export interface TableMarkers {
  markers: Markers
  /**
   * `snapshot`: the summary of `snapshotId`, an ancestor of the current snapshot; `property`: the
   * table property (its snapshot expired), raised where the chain held more; `none`: nothing committed yet.
   */
  from: 'snapshot' | 'property' | 'none'
  snapshotId?: bigint
}

interface MarkersProperty {
  snapshotId: bigint
  markers: Markers
}

/**
 * Reads the `ingest.markers` property; undefined when absent. Throws IngestError INVALID_MARKERS
 * naming the value when it is not what markerProperties writes: guessing could re-ingest or skip rows.
 */
export function markersProperty(properties: Record<string, string>): MarkersProperty | undefined {
  const value = properties[MARKERS_PROPERTY]
  if (value === undefined) return undefined
  const invalid = (why: string) =>
    new IngestError('INVALID_MARKERS', `table property ${MARKERS_PROPERTY} ${why}: ${value}`, { context: { property: MARKERS_PROPERTY, value } })
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    throw invalid('is not JSON')
  }
  const object = parsed as { 'snapshot-id'?: unknown; markers?: unknown }
  if (typeof object !== 'object' || object === null || typeof object['snapshot-id'] !== 'string' || !/^\d+$/.test(object['snapshot-id'])) {
    throw invalid('has no "snapshot-id" string of digits')
  }
  const markers = object.markers
  if (typeof markers !== 'object' || markers === null || Object.values(markers).some((v) => typeof v !== 'string')) {
    throw invalid('has no "markers" object of strings')
  }
  return { snapshotId: BigInt(object['snapshot-id']), markers: markersOf(markers as Record<string, string>) }
}

/** The `set-properties` updates that record `markers` as committed by snapshot `snapshotId`. */
export function markerProperties(markers: Markers, snapshotId: bigint): Record<string, string> {
  return { [MARKERS_PROPERTY]: JSON.stringify({ 'snapshot-id': String(snapshotId), markers: markersOf(markers) }) }
}

/** The higher of two marker sets, key by key (WAL sequence numbers; Kafka offsets per partition). */
function higher(a: Markers, b: Markers): Markers {
  const out: Markers = { ...a }
  for (const [key, value] of Object.entries(b)) {
    const mine = out[key]
    if (mine === undefined) out[key] = value
    else if (key.startsWith(WAL_MARKER_PREFIX)) out[key] = BigInt(value) > BigInt(mine) ? value : mine
    else if (key.startsWith(KAFKA_MARKER_PREFIX)) {
      const offsets = parseKafkaMarker(mine)
      for (const [partition, next] of parseKafkaMarker(value)) if (next > (offsets.get(partition) ?? -1n)) offsets.set(partition, next)
      out[key] = kafkaMarkerValue(offsets)
    }
  }
  return out
}

/**
 * The markers `metadata`'s current state holds (see the module comment for the rule).
 * Throws IngestError INVALID_MARKERS for a malformed `ingest.markers` property.
 */
export function tableMarkers(metadata: TableMetadata): TableMarkers {
  const current = metadata['current-snapshot-id']
  const chain = current === undefined ? [] : ancestorsOf(metadata, current)
  const holder = chain.find((snapshot) => Object.keys(markersOf(snapshot.summary)).length > 0)
  const fromChain: TableMarkers = holder
    ? { markers: markersOf(holder.summary), from: 'snapshot', snapshotId: holder['snapshot-id'] }
    : { markers: {}, from: 'none' }
  const property = markersProperty(metadata.properties)
  if (!property || metadata.snapshots.some((s) => s['snapshot-id'] === property.snapshotId)) return fromChain
  return { markers: higher(property.markers, fromChain.markers), from: 'property', snapshotId: property.snapshotId }
}
