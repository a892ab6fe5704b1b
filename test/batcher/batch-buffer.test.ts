/** The pure buffer: rows and markers into the open batch, rolls into the queue, pending figures derived from both. */
import { describe, expect, test } from 'bun:test'
import { BatchBuffer, batchIsEmpty } from '../../src/batcher/batch-buffer.ts'
import { parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'

const schema = parseSchemaDsl('id long not null, name string')
const row = (id: number) => ({ id: BigInt(id), name: `n${id}` })

describe('BatchBuffer', () => {
  test('WAL rows: the open batch tracks its WAL range; the lowest pending seq comes from every batch not committed', () => {
    const buffer = new BatchBuffer(schema, 100)
    buffer.add([row(1)], { walSeq: 7n }, 1_000)
    buffer.add([row(2), row(3)], { walSeq: 5n }, 1_010)
    expect(buffer.state()).toEqual({ rows: 3, bytes: expect.any(Number), oldestAtMs: 1_000 })
    expect(buffer.lowestPendingWalSeq()).toBe(5n)
    expect(buffer.roll('rows')).toBe(true)
    buffer.add([row(4)], { walSeq: 9n }, 1_020)
    expect(buffer.queued).toBe(1)
    expect(buffer.head()!.markers.walSeqMax).toBe(7n)
    expect(buffer.head()!.walSeqMin).toBe(5n)
    expect(buffer.lowestPendingWalSeq()).toBe(5n)
    buffer.shift() // committed
    expect(buffer.lowestPendingWalSeq()).toBe(9n)
    expect(buffer.state().oldestAtMs).toBe(1_020)
  })

  test('Kafka rows and offsets: each partition keeps one range; offsets alone make a batch worth committing', () => {
    const buffer = new BatchBuffer(schema, 100)
    buffer.add([row(1)], { kafka: { topic: 't', partition: 0, offset: 10n } }, 0)
    buffer.trackOffset('t', 0, 11n, 0) // a dead letter: no row, but consumed
    buffer.add([row(2)], { kafka: { topic: 't', partition: 1, offset: 3n } }, 0)
    const batch = (buffer.roll('interval'), buffer.head()!)
    expect([...batch.markers.kafka.get('t')!]).toEqual([
      [0, { first: 10n, next: 12n }],
      [1, { first: 3n, next: 4n }],
    ])
    const { topics, length, topic, partition, offset } = batch.origins
    expect({ topics, length, topic: [...topic.subarray(0, length)], partition: [...partition.subarray(0, length)], offset: [...offset.subarray(0, length)] }).toEqual({ topics: ['t'], length: 2, topic: [0, 0], partition: [0, 1], offset: [10, 3] })
    expect(buffer.lowestPendingWalSeq()).toBeUndefined()

    const offsetsOnly = new BatchBuffer(schema, 100)
    offsetsOnly.trackOffset('t', 0, 1n, 0)
    expect(offsetsOnly.state().rows).toBe(0)
    expect(offsetsOnly.openHasOffsets).toBe(true)
    expect(offsetsOnly.roll('interval')).toBe(true)
    expect(batchIsEmpty(offsetsOnly.head()!)).toBe(false)
  })

  test('an empty open batch does not roll; each batch gets its own snapshot id; pending counts open and queued rows', () => {
    const buffer = new BatchBuffer(schema, 100)
    expect(buffer.roll('interval')).toBe(false)
    buffer.add([row(1), row(2)], { none: true }, 0)
    buffer.roll('interval')
    buffer.add([row(3)], { none: true }, 0)
    buffer.roll('interval')
    buffer.add([row(4)], { none: true }, 0)
    const pending = buffer.pending()
    expect(pending.rows).toBe(4)
    expect(pending.batches).toBe(2)
    // Values (the Parquet estimate), their columns (a long and a string code: 12 bytes a row; 64 per distinct name in its batch's dictionary, 4 in all) and 100 a row.
    expect(pending.memoryBytes).toBe(pending.bytes + 4 * 12 + 4 * 64 + 4 * 100)
    const first = buffer.head()!.snapshotId
    buffer.shift()
    expect(buffer.head()!.snapshotId).not.toBe(first)
  })
})
