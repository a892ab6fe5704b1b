/** The configs shown in docs/walkthrough.md and docs/from-spark-and-flink.md are valid worker configs. */
import { expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseConfig } from '../../src/config/config.ts'

const DOCS = join(import.meta.dir, '..', '..', 'docs')

test('every JSON block in the walkthrough and the Spark/Flink mapping parses as a worker config', () => {
  let checked = 0
  for (const file of ['walkthrough.md', 'from-spark-and-flink.md']) {
    for (const [, body] of readFileSync(join(DOCS, file), 'utf8').matchAll(/^```json\n([\s\S]*?)^```/gm)) {
      // The walkthrough gives brokers, the catalog and S3 credentials through the environment, as its step 0 exports them.
      const config = parseConfig(JSON.parse(body!), { KAFKA_BOOTSTRAP: '127.0.0.1:9092', ICEBERG_CATALOG_URI: 'http://127.0.0.1:8181', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' })
      expect(config.tables[0]!.kafka?.topics.length).toBe(1)
      checked++
    }
  }
  expect(checked).toBe(3)
})
