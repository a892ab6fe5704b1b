import { describe, expect, test } from 'bun:test'
import { trimCommitted, emptyOrigins, pushOrigin, selectOrigins } from '../../src/batcher/kafka-rows.ts'
import { committedKafkaOffsets, committedWalSeq, mergedMarkers, OffsetFenceError, type BatchMarkers } from '../../src/batcher/markers.ts'

// What the table holds (a summary or the markers table-markers.ts found): marker keys among others.
const parent = (summary: Record<string, string>): Record<string, string> => ({ operation: 'append', ...summary })

describe('markers', () => {
  test('every snapshot carries the complete markers: marker keys kept (others not), batch advances its own', () => {
    const markers: BatchMarkers = { walSeqMax: 40n, kafka: new Map([['t', new Map([[1, { first: 10n, next: 20n }]])]]) }
    const merged = mergedMarkers(parent({ 'ingest.wal.w1.seq': '30', 'ingest.wal.other.seq': '7', 'ingest.kafka.t': '{"0":5,"1":10}', 'ingest.idempotency-key': 'k', unrelated: 'x' }), 'w1', markers)
    expect(merged).toEqual({ 'ingest.wal.w1.seq': '40', 'ingest.wal.other.seq': '7', 'ingest.kafka.t': '{"0":5,"1":20}' })
    const snapshot = parent(merged)
    expect(committedWalSeq(snapshot, 'w1')).toBe(40n)
    expect(committedWalSeq(snapshot, 'nope')).toBeUndefined()
    expect(committedKafkaOffsets(snapshot, 't')).toEqual(new Map([[0, 5n], [1, 20n]]))
  })

  test('a WAL marker never goes backwards', () => {
    expect(mergedMarkers(parent({ 'ingest.wal.w.seq': '50' }), 'w', { walSeqMax: 40n, kafka: new Map() })['ingest.wal.w.seq']).toBe('50')
  })

  test('a batch starting below what the table holds is fenced', () => {
    const markers: BatchMarkers = { kafka: new Map([['t', new Map([[0, { first: 3n, next: 9n }]])]]) }
    expect(() => mergedMarkers(parent({ 'ingest.kafka.t': '{"0":5}' }), 'w', markers)).toThrow(OffsetFenceError)
    expect(mergedMarkers(parent({ 'ingest.kafka.t': '{"0":3}' }), 'w', markers)['ingest.kafka.t']).toBe('{"0":9}')
  })

  test('trimming drops exactly the rows the table already holds and moves the range start', () => {
    const origins = emptyOrigins(2) // grows past its capacity
    for (let offset = 0n; offset < 10n; offset++) pushOrigin(origins, { topic: 't', partition: offset % 2n === 0n ? 0 : 1, offset })
    pushOrigin(origins, undefined)
    const markers: BatchMarkers = {
      kafka: new Map([['t', new Map([[0, { first: 0n, next: 9n }], [1, { first: 1n, next: 10n }]])]]),
    }
    const kept = trimCommitted(origins, markers, () => new Map([[0, 6n], [1, 20n]]))
    // partition 0 keeps offsets 6 and 8; partition 1 is wholly committed elsewhere; the HTTP row stays.
    expect(kept).toEqual([6, 8, 10])
    const selected = selectOrigins(origins, kept!)
    expect([selected.length, [...selected.topic.subarray(0, 3)], [...selected.partition.subarray(0, 3)], [...selected.offset.subarray(0, 3)]]).toEqual([3, [0, 0, -1], [0, 0, -1], [6, 8, -1]])
    expect(markers.kafka.get('t')).toEqual(new Map([[0, { first: 6n, next: 9n }]]))
    expect(trimCommitted(origins, markers, () => new Map([[0, 6n]]))).toBeUndefined()
  })
})
