/** A WAL on a full disk answers 503 WAL_DISK_FULL with Retry-After and a reason that names no path. */
import { expect, test } from 'bun:test'
import { createIngestApp } from '../../../src/sources/http/app.ts'
import { WalDiskFullError } from '../../../src/wal/errors.ts'
import { fakeDeps, post, SENSOR_PATH } from './fake-deps.ts'

test('WAL_DISK_FULL → 503 with Retry-After and the reason, without the WAL directory', async () => {
  const deps = fakeDeps({ retryAfterSeconds: 2 })
  deps.acceptWith = async () => {
    throw new WalDiskFullError('/var/lib/ingest/wal', { cause: Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }) })
  }
  const res = await createIngestApp(deps).request(SENSOR_PATH, post(JSON.stringify({ sensor_id: 's', ts: 0, reading: 1 })))
  expect(res.status).toBe(503)
  expect(res.headers.get('Retry-After')).toBe('2')
  const body = (await res.json()) as { error: { code: string; message: string } }
  expect(body.error.code).toBe('WAL_DISK_FULL')
  expect(body.error.message).toContain('disk is full')
  expect(body.error.message).not.toContain('/var/lib')
})
