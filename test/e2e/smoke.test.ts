// Proves each service of the test stack is the real thing: Kafka round trip, SigV4-checking S3, REST catalog writing to S3, PyIceberg reading it.
import { afterAll, describe, expect, test, setDefaultTimeout } from 'bun:test'
import { Admin, Consumer, MessagesStreamModes, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { signedS3Headers } from '../../scripts/stack/s3-signing.ts'
import { runPython } from './pyiceberg.ts'
import { stackEnv } from './stack-env.ts'

// Real services on a 2-core machine: far beyond bun's 5 s default (set per file: bun applies it to the calling file only).
setDefaultTimeout(120_000)

// Top level on purpose: without a running stack the file fails with stack-env's instructions instead of skipping.
const env = stackEnv()
const runId = crypto.randomUUID().replaceAll('-', '').slice(0, 12)

/** Headers of a SigV4-signed S3 request for `key` in the stack's bucket. */
function signedHeaders(method: string, key: string, body?: string): Promise<Record<string, string>> {
  const credentials = { region: env.s3Region, accessKeyId: env.s3AccessKeyId, secretAccessKey: env.s3SecretAccessKey }
  return signedS3Headers(credentials, method, new URL(objectUrl(key)), body)
}

function objectUrl(key: string): string {
  return `${env.s3Endpoint}/${env.s3Bucket}/${key}`
}

describe('kafka', () => {
  test('a produced message comes back to a consumer reading from earliest', async () => {
    const topic = `smoke-${runId}`
    const brokers = [env.kafkaBootstrap]
    const admin = new Admin({ clientId: 'smoke-admin', bootstrapBrokers: brokers })
    const producer = new Producer({ clientId: 'smoke-producer', bootstrapBrokers: brokers, serializers: stringSerializers })
    const consumer = new Consumer({
      clientId: 'smoke-consumer',
      groupId: `smoke-${runId}`,
      bootstrapBrokers: brokers,
      deserializers: stringDeserializers,
    })
    try {
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
      await producer.send({ messages: [{ topic, key: 'k1', value: `hello ${runId}`, headers: { source: 'smoke' } }] })
      // Default mode is LATEST, which would skip the message produced above.
      const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST })
      try {
        const first = await Promise.race([
          (async () => {
            for await (const message of stream) return message
            throw new Error(`stream on ${topic} ended without a message`)
          })(),
          Bun.sleep(30_000).then(() => {
            throw new Error(`no message from ${topic} within 30s`)
          }),
        ])
        expect(first.topic).toBe(topic)
        expect(first.partition).toBe(0)
        expect(first.offset).toBe(0n)
        expect(first.key).toBe('k1')
        expect(first.value).toBe(`hello ${runId}`)
        expect(first.headers.get('source')).toBe('smoke')
      } finally {
        await stream.close()
      }
    } finally {
      await consumer.close(true)
      await producer.close()
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined)
      await admin.close()
    }
  })
})

describe('s3', () => {
  const key = `smoke/${runId}/hello.txt`
  const body = `hello from ${runId}`

  afterAll(async () => {
    await fetch(objectUrl(key), { method: 'DELETE', headers: await signedHeaders('DELETE', key) })
  })

  test('a SigV4-signed PUT then GET round-trips the object', async () => {
    const put = await fetch(objectUrl(key), { method: 'PUT', body, headers: await signedHeaders('PUT', key, body) })
    expect(put.status).toBe(200)
    const get = await fetch(objectUrl(key), { headers: await signedHeaders('GET', key) })
    expect(get.status).toBe(200)
    expect(await get.text()).toBe(body)
  })

  test('a tampered signature and an unsigned request are rejected with 403', async () => {
    const headers = await signedHeaders('GET', key)
    const authorization = headers.authorization!
    const last = authorization.at(-1) === '0' ? '1' : '0'
    const tampered = await fetch(objectUrl(key), { headers: { ...headers, authorization: authorization.slice(0, -1) + last } })
    expect(tampered.status).toBe(403)
    expect(await tampered.text()).toContain('SignatureDoesNotMatch')
    const unsigned = await fetch(objectUrl(key))
    expect(unsigned.status).toBe(403)
  })
})

describe('iceberg rest catalog and pyiceberg', () => {
  const namespace = `smoke_${runId}`
  const table = 'events'

  afterAll(async () => {
    await fetch(`${env.restUri}/v1/namespaces/${namespace}/tables/${table}?purgeRequested=true`, { method: 'DELETE' })
    await fetch(`${env.restUri}/v1/namespaces/${namespace}`, { method: 'DELETE' })
  })

  test('a namespace and table created over REST land in the bucket and PyIceberg lists them', async () => {
    const created = await fetch(`${env.restUri}/v1/namespaces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: [namespace], properties: { owner: 'smoke' } }),
    })
    expect(created.status).toBe(200)
    const loaded = (await (await fetch(`${env.restUri}/v1/namespaces/${namespace}`)).json()) as { namespace: string[] }
    expect(loaded.namespace).toEqual([namespace])

    const tableResponse = await fetch(`${env.restUri}/v1/namespaces/${namespace}/tables`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: table,
        schema: { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', type: 'long', required: true }] },
      }),
    })
    expect(tableResponse.status).toBe(200)
    const { 'metadata-location': metadataLocation } = (await tableResponse.json()) as { 'metadata-location': string }
    const prefix = `s3://${env.s3Bucket}/`
    expect(metadataLocation.startsWith(`${env.warehouse}/${namespace}/${table}/metadata/`)).toBe(true)
    // The catalog wrote metadata.json through S3FileIO into the stack's bucket: read it back ourselves.
    const metadataKey = metadataLocation.slice(prefix.length)
    const metadataObject = await fetch(objectUrl(metadataKey), { headers: await signedHeaders('GET', metadataKey) })
    expect(metadataObject.status).toBe(200)
    expect(((await metadataObject.json()) as { 'format-version': number })['format-version']).toBe(2)

    const listing = (await runPython('catalog_listing.py', ['--namespace', namespace])) as {
      namespaces: string[][]
      tables: Record<string, { columns: string[]; metadata_location: string }>
    }
    expect(listing.namespaces).toContainEqual([namespace])
    expect(listing.tables[table]).toEqual({ columns: ['id'], metadata_location: metadataLocation })
  })
})
