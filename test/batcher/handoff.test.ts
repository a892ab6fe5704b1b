/** Handoffs (pure): the JSON form round-trips exactly; coverage and the fold rules that keep a shared snapshot exactly once. */
import { describe, expect, test } from 'bun:test'
import { decodeHandoff, encodeHandoff, type Handoff } from '../../src/batcher/handoff.ts'
import { coverage, foldedMarkers, openingPartitions, selectHandoffs, type PendingHandoff } from '../../src/batcher/handoff-fold.ts'
import { OffsetFenceError, type BatchMarkers } from '../../src/batcher/markers.ts'
import type { DataFile } from '../../src/iceberg/types.ts'

const ranges = (topic: string, byPartition: Record<number, [number, number]>): BatchMarkers => ({
  kafka: new Map([[topic, new Map(Object.entries(byPartition).map(([p, [first, next]]) => [Number(p), { first: BigInt(first), next: BigInt(next) }]))]]),
})

const file = (path: string, rows = 10): DataFile => ({ content: 0, 'file-path': path, 'file-format': 'PARQUET', partition: [], 'record-count': rows, 'file-size-in-bytes': 100 })

const handoff = (id: string, markers: BatchMarkers, layout = { schemaId: 0, specId: 0 }): Handoff => ({
  table: 'ns.t',
  worker: `w-${id}`,
  id,
  sentAtMs: 1,
  ...layout,
  walId: `wal-${id}`,
  markers,
  // Every partition the table has no marker of is opened here (the rule for those has its own test).
  opening: [...markers.kafka].flatMap(([topic, partitions]) => [...partitions.keys()].map((partition) => ({ topic, partition }))),
  files: [file(`s3://b/t/data/${id}.parquet`)],
})
const pending = (...handoffs: Handoff[]): PendingHandoff[] => handoffs.map((h) => ({ handoff: h, receivedAtMs: 0 }))

describe('handoff JSON', () => {
  test('round-trips files exactly: 64-bit values, bounds and partition values of every primitive kind', () => {
    const dataFile: DataFile = {
      content: 0,
      'file-path': 's3://bucket/ns/t/data/day=2026-12-03/123-0-00000.parquet',
      'file-format': 'PARQUET',
      partition: [20425, 'eu', 9007199254740993n, new Uint8Array([0, 255, 7]), true, null, 1.5, Number.NaN, -0],
      'record-count': 41_000,
      'file-size-in-bytes': 1_234_567,
      'column-sizes': new Map([[1, 100], [2, 200]]),
      'value-counts': new Map([[1, 41_000]]),
      'null-value-counts': new Map([[1, 0]]),
      'nan-value-counts': new Map([[3, 2]]),
      'lower-bounds': new Map([[1, new Uint8Array([1, 2, 3])]]),
      'upper-bounds': new Map([[1, new Uint8Array(Array.from({ length: 70_000 }, (_, i) => i % 256))]]),
      'split-offsets': [4n, 9223372036854775807n],
      'sort-order-id': 0,
    }
    const sent: Handoff = { ...handoff('7318349394477056000', { walSeqMax: 18446744073709551615n, ...ranges('events', { 0: [9007199254740990, 9007199254740999], 11: [0, 5] }) }), files: [dataFile] }
    const received = decodeHandoff(encodeHandoff(sent))
    expect(received).toEqual(sent)
    expect(Number.isNaN(received.files[0]!.partition[7] as number)).toBe(true)
    expect(Object.is(received.files[0]!.partition[8], -0)).toBe(true)
    expect(received.markers.kafka.get('events')!.get(0)!.first).toBe(9007199254740990n)
  })

  test('what is not a handoff is refused naming why', () => {
    expect(() => decodeHandoff('not json')).toThrow(/INVALID_HANDOFF|not JSON/)
    expect(() => decodeHandoff('{"v":2}')).toThrow('has version 2, expected 1')
    const good = JSON.parse(encodeHandoff(handoff('1', ranges('t', { 0: [0, 1] }))))
    expect(() => decodeHandoff(JSON.stringify({ ...good, worker: 3 }))).toThrow('has no string "worker"')
    expect(() => decodeHandoff(JSON.stringify({ ...good, kafka: { t: { 0: ['x', '1'] } } }))).toThrow('malformed offset or file')
    expect(() => decodeHandoff(JSON.stringify({ ...good, files: [{ 'file-path': 'x' }] }))).toThrow('lacks file-path, partition or record-count')
  })
})

describe('coverage', () => {
  const table = { 'ingest.kafka.t': '{"0":100,"1":50}', 'ingest.wal.w.seq': '9' }
  test('covered only when the table holds every range; untouched when none; partial otherwise', () => {
    expect(coverage(table, { walId: 'w', markers: ranges('t', { 0: [90, 100], 1: [10, 50] }) })).toBe('covered')
    expect(coverage(table, { walId: 'w', markers: ranges('t', { 0: [100, 120], 2: [0, 10] }) })).toBe('untouched')
    expect(coverage(table, { walId: 'w', markers: ranges('t', { 0: [95, 120] }) })).toBe('partial')
    // One partition committed by another owner, one not: the files hold both, so they cannot be folded.
    expect(coverage(table, { walId: 'w', markers: ranges('t', { 0: [90, 100], 2: [0, 10] }) })).toBe('partial')
    expect(coverage(table, { walId: 'w', markers: { walSeqMax: 9n, kafka: new Map() } })).toBe('covered')
    expect(coverage(table, { walId: 'other', markers: { walSeqMax: 9n, kafka: new Map() } })).toBe('untouched')
    expect(coverage(table, { walId: 'w', markers: { kafka: new Map() } })).toBe('untouched')
  })
})

const layout = { schemaId: 0, specId: 0 }

describe('selecting handoffs to fold', () => {
  test('folds handoffs that continue each partition where it stands; drops covered, overlapping and other-layout ones; defers the rest', async () => {
    const base = { 'ingest.kafka.t': '{"0":100,"1":50}' }
    const own = { walId: 'own', markers: ranges('t', { 0: [100, 200] }) }
    const a = handoff('a', ranges('t', { 2: [0, 10] }))
    const covered = handoff('covered', ranges('t', { 1: [40, 50] }))
    const overlap = handoff('overlap', ranges('t', { 1: [45, 60] }))
    const layoutChanged = handoff('layout', ranges('t', { 3: [0, 10] }), { schemaId: 1, specId: 0 })
    // Read again by the committer after a rebalance: its own batch goes first, this waits (then is covered).
    const sharesOwn = handoff('shares-own', ranges('t', { 0: [100, 150] }))
    const afterA = handoff('after-a', ranges('t', { 2: [10, 20] }))
    const gap = handoff('gap', ranges('t', { 1: [70, 80] }))
    const b = handoff('b', ranges('u', { 2: [0, 10] }))
    const selection = selectHandoffs(base, layout, own, pending(afterA, a, covered, overlap, layoutChanged, sharesOwn, gap, b))
    // after-a arrived first, but goes after a: the chain of partition 2 is a then after-a.
    expect(selection.chosen.map((e) => e.handoff.id)).toEqual(['a', 'b', 'after-a'])
    expect(selection.ownRefused).toBeUndefined()
    expect(selection.dropped.map((d) => [d.pending.handoff.id, d.reason])).toEqual([
      ['covered', 'covered'],
      ['overlap', 'overlap'],
      ['layout', 'layout'],
    ])
    expect(selection.deferred.map((e) => e.handoff.id)).toEqual(['shares-own', 'gap'])
    // The snapshot's markers: the table's, advanced by the committer's batch and each chosen handoff.
    const markers = foldedMarkers(base, [own, ...selection.chosen.map((e) => e.handoff)])
    expect(markers).toEqual({ 'ingest.kafka.t': '{"0":200,"1":50,"2":20}', 'ingest.kafka.u': '{"2":10}' })
  })

  test("the committer's batch past where its partition stands waits for a handoff holding what lies between; with none (retention) it goes", () => {
    const base = { 'ingest.kafka.t': '{"0":100}' }
    const own = { walId: 'own', markers: ranges('t', { 0: [150, 200] }) }
    // Its own earlier batch, handed off while it was a sender: folded first, then its batch continues it.
    const earlier = handoff('earlier', ranges('t', { 0: [100, 150] }))
    expect(selectHandoffs(base, layout, own, pending(earlier)).chosen.map((e) => e.handoff.id)).toEqual(['earlier'])
    expect(selectHandoffs(base, layout, own, pending(earlier)).ownRefused).toBeUndefined()
    // ...after it, in the snapshot's markers too: merged first, it would fence the earlier batch (the e2e looped on that).
    expect(selectHandoffs(base, layout, own, pending(earlier)).ownAt).toBe(1)
    expect(foldedMarkers(base, [earlier, own])).toEqual({ 'ingest.kafka.t': '{"0":200}' })
    expect(() => foldedMarkers(base, [own, earlier])).toThrow()
    // A piece that does not reach the table's marker cannot be folded, yet holds offsets below ours: we wait.
    const stray = handoff('stray', ranges('t', { 0: [120, 150] }))
    expect(selectHandoffs(base, layout, own, pending(stray)).ownRefused).toContain('handoff stray holds offsets before it')
    expect(selectHandoffs(base, layout, own, []).ownRefused).toBeUndefined()
  })

  test('a partition the table holds nothing of starts only with a handoff that opens it: a later piece whose first one the committer never saw waits', () => {
    const first = handoff('first', ranges('t', { 7: [0, 100] }))
    const second = { ...handoff('second', ranges('t', { 7: [100, 180] })), opening: [] }
    // The first piece was sent before the committer read the channel: the second must not pass it.
    const alone = selectHandoffs({}, layout, undefined, pending(second))
    expect([alone.chosen.length, alone.deferred.map((e) => e.handoff.id)]).toEqual([0, ['second']])
    expect(selectHandoffs({}, layout, undefined, pending(second, first)).chosen.map((e) => e.handoff.id)).toEqual(['first', 'second'])
    // Which partitions a batch opens: none the table has a marker of, none an earlier outstanding batch of the writer holds.
    expect(openingPartitions({ 'ingest.kafka.t': '{"1":5}' }, ranges('t', { 1: [5, 9], 2: [0, 4], 3: [7, 9] }), [ranges('t', { 3: [0, 7] })])).toEqual([{ topic: 't', partition: 2 }])
  })

  test('two handoffs of one WAL are never folded together; without the committer\'s own batch every disjoint one goes', () => {
    const w1 = { ...handoff('w1', { walSeqMax: 5n, kafka: new Map() }), walId: 'wal' }
    const w2 = { ...handoff('w2', { walSeqMax: 9n, kafka: new Map() }), walId: 'wal' }
    const selection = selectHandoffs({}, layout, undefined, pending(w1, w2))
    expect(selection.chosen.map((e) => e.handoff.id)).toEqual(['w1'])
    expect(selection.deferred.map((e) => e.handoff.id)).toEqual(['w2'])
  })

  test('a table that moved after the selection fences the fold: no offset lands twice', () => {
    const chosen = handoff('a', ranges('t', { 0: [100, 120] }))
    // Another owner committed partition 0 up to 110 between the selection and the catalog attempt.
    expect(() => foldedMarkers({ 'ingest.kafka.t': '{"0":110}' }, [chosen])).toThrow(OffsetFenceError)
    // Two contributions of one partition, were they ever combined, fence each other too.
    expect(() => foldedMarkers({}, [chosen, handoff('b', ranges('t', { 0: [110, 130] }))])).toThrow(OffsetFenceError)
  })
})
