/**
 * Idempotency-Key on REST mutations: UUIDv7 keys, the same key on every resend of one commit, another for
 * another commit, and no header (one attempt, CommitStateUnknown) when /v1/config does not advertise
 * `idempotency-key-lifetime`. Against an injected fetch that plays a catalog which applies a keyed request
 * at most once and replays its first answer (the real catalog and a proxy playing one are in test/faults/).
 */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRestCatalog, type RestUnavailable } from '../../../src/catalog/rest/client.ts'
import { commitIdempotencyKey, parseIsoDurationMs, uuidV7 } from '../../../src/catalog/rest/idempotency.ts'
import { CommitStateUnknownError } from '../../../src/errors.ts'
import type { CommitTableRequest } from '../../../src/catalog/catalog.ts'

const METADATA = JSON.parse(readFileSync(join(import.meta.dir, '../../fixtures/metadata/java-TableMetadataV2Valid.json'), 'utf8'))
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

interface Seen {
  method: string
  path: string
  key: string | null
  body: string
}

/**
 * A catalog behind `fetch`: `/v1/config` (with `lifetime` when given), and commit/create/drop answers.
 * `faults` is consumed one per mutation attempt: 'drop' applies the request and throws (the answer is lost),
 * '503' answers 503 without applying it.
 */
function fakeCatalog(lifetime: string | undefined, faults: ('drop' | '503' | 'ok')[]) {
  const seen: Seen[] = []
  const answers = new Map<string, { status: number; body: string }>()
  let applied = 0
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input))
    const key = new Headers(init?.headers).get('idempotency-key')
    const body = typeof init?.body === 'string' ? init.body : ''
    seen.push({ method: init?.method ?? 'GET', path: url.pathname, key, body })
    if (url.pathname === '/v1/config') return Response.json({ defaults: {}, overrides: {}, ...(lifetime ? { 'idempotency-key-lifetime': lifetime } : {}) })
    if (init?.method === 'GET') return Response.json({ 'metadata-location': 's3://b/m.json', metadata: METADATA })
    const stored = key === null ? undefined : answers.get(key)
    if (stored) return new Response(stored.body, { status: stored.status })
    const fault = faults.shift() ?? 'ok'
    if (fault === '503') return Response.json({ error: { message: 'busy', type: 'ServiceUnavailable', code: 503 } }, { status: 503 })
    applied++
    const answer = { status: 200, body: JSON.stringify({ 'metadata-location': `s3://b/m-${applied}.json`, metadata: METADATA }) }
    if (key !== null) answers.set(key, answer)
    if (fault === 'drop') throw new TypeError('connection reset after the request was sent')
    return new Response(answer.body, { status: answer.status })
  }) as typeof fetch
  return { fetch: fetchFn, seen, applied: () => applied }
}

const commit = (snapshotId: number, parent: number | null): CommitTableRequest => ({
  requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent === null ? null : BigInt(parent) }],
  updates: [
    {
      action: 'add-snapshot',
      snapshot: { 'snapshot-id': BigInt(snapshotId), 'sequence-number': 1, 'timestamp-ms': 1_767_225_600_000, 'manifest-list': `s3://b/snap-${snapshotId}.avro`, summary: { operation: 'append' } },
    },
  ],
})
const table = { namespace: ['ns'], name: 't' }
const mutations = (seen: Seen[]) => seen.filter((s) => s.method !== 'GET')

describe('Idempotency-Key', () => {
  test('UUIDv7 layout: 48-bit milliseconds, version 7, variant 10', () => {
    const key = uuidV7(0x0123_4567_89ab, new Uint8Array(10).fill(0xff))
    expect(key).toBe('01234567-89ab-7fff-bfff-ffffffffffff')
    expect(key).toMatch(UUID_V7)
    expect(() => uuidV7(0, new Uint8Array(9))).toThrow('uuidV7 needs 10 bytes of entropy, got 9')
  })

  test('ISO-8601 lifetimes: PT30M, PT24H, P1DT12H; anything else is no lifetime', () => {
    expect(parseIsoDurationMs('PT30M')).toBe(30 * 60_000)
    expect(parseIsoDurationMs('PT24H')).toBe(24 * 3_600_000)
    expect(parseIsoDurationMs('P1DT12H')).toBe(36 * 3_600_000)
    expect(parseIsoDurationMs('PT1.5S')).toBe(1500)
    for (const bad of ['P', 'PT', '30M', 'P1Y', 'PT0S', 'soon']) expect(parseIsoDurationMs(bad)).toBeUndefined()
  })

  test('commit keys: one body, one key; another snapshot or another parent, another key', async () => {
    const a = await commitIdempotencyKey('{"snapshot":1,"parent":null}', 1_767_225_600_000)
    expect(a).toMatch(UUID_V7)
    expect(await commitIdempotencyKey('{"snapshot":1,"parent":null}', 1_767_225_600_000)).toBe(a)
    expect(await commitIdempotencyKey('{"snapshot":2,"parent":null}', 1_767_225_600_000)).not.toBe(a)
    expect(await commitIdempotencyKey('{"snapshot":1,"parent":7}', 1_767_225_600_000)).not.toBe(a)
    expect(a.startsWith('019b76da-a800-7')).toBe(true) // 2026-01-01T00:00:00Z in the first 48 bits
  })

  test('advertised: a lost answer is resent with the same key and applied once; the next commit gets a new key', async () => {
    const catalog = fakeCatalog('PT30M', ['drop', '503', 'ok'])
    const unavailable: RestUnavailable[] = []
    const rest = createRestCatalog({ uri: 'http://catalog.test', fetch: catalog.fetch, onUnavailable: (event) => void unavailable.push(event) })
    const first = await rest.commitTable(table, commit(1, null))
    expect(first.metadataLocation).toBe('s3://b/m-1.json') // the answer of the attempt that landed, replayed
    expect(catalog.applied()).toBe(1)
    const keys = mutations(catalog.seen).map((s) => s.key)
    expect(keys).toHaveLength(2)
    expect(keys[0]).toMatch(UUID_V7)
    expect(new Set(keys).size).toBe(1)
    expect(new Set(mutations(catalog.seen).map((s) => s.body)).size).toBe(1)
    expect(unavailable.map((u) => [u.operation, u.attempt, u.retrying])).toEqual([['commit', 1, true]])

    await rest.commitTable(table, commit(2, 1)) // '503' first: not applied, retried with its key
    const second = mutations(catalog.seen).slice(2)
    expect(second.map((s) => s.key)).toEqual([second[0]!.key, second[0]!.key])
    expect(second[0]!.key).not.toBe(keys[0])
    expect(catalog.applied()).toBe(2)
    expect(unavailable.map((u) => u.reason)).toEqual([expect.stringContaining('connection reset'), 'HTTP 503'])
  })

  test('advertised: creates and drops carry a key too, one per call', async () => {
    const catalog = fakeCatalog('PT5M', [])
    const rest = createRestCatalog({ uri: 'http://catalog.test', fetch: catalog.fetch })
    await rest.createNamespace(['a'])
    await rest.createNamespace(['b'])
    await rest.dropTable(table)
    const keys = mutations(catalog.seen).map((s) => s.key)
    expect(keys.every((k) => k !== null && UUID_V7.test(k))).toBe(true)
    expect(new Set(keys).size).toBe(3)
  })

  test('not advertised: no header, one attempt, and a lost answer is CommitStateUnknown for the caller to resolve', async () => {
    const catalog = fakeCatalog(undefined, ['drop'])
    const unavailable: RestUnavailable[] = []
    const rest = createRestCatalog({ uri: 'http://catalog.test', fetch: catalog.fetch, onUnavailable: (event) => void unavailable.push(event) })
    const error = await rest.commitTable(table, commit(1, null)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CommitStateUnknownError)
    expect(mutations(catalog.seen)).toEqual([expect.objectContaining({ key: null })])
    expect(catalog.applied()).toBe(1) // it did land: the commit loop's reload finds the snapshot
    expect(unavailable.map((u) => [u.operation, u.retrying])).toEqual([['commit', false]])
    await rest.createNamespace(['a'])
    expect(mutations(catalog.seen).every((s) => s.key === null)).toBe(true)
  })

  test('not advertised: a create is resent all the same (a landed one answers 409, which callers take as "exists")', async () => {
    const catalog = fakeCatalog(undefined, ['503', 'drop'])
    const unavailable: RestUnavailable[] = []
    const rest = createRestCatalog({ uri: 'http://catalog.test', fetch: catalog.fetch, onUnavailable: (event) => void unavailable.push(event) })
    await rest.createNamespace(['a'])
    expect(mutations(catalog.seen)).toHaveLength(3)
    expect(unavailable.map((u) => [u.operation, u.attempt, u.retrying])).toEqual([
      ['namespace', 1, true],
      ['namespace', 2, true],
    ])
    // A drop is not resent without a key: a landed one would answer 404 to the resend.
    const dropping = fakeCatalog(undefined, ['503'])
    const drops = createRestCatalog({ uri: 'http://catalog.test', fetch: dropping.fetch })
    await expect(drops.dropTable(table)).rejects.toThrow('HTTP 503')
    expect(mutations(dropping.seen)).toHaveLength(1)
  })
})
