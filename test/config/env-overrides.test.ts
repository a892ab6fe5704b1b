import { describe, expect, test } from 'bun:test'
import { configIssues } from './config-issues.ts'
import { DEFAULT_CONFIG, parseConfig } from '../../src/config/config.ts'

const issues = (env: Record<string, string>, raw: unknown = DEFAULT_CONFIG): string[] => configIssues(raw, env)

describe('a problem from an environment override names the variable', () => {
  test('INGEST_HTTP_PORT: not a number, or out of range', () => {
    expect(issues({ INGEST_HTTP_PORT: 'abc' })).toEqual(['INGEST_HTTP_PORT=abc: not a port (0-65535)'])
    expect(issues({ INGEST_HTTP_PORT: '70000' })).toEqual(['INGEST_HTTP_PORT=70000: not a port (0-65535)'])
    expect(issues({ INGEST_HTTP_PORT: '-1' })).toEqual(['INGEST_HTTP_PORT=-1: not a port (0-65535)'])
  })

  test('ICEBERG_CATALOG_URI and S3_ENDPOINT: not an http(s) URL', () => {
    expect(issues({ ICEBERG_CATALOG_URI: 'not a url' })).toEqual(['ICEBERG_CATALOG_URI="not a url": not an http(s) URL, e.g. https://catalog.example.com'])
    // "catalog:8181" is a URL of scheme catalog: to the schema; fetch would refuse it only at the first request.
    expect(issues({ ICEBERG_CATALOG_URI: 'catalog:8181' })).toEqual(['ICEBERG_CATALOG_URI=catalog:8181: not an http(s) URL, e.g. https://catalog.example.com'])
    const rest = { ICEBERG_CATALOG_URI: 'http://127.0.0.1:8181', S3_ACCESS_KEY_ID: 'a' }
    expect(issues({ ...rest, S3_ENDPOINT: 'nope' })).toEqual(['S3_ENDPOINT=nope: not an http(s) URL, e.g. http://127.0.0.1:9000'])
    expect(issues({ ...rest, S3_ENDPOINT: 'minio:9000' })).toEqual(['S3_ENDPOINT=minio:9000: not an http(s) URL, e.g. http://127.0.0.1:9000'])
  })

  test('KAFKA_BOOTSTRAP: no broker, or brokers not separated by commas', () => {
    const brokers = 'brokers are host:port[,host:port...], e.g. kafka-1:9092,kafka-2:9092'
    expect(issues({ KAFKA_BOOTSTRAP: ',' })).toEqual([`KAFKA_BOOTSTRAP=,: ${brokers}`])
    expect(issues({ KAFKA_BOOTSTRAP: 'k1:9092 k2:9092' })).toEqual([`KAFKA_BOOTSTRAP="k1:9092 k2:9092": ${brokers}`])
    expect(issues({ KAFKA_BOOTSTRAP: 'PLAINTEXT://k1:9092' })).toEqual([`KAFKA_BOOTSTRAP=PLAINTEXT://k1:9092: ${brokers}`])
    expect(issues({ KAFKA_BOOTSTRAP: 'k1:9092,' })).toEqual([])
  })

  test('a blank value or one with edge whitespace is refused; an empty one counts as unset', () => {
    expect(issues({ INGEST_DATA_DIR: '  ' })).toEqual(['INGEST_DATA_DIR="  ": blank; unset it or give a value'])
    expect(issues({ INGEST_HTTP_HOST: '0.0.0.0\n' })).toEqual(['INGEST_HTTP_HOST="0.0.0.0\\n": starts or ends with whitespace (a line break from a secret file?); remove it'])
    expect(parseConfig(DEFAULT_CONFIG, { INGEST_DATA_DIR: '', INGEST_HTTP_PORT: '' }).dataDir).toBe('./data')
  })

  test('a key set from the environment but problematic later names the variable too', () => {
    expect(issues({ ICEBERG_CATALOG_WAREHOUSE: '/tmp/wh', S3_ACCESS_KEY_ID: 'a' })).toEqual(['ICEBERG_CATALOG_WAREHOUSE=/tmp/wh: with S3 storage the embedded catalog needs an s3:// warehouse'])
    // Alone, it sets the warehouse of the default (embedded) catalog.
    expect(parseConfig(DEFAULT_CONFIG, { ICEBERG_CATALOG_WAREHOUSE: '/tmp/wh' }).catalog).toMatchObject({ type: 'embedded', warehouse: '/tmp/wh' })
    // The config file's keys keep their own names.
    expect(issues({ INGEST_HTTP_PORT: '9000' }, { http: { host: 1 }, tables: DEFAULT_CONFIG.tables })[0]).toStartWith('http.host: ')
  })

  test('a secret variable is named, its value never shown', () => {
    const secret = 'wJalrXUtnFEMI-K7MDENG'
    const found = [
      ...issues({ ICEBERG_CATALOG_URI: 'http://127.0.0.1:8181', ICEBERG_CATALOG_TOKEN: `${secret}\n` }),
      ...issues({ ICEBERG_CATALOG_URI: 'http://127.0.0.1:8181', S3_ACCESS_KEY_ID: 'a', S3_SECRET_ACCESS_KEY: ` ${secret}` }),
      ...issues({ ICEBERG_CATALOG_CREDENTIAL: `id:${secret}` }),
      ...issues({ INGEST_HTTP_TOKENS: ' , ' }),
    ]
    expect(found).toEqual([
      'ICEBERG_CATALOG_TOKEN (value not shown): starts or ends with whitespace (a line break from a secret file?); remove it',
      'S3_SECRET_ACCESS_KEY (value not shown): starts or ends with whitespace (a line break from a secret file?); remove it',
      'ICEBERG_CATALOG_CREDENTIAL (value not shown): the embedded catalog takes no auth; set ICEBERG_CATALOG_URI (or catalog.type "rest" and catalog.uri) for a REST catalog',
      'INGEST_HTTP_TOKENS (value not shown): holds no token; give comma-separated tokens, or unset it to keep http.tokens from the file',
    ])
    expect(found.join('\n')).not.toContain(secret)
  })
})
