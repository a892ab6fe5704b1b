/** Finding the worker's markers on a table other engines also commit to, and after their snapshot expiry. */
import { describe, expect, test } from 'bun:test'
import { markerProperties, markersProperty, MARKERS_PROPERTY, tableMarkers } from '../../src/batcher/table-markers.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { newTableMetadata } from '../../src/iceberg/table-metadata.ts'
import type { Snapshot, TableMetadata } from '../../src/iceberg/types.ts'

const OURS_1 = { 'ingest.wal.w.seq': '10', 'ingest.kafka.t': '{"0":100,"1":50}' }
const OURS_3 = { 'ingest.wal.w.seq': '30', 'ingest.kafka.t': '{"0":300,"1":150}' }

const snapshot = (id: bigint, parent: bigint | undefined, summary: Record<string, string>): Snapshot => ({
  'snapshot-id': id,
  ...(parent === undefined ? {} : { 'parent-snapshot-id': parent }),
  'sequence-number': Number(id),
  'timestamp-ms': Number(id) * 1000,
  'manifest-list': `file:/wh/t/metadata/snap-${id}.avro`,
  summary: { operation: 'append', ...summary },
})

/** A table with `snapshots` (oldest first), main at `current` (default: the last one). */
function table(snapshots: Snapshot[], properties: Record<string, string> = {}, current = snapshots.at(-1)?.['snapshot-id']): TableMetadata {
  const base = newTableMetadata({ name: 't', schema: parseSchemaDsl('id long') }, { location: 'file:/wh/t', tableUuid: crypto.randomUUID(), nowMs: 0 })
  return {
    ...base,
    properties,
    snapshots,
    ...(current === undefined ? {} : { 'current-snapshot-id': current, refs: { main: { 'snapshot-id': current, type: 'branch' as const } } }),
  }
}

const spark = { 'spark.app.id': 'local-1', 'added-records': '1' }

describe('tableMarkers', () => {
  test('the current snapshot is ours: its markers', () => {
    expect(tableMarkers(table([snapshot(1n, undefined, OURS_1)]))).toEqual({ markers: OURS_1, from: 'snapshot', snapshotId: 1n })
  })

  test('another engine appended (or compacted) on top: the newest ancestor with markers', () => {
    const metadata = table([
      snapshot(1n, undefined, OURS_1),
      snapshot(2n, 1n, spark),
      snapshot(3n, 2n, OURS_3),
      snapshot(4n, 3n, spark),
      snapshot(5n, 4n, { operation: 'replace', 'added-data-files': '1', 'deleted-data-files': '3' }),
    ])
    expect(tableMarkers(metadata)).toEqual({ markers: OURS_3, from: 'snapshot', snapshotId: 3n })
  })

  test('another engine expired every snapshot with markers: the ingest.markers property', () => {
    // What Java's expireSnapshots().retainLast(1) leaves after its own compaction: one foreign snapshot, the properties.
    const metadata = table([snapshot(5n, 4n, { operation: 'replace' })], markerProperties(OURS_3, 3n))
    expect(tableMarkers(metadata)).toEqual({ markers: OURS_3, from: 'property', snapshotId: 3n })
  })

  test('no snapshots left but the property: still the property', () => {
    expect(tableMarkers(table([], markerProperties(OURS_1, 1n))).markers).toEqual(OURS_1)
  })

  test('the property is ignored while its snapshot is in the table: rolled back means its rows are gone', () => {
    // main rolled back from 3 (ours) to 2: snapshot 3 stays in the metadata, but is no ancestor of main.
    const metadata = table([snapshot(1n, undefined, OURS_1), snapshot(2n, 1n, spark), snapshot(3n, 2n, OURS_3)], markerProperties(OURS_3, 3n), 2n)
    expect(tableMarkers(metadata)).toEqual({ markers: OURS_1, from: 'snapshot', snapshotId: 1n })
  })

  test('property snapshot expired but an older one of ours survived (targeted expiry): the higher of both, key by key', () => {
    const newerWal = { 'ingest.wal.w.seq': '30', 'ingest.kafka.t': '{"0":300,"1":20}', 'ingest.kafka.u': '{"0":7}' }
    const metadata = table([snapshot(1n, undefined, OURS_1), snapshot(4n, 1n, spark)], markerProperties(newerWal, 3n))
    expect(tableMarkers(metadata)).toEqual({
      markers: { 'ingest.wal.w.seq': '30', 'ingest.kafka.t': '{"0":300,"1":50}', 'ingest.kafka.u': '{"0":7}' },
      from: 'property',
      snapshotId: 3n,
    })
  })

  test('a chain broken by expiry stops at the first missing parent', () => {
    // Snapshot 1 (ours) is gone; 2 points at it. Without a property nothing is known.
    expect(tableMarkers(table([snapshot(2n, 1n, spark), snapshot(3n, 2n, spark)]))).toEqual({ markers: {}, from: 'none' })
  })

  test('nothing committed by us: none; markers in a snapshot written before the property existed still count', () => {
    expect(tableMarkers(table([]))).toEqual({ markers: {}, from: 'none' })
    expect(tableMarkers(table([snapshot(1n, undefined, { ...OURS_1, 'ingest.idempotency-key': 'k' })])).markers).toEqual(OURS_1)
  })
})

describe('the ingest.markers property', () => {
  test('markerProperties writes what markersProperty reads (marker keys only)', () => {
    const properties = markerProperties({ ...OURS_3, operation: 'append' }, 9007199254740993n)
    expect(Object.keys(properties)).toEqual([MARKERS_PROPERTY])
    expect(JSON.parse(properties[MARKERS_PROPERTY]!)).toEqual({ 'snapshot-id': '9007199254740993', markers: OURS_3 })
    expect(markersProperty(properties)).toEqual({ snapshotId: 9007199254740993n, markers: OURS_3 })
    expect(markersProperty({})).toBeUndefined()
  })

  test('a malformed value is an INVALID_MARKERS error naming it, not a silent reset', () => {
    for (const value of ['{', '{"markers":{}}', '{"snapshot-id":12,"markers":{}}', '{"snapshot-id":"12","markers":{"ingest.wal.w.seq":3}}']) {
      let error: unknown
      try {
        markersProperty({ [MARKERS_PROPERTY]: value })
      } catch (caught) {
        error = caught
      }
      expect(error).toMatchObject({ code: 'INVALID_MARKERS', context: { value } })
      expect((error as Error).message).toContain(value)
    }
  })
})
