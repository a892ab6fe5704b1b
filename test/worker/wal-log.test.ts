/** The worker's WAL adapter: bound to one catalog + warehouse; refused, drained or discarded when the config points elsewhere. */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../../src/config/config.ts'
import { encodeWalEntry } from '../../src/pipeline/wal-entry.ts'
import { tryLockFile } from '../../src/adapter/bun/dir-lock.ts'
import { BINDING_FILE, openWalLog, WalBoundElsewhereError } from '../../src/worker/wal-log.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const table = { name: 'ns.t', schema: 'id long' }
const embedded = (dataDir: string) => parseConfig({ dataDir, tables: [table] })
const rest = (dataDir: string) => parseConfig({ dataDir, catalog: { type: 'rest', uri: 'http://127.0.0.1:1/catalog' }, tables: [table] })

async function open(config: ReturnType<typeof parseConfig>, lines: string[] = [], discard = false) {
  return openWalLog(config, config.dataDir, (line) => lines.push(line), { tryLock: tryLockFile, pid: process.pid, discard })
}

async function withRecords(dataDir: string) {
  const log = await open(embedded(dataDir))
  await log.append([encodeWalEntry({ t: 'ns.t', r: [{ id: 1 }, { id: 2 }], d: [] })])
  await log.append([encodeWalEntry({ t: 'ns.t', r: [{ id: 3 }], d: [{ e: 'bad', raw: '{}', at: 0 }] })])
  await log.close()
}

describe('openWalLog: the catalog binding', () => {
  test('records acknowledged for the embedded catalog are refused by a REST config, and kept for the embedded one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wal-log-'))
    dirs.push(dataDir)
    await withRecords(dataDir)
    expect(JSON.parse(readFileSync(join(dataDir, 'wal', BINDING_FILE), 'utf8')).catalog).toBe(`embedded ${join(dataDir, 'catalog.db')} (catalog default)`)
    const refused = await open(rest(dataDir)).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(WalBoundElsewhereError)
    const message = (refused as Error).message
    expect(message).toContain(`WAL ${join(dataDir, 'wal')} holds 2 entries (seqs 1–2) acknowledged for embedded ${join(dataDir, 'catalog.db')} (catalog default), warehouse file://${dataDir}/warehouse`)
    expect(message).toContain("this config writes to rest http://127.0.0.1:1/catalog, warehouse (the catalog's default)")
    expect(message).toContain('--discard-wal')
    // The refusal released the lock and kept the records: the old config still gets them.
    const again = await open(embedded(dataDir))
    const seqs: bigint[] = []
    for await (const record of again.replay(-1n)) seqs.push(record.seq)
    expect(seqs).toEqual([1n, 2n])
    await again.close()
  })

  test('--discard-wal drops what the WAL holds, says how much, and binds it to the new catalog', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wal-log-'))
    dirs.push(dataDir)
    await withRecords(dataDir)
    const lines: string[] = []
    const log = await open(rest(dataDir), lines, true)
    expect(lines).toContain('--discard-wal: dropped 3 records and 1 dead letters for ns.t (2 WAL entries, seqs 1–2) without committing them')
    const seqs: bigint[] = []
    for await (const record of log.replay(-1n)) seqs.push(record.seq)
    expect(seqs).toEqual([])
    // New records continue above the dropped seqs, so no table marker can mistake them for committed ones.
    expect((await log.append([encodeWalEntry({ t: 'ns.t', r: [{ id: 4 }], d: [] })])).firstSeq).toBe(3n)
    await log.close()
    expect(JSON.parse(readFileSync(join(dataDir, 'wal', BINDING_FILE), 'utf8')).catalog).toBe('rest http://127.0.0.1:1/catalog')
  })

  test('an empty WAL follows the config to another catalog, saying so', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wal-log-'))
    dirs.push(dataDir)
    await (await open(embedded(dataDir))).close()
    const lines: string[] = []
    await (await open(rest(dataDir), lines)).close()
    expect(lines.some((line) => line.includes('is empty: now bound to rest http://127.0.0.1:1/catalog'))).toBe(true)
  })
})
