/**
 * Puffin files (format/puffin-spec.md): blobs of any type followed by a JSON footer that says where each one is.
 * Pure bytes in and out. Written uncompressed (deletion vectors must be); a compressed footer or blob is refused on
 * read with a clear error rather than guessed at.
 */
import { parseJson, stringifyJson } from '../iceberg/serde/json.ts'
import { PuffinError } from './errors.ts'

// File layout:
//   Magic Blob₁ … Blobₙ Footer
//   Footer = Magic FooterPayload FooterPayloadSize Flags Magic
//   Magic = 50 46 41 31 ("PFA1"); FooterPayloadSize = u32 little-endian byte length of FooterPayload;
//   Flags = 4 bytes, byte 0 bit 0 = FooterPayloadCompressed (LZ4); FooterPayload = UTF-8 JSON FileMetadata
//   {"blobs": [BlobMetadata…], "properties": {…}}, offsets counted from the start of the file.

export const PUFFIN_MAGIC = Uint8Array.of(0x50, 0x46, 0x41, 0x31)
/** Footer bytes after the payload: size, flags, magic. */
const FOOTER_TRAILER = 12

/** A blob's entry in the footer, with the spec's key names. */
export interface PuffinBlobMetadata {
  type: string
  /** Field ids the blob was computed from (a DV: the `_pos` metadata column, 2147483645). */
  fields: number[]
  /** -1 when inherited from the manifest entry (deletion vectors). */
  'snapshot-id': bigint | number
  'sequence-number': bigint | number
  offset: number
  length: number
  /** Absent: uncompressed. */
  'compression-codec'?: string
  properties?: Record<string, string>
}

export interface PuffinFileMetadata {
  blobs: PuffinBlobMetadata[]
  properties?: Record<string, string>
}

/** A blob to write: its footer entry without offset and length, and its bytes. */
export interface PuffinBlobInput extends Omit<PuffinBlobMetadata, 'offset' | 'length' | 'compression-codec'> {
  data: Uint8Array
}

export interface EncodedPuffin {
  bytes: Uint8Array
  /** The footer's entries, in input order, with each blob's offset and length. */
  blobs: PuffinBlobMetadata[]
}

/** Writes blobs (uncompressed) and the footer; `properties` e.g. `created-by`. */
export function encodePuffin(blobs: readonly PuffinBlobInput[], properties: Record<string, string> = {}): EncodedPuffin {
  const entries: PuffinBlobMetadata[] = []
  let offset = PUFFIN_MAGIC.length
  for (const blob of blobs) {
    const { data, ...rest } = blob
    entries.push({ ...rest, offset, length: data.length })
    offset += data.length
  }
  const payload = new TextEncoder().encode(
    stringifyJson({ blobs: entries.map(footerEntry), ...(Object.keys(properties).length ? { properties } : {}) }),
  )
  const bytes = new Uint8Array(offset + PUFFIN_MAGIC.length + payload.length + FOOTER_TRAILER)
  bytes.set(PUFFIN_MAGIC, 0)
  blobs.forEach((blob, i) => bytes.set(blob.data, entries[i]!.offset))
  bytes.set(PUFFIN_MAGIC, offset)
  bytes.set(payload, offset + 4)
  const view = new DataView(bytes.buffer)
  view.setUint32(offset + 4 + payload.length, payload.length, true)
  // Flags stay 0: the footer is not compressed.
  bytes.set(PUFFIN_MAGIC, bytes.length - 4)
  return { bytes, blobs: entries }
}

/** The footer's JSON object for one entry: optional keys only when set. */
function footerEntry(entry: PuffinBlobMetadata): Record<string, unknown> {
  return {
    type: entry.type,
    fields: entry.fields,
    'snapshot-id': entry['snapshot-id'],
    'sequence-number': entry['sequence-number'],
    offset: entry.offset,
    length: entry.length,
    ...(entry['compression-codec'] !== undefined ? { 'compression-codec': entry['compression-codec'] } : {}),
    ...(entry.properties && Object.keys(entry.properties).length ? { properties: entry.properties } : {}),
  }
}

const sameMagic = (bytes: Uint8Array, at: number) => PUFFIN_MAGIC.every((b, i) => bytes[at + i] === b)

/**
 * The footer of a whole Puffin file.
 * @throws PuffinError `PUFFIN_INVALID` (bad magic, a footer size past the file, JSON that is not FileMetadata,
 *   a blob outside the file), `PUFFIN_UNSUPPORTED` (an LZ4-compressed footer).
 */
export function readPuffinFooter(bytes: Uint8Array, location = 'puffin file'): PuffinFileMetadata {
  const invalid = (message: string) => new PuffinError('PUFFIN_INVALID', `${location}: ${message}`, { context: { location } })
  if (bytes.length < 4 + 4 + FOOTER_TRAILER || !sameMagic(bytes, 0) || !sameMagic(bytes, bytes.length - 4)) {
    throw invalid(`not a Puffin file (${bytes.length} bytes; magic PFA1 expected at the start and the end)`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const payloadSize = view.getUint32(bytes.length - FOOTER_TRAILER, true)
  const flags = bytes[bytes.length - 8]!
  const footerStart = bytes.length - FOOTER_TRAILER - payloadSize - 4
  if (footerStart < 4 || !sameMagic(bytes, footerStart)) throw invalid(`footer payload size ${payloadSize} does not lead to the footer magic`)
  if (flags & 1) throw new PuffinError('PUFFIN_UNSUPPORTED', `${location}: the footer is LZ4-compressed, which this reader does not decompress`, { context: { location } })
  let parsed: unknown
  try {
    parsed = parseJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(footerStart + 4, footerStart + 4 + payloadSize)))
  } catch (cause) {
    throw new PuffinError('PUFFIN_INVALID', `${location}: footer payload is not JSON: ${(cause as Error).message}`, { cause, context: { location } })
  }
  const footer = parsed as Partial<PuffinFileMetadata> | null
  if (!footer || typeof footer !== 'object' || !Array.isArray(footer.blobs)) throw invalid('footer payload has no "blobs" array')
  for (const [i, blob] of footer.blobs.entries()) {
    const b = blob as Partial<PuffinBlobMetadata>
    if (typeof b.type !== 'string' || !Array.isArray(b.fields) || typeof b.offset !== 'number' || typeof b.length !== 'number') {
      throw invalid(`footer blob ${i} lacks type, fields, offset or length: ${stringifyJson(blob).slice(0, 200)}`)
    }
    if (b.offset < 4 || b.offset + b.length > footerStart) throw invalid(`blob ${i} (${b.type}) at ${b.offset}+${b.length} lies outside the blob area [4, ${footerStart})`)
  }
  return footer as PuffinFileMetadata
}

/**
 * The bytes of one blob of `file` (the whole file, or any buffer starting at file offset `base`).
 * @throws PuffinError `PUFFIN_UNSUPPORTED` for a compressed blob, `PUFFIN_INVALID` when it lies outside the buffer.
 */
export function blobBytes(file: Uint8Array, blob: PuffinBlobMetadata, base = 0): Uint8Array {
  const codec = blob['compression-codec']
  if (codec !== undefined && codec !== null && codec !== 'none') {
    throw new PuffinError('PUFFIN_UNSUPPORTED', `blob ${blob.type} at ${blob.offset} is ${codec}-compressed, which this reader does not decompress`)
  }
  const start = blob.offset - base
  if (start < 0 || start + blob.length > file.length) {
    throw new PuffinError('PUFFIN_INVALID', `blob ${blob.type} at ${blob.offset}+${blob.length} lies outside the ${file.length} bytes read from offset ${base}`)
  }
  return file.subarray(start, start + blob.length)
}
