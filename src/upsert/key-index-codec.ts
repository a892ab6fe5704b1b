/**
 * The key index on disk (pure codec; the file itself: src/worker/key-index-file.ts). One file per
 * table, replaced whole and atomically, so it is either a complete index of one snapshot or absent:
 *
 *   "PKIX" | version u8 (1) | table uuid (u16 length + UTF-8) | key field ids (u16 count, u32 each)
 *   | has snapshot u8 | snapshot id i64
 *   | files u32 count, each: path (u32 length + UTF-8), deletes u32 count, each (u32 length + UTF-8)
 *   | entries u32 count, each: key (u32 length + UTF-8), file ordinal u32, position u32
 *   | SHA-256 of everything before it (32 bytes)
 *
 * All integers little-endian. A file whose digest, magic, version, table or key does not match is
 * not an index of this table (decodeKeyIndex says why), and the caller rebuilds from the table.
 */
import { IngestError } from '../errors.ts'
import { KeyIndex } from './key-index.ts'

const MAGIC = [0x50, 0x4b, 0x49, 0x58] // "PKIX"
const VERSION = 1

export interface KeyIndexIdentity {
  tableUuid: string
  keyFieldIds: number[]
}

class Writer {
  bytes = new Uint8Array(1 << 16)
  view = new DataView(this.bytes.buffer)
  length = 0
  readonly #text = new TextEncoder()

  #room(n: number): void {
    if (this.length + n <= this.bytes.length) return
    let size = this.bytes.length * 2
    while (size < this.length + n) size *= 2
    const grown = new Uint8Array(size)
    grown.set(this.bytes.subarray(0, this.length))
    this.bytes = grown
    this.view = new DataView(grown.buffer)
  }
  u8(v: number) {
    this.#room(1)
    this.bytes[this.length++] = v
  }
  u16(v: number) {
    this.#room(2)
    this.view.setUint16(this.length, v, true)
    this.length += 2
  }
  u32(v: number) {
    this.#room(4)
    this.view.setUint32(this.length, v, true)
    this.length += 4
  }
  i64(v: bigint) {
    this.#room(8)
    this.view.setBigInt64(this.length, v, true)
    this.length += 8
  }
  /** u32 length + UTF-8 (u16 length when `short`). */
  text(s: string, short = false) {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.#room(4 + s.length * 3)
    const at = this.length + (short ? 2 : 4)
    const { written } = this.#text.encodeInto(s, this.bytes.subarray(at))
    if (short) this.view.setUint16(this.length, written, true)
    else this.view.setUint32(this.length, written, true)
    this.length = at + written
  }
  raw(b: Uint8Array) {
    this.#room(b.length)
    this.bytes.set(b, this.length)
    this.length += b.length
  }
}

class Reader {
  at = 0
  readonly view: DataView
  readonly #text = new TextDecoder('utf-8', { fatal: true })
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  #need(n: number) {
    if (this.at + n > this.bytes.length) throw new Error(`truncated at byte ${this.at}`)
  }
  u8() {
    this.#need(1)
    return this.bytes[this.at++]!
  }
  u16() {
    this.#need(2)
    const v = this.view.getUint16(this.at, true)
    this.at += 2
    return v
  }
  u32() {
    this.#need(4)
    const v = this.view.getUint32(this.at, true)
    this.at += 4
    return v
  }
  i64() {
    this.#need(8)
    const v = this.view.getBigInt64(this.at, true)
    this.at += 8
    return v
  }
  text(short = false) {
    const n = short ? this.u16() : this.u32()
    this.#need(n)
    const s = this.#text.decode(this.bytes.subarray(this.at, this.at + n))
    this.at += n
    return s
  }
}

const sha256 = async (bytes: Uint8Array) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))

export async function encodeKeyIndex(index: KeyIndex, identity: KeyIndexIdentity): Promise<Uint8Array> {
  const w = new Writer()
  for (const b of MAGIC) w.u8(b)
  w.u8(VERSION)
  w.text(identity.tableUuid, true)
  w.u16(identity.keyFieldIds.length)
  for (const id of identity.keyFieldIds) w.u32(id)
  w.u8(index.snapshotId === undefined ? 0 : 1)
  w.i64(index.snapshotId ?? 0n)
  const files = index.files()
  w.u32(files.length)
  for (const file of files) {
    w.text(file.path)
    w.u32(file.deletes.length)
    for (const ref of file.deletes) w.text(ref)
  }
  const entries = [...index.entries()]
  w.u32(entries.length)
  for (const [key, ordinal, position] of entries) {
    w.text(key)
    w.u32(ordinal)
    w.u32(position)
  }
  w.raw(await sha256(w.bytes.subarray(0, w.length)))
  return w.bytes.slice(0, w.length)
}

/**
 * The index stored in `bytes`, or why it is not one of the table `identity` names (a torn or foreign
 * file, another key): `{ reason }`, never a throw — the caller rebuilds from the table either way.
 */
export async function decodeKeyIndex(bytes: Uint8Array, identity: KeyIndexIdentity): Promise<{ index: KeyIndex } | { reason: string }> {
  if (bytes.length < 32 + MAGIC.length) return { reason: `${bytes.length} bytes: too short for a key index` }
  const body = bytes.subarray(0, bytes.length - 32)
  const digest = await sha256(body)
  if (digest.some((b, i) => b !== bytes[body.length + i])) return { reason: 'digest does not match (torn or changed file)' }
  try {
    const r = new Reader(body)
    if (MAGIC.some((b) => r.u8() !== b)) return { reason: 'not a key index (magic)' }
    const version = r.u8()
    if (version !== VERSION) return { reason: `version ${version}, expected ${VERSION}` }
    const uuid = r.text(true)
    if (uuid !== identity.tableUuid) return { reason: `index of table ${uuid}, not ${identity.tableUuid}` }
    const ids = Array.from({ length: r.u16() }, () => r.u32())
    if (ids.join(',') !== identity.keyFieldIds.join(',')) return { reason: `index of key fields [${ids.join(', ')}], not [${identity.keyFieldIds.join(', ')}]` }
    const index = new KeyIndex()
    const hasSnapshot = r.u8() === 1
    const snapshotId = r.i64()
    index.snapshotId = hasSnapshot ? snapshotId : undefined
    const paths: string[] = []
    for (let n = r.u32(); n > 0; n--) {
      const path = r.text()
      const deletes = Array.from({ length: r.u32() }, () => r.text())
      index.addFile(path, deletes)
      paths.push(path)
    }
    for (let n = r.u32(); n > 0; n--) {
      const key = r.text()
      const file = paths[r.u32()]
      if (file === undefined) return { reason: 'an entry names a file ordinal out of range' }
      index.add(key, file, r.u32())
    }
    if (r.at !== body.length) return { reason: `${body.length - r.at} bytes after the entries` }
    return { index }
  } catch (error) {
    return { reason: error instanceof IngestError || error instanceof Error ? error.message : String(error) }
  }
}
