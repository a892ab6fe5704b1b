/** Retried and failed remote calls: counted by target, /health reasons while they keep happening, Kafka's from its clients' events. */
import { describe, expect, test } from 'bun:test'
import { EventEmitter } from 'node:events'
import { instancesChannel, ProtocolError } from '@platformatic/kafka'
import { countKafkaCalls } from '../../src/worker/kafka-calls.ts'
import { createRemoteCalls } from '../../src/worker/remote-calls.ts'

describe('remote calls', () => {
  test('counts by target; degraded from the third event within the window, ok once they age out', () => {
    let now = 0
    const calls = createRemoteCalls({ now: () => now, windowMs: 10_000, threshold: 3 })
    calls.retried('s3', 'S3 PUT s3://b/k failed with 503')
    calls.retried('s3', 'S3 PUT s3://b/k failed with 503')
    calls.failed('catalog', 'POST /v1/namespaces/ns/tables/t: HTTP 502')
    expect(calls.healthReasons()).toEqual([])
    now = 4_000
    calls.failed('s3', 'S3 GET s3://b/k failed: no complete response within 2000 ms')
    expect(calls.healthReasons()).toEqual(['s3: 2 calls retried, 1 failed in the last 10 s (last: S3 GET s3://b/k failed: no complete response within 2000 ms)'])
    expect(calls.counts('s3')).toEqual({ retried: 2, failed: 1 })
    expect(calls.counts('catalog')).toEqual({ retried: 0, failed: 1 })
    expect(calls.counts('kafka')).toEqual({ retried: 0, failed: 0 })
    now = 10_001 // the first two are older than the window now
    expect(calls.healthReasons()).toEqual([])
    expect(calls.counts('s3')).toEqual({ retried: 2, failed: 1 }) // totals never age
  })

  test('Kafka: performWithRetry retry and failed events of every client created after subscribing', () => {
    const calls = createRemoteCalls({ threshold: 1 })
    const stop = countKafkaCalls(calls)
    const consumer = new EventEmitter()
    instancesChannel.publish({ type: 'consumer', instance: consumer })
    instancesChannel.publish({ type: 'connection', instance: new EventEmitter() }) // not a client: ignored
    consumer.emit('client:performWithRetry:retry', 'fetch', 0, 10, 1000)
    consumer.emit('client:performWithRetry:retry', 'fetch', 1, 10, 1000)
    consumer.emit('client:performWithRetry:failed', 'metadata', 10, [new Error('ECONNREFUSED 127.0.0.1:39092')])
    expect(calls.counts('kafka')).toEqual({ retried: 2, failed: 1 })
    // The group protocol's own steps (a first join's MEMBER_ID_REQUIRED) are not failures.
    consumer.emit('client:performWithRetry:failed', 'joinGroup', 0, [new ProtocolError('MEMBER_ID_REQUIRED')])
    expect(calls.counts('kafka')).toEqual({ retried: 2, failed: 1 })
    expect(calls.healthReasons()).toEqual(['kafka: 2 calls retried, 1 failed in the last 10 s (last: metadata failed: ECONNREFUSED 127.0.0.1:39092)'])
    stop()
    const later = new EventEmitter()
    instancesChannel.publish({ type: 'producer', instance: later })
    later.emit('client:performWithRetry:retry', 'produce', 0, 5, 500)
    expect(calls.counts('kafka')).toEqual({ retried: 2, failed: 1 })
  })
})
