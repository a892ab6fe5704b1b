/** Avro object container files (Avro 1.11 spec, "Object Container Files"): header, blocks, sync markers; null and deflate codecs. */
import { IngestError, ValidationError } from '../errors.ts'
import { createCursor, readFixed, readSafeLong, readString, readBytes, type ByteCursor } from './byte-reader.ts'
import { createByteWriter, writeBytes, writeLong, writeRaw, writeString, written, type ByteWriter } from './byte-writer.ts'
import { readDatum } from './decoder.ts'
import { writeDatum } from './encoder.ts'
import { inflateRaw } from './inflate.ts'
import { parseSchema, schemaToJson, type AvroSchema, type AvroValue } from './schema.ts'

// File layout:
//   header  'O' 'b' 'j' 0x01
//           metadata  map<bytes> (blocks of: long count, {string key, bytes value}*; 0) with
//                     avro.schema (JSON) and avro.codec ('null' | 'deflate') plus the caller's keys
//           sync      16 random bytes
//   block*  long record count, long byte size, records (compressed as a whole), sync
// The deflate codec is raw RFC 1951 deflate: no zlib header, no checksum (readers must ignore
// bytes after the final deflate block: Python writers leave part of a zlib trailer there).

export type AvroCodec = 'null' | 'deflate'

export interface ContainerWriteOptions {
  /** Written as `avro.schema`, with Iceberg's `field-id`/`element-id` properties kept. */
  schema: AvroSchema
  /** Extra header metadata (Iceberg's `schema`, `partition-spec`, `snapshot-id`, ...). */
  metadata?: Record<string, string>
  /** Default `deflate`, what Iceberg writers use for manifests. */
  codec?: AvroCodec
  /** Start a new block once a block's uncompressed bytes reach this (default 64000, as Java's Avro writer). */
  blockBytes?: number
  /** Start a new block after this many records (default: unlimited). */
  blockRecords?: number
  /** 16 bytes; random by default. Fixed only for golden-byte tests. */
  syncMarker?: Uint8Array
}

export interface AvroContainer {
  schema: AvroSchema
  metadata: Record<string, string>
  codec: AvroCodec
  records: AvroValue[]
}

const MAGIC = new Uint8Array([0x4f, 0x62, 0x6a, 0x01])
const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder()

/** Writing uses the platform's deflate; reading uses inflate.ts, which tolerates Python writers' trailing bytes. */
async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate-raw'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

function decodeError(message: string, c: ByteCursor | undefined, cause?: unknown): IngestError {
  return new IngestError('AVRO_DECODE', c ? `${message} at offset ${c.pos}` : message, { cause, context: c ? { offset: c.pos } : {} })
}

async function flushBlock(out: ByteWriter, block: ByteWriter, count: number, codec: AvroCodec, sync: Uint8Array): Promise<void> {
  const payload = codec === 'deflate' ? await deflateRaw(written(block)) : written(block)
  writeLong(out, count)
  writeLong(out, payload.length)
  writeRaw(out, payload)
  writeRaw(out, sync)
}

/**
 * Write `records` as an Avro object container file.
 * @throws ValidationError `VALIDATION` when a record does not fit the schema or an option is invalid.
 */
export async function writeContainer(records: Iterable<AvroValue>, options: ContainerWriteOptions): Promise<Uint8Array> {
  const codec = options.codec ?? 'deflate'
  if (codec !== 'null' && codec !== 'deflate') throw new ValidationError(`unsupported Avro codec ${String(codec)}`)
  const sync = options.syncMarker ?? crypto.getRandomValues(new Uint8Array(16))
  if (sync.length !== 16) throw new ValidationError(`Avro sync marker must be 16 bytes, got ${sync.length}`)
  const blockBytes = options.blockBytes ?? 64000
  const blockRecords = options.blockRecords ?? Number.POSITIVE_INFINITY

  const out = createByteWriter()
  writeRaw(out, MAGIC)
  const metadata: [string, string][] = [
    ...Object.entries(options.metadata ?? {}).filter(([key]) => key !== 'avro.schema' && key !== 'avro.codec'),
    ['avro.schema', schemaToJson(options.schema)],
    ['avro.codec', codec],
  ]
  writeLong(out, metadata.length)
  for (const [key, value] of metadata) {
    writeString(out, key)
    writeBytes(out, utf8.encode(value))
  }
  writeLong(out, 0)
  writeRaw(out, sync)

  // One scratch buffer for every block: encode, then copy (or compress) into `out`.
  const block = createByteWriter()
  let count = 0
  for (const record of records) {
    writeDatum(block, options.schema, record)
    count++
    if (block.length >= blockBytes || count >= blockRecords) {
      await flushBlock(out, block, count, codec, sync)
      block.length = 0
      count = 0
    }
  }
  if (count > 0) await flushBlock(out, block, count, codec, sync)
  return written(out).slice()
}

/**
 * Read an Avro object container file: header metadata (as UTF-8 strings), the writer schema
 * (parsed, Iceberg ids kept) and every record.
 * @throws IngestError `AVRO_DECODE` on a bad magic, sync marker, codec, schema or truncated data;
 *   `AVRO_SCHEMA` when the embedded schema is not supported.
 */
export async function readContainer(bytes: Uint8Array): Promise<AvroContainer> {
  const c = createCursor(bytes)
  if (bytes.length < 4 || MAGIC.some((b, i) => bytes[i] !== b)) throw decodeError('not an Avro object container file (bad magic)', undefined)
  c.pos = 4
  const metadata: Record<string, string> = {}
  for (let n = readSafeLong(c); n !== 0; n = readSafeLong(c)) {
    if (n < 0) {
      readSafeLong(c)
      n = -n
    }
    for (let i = 0; i < n; i++) {
      const key = readString(c)
      metadata[key] = utf8Decoder.decode(readBytes(c))
    }
  }
  const sync = readFixed(c, 16)
  const codec = metadata['avro.codec'] ?? 'null'
  if (codec !== 'null' && codec !== 'deflate') throw decodeError(`unsupported Avro codec ${JSON.stringify(codec)}`, undefined)
  const schemaText = metadata['avro.schema']
  if (schemaText === undefined) throw decodeError('Avro file has no avro.schema', undefined)
  let schemaJson: unknown
  try {
    schemaJson = JSON.parse(schemaText)
  } catch (cause) {
    throw decodeError('avro.schema is not valid JSON', undefined, cause)
  }
  const schema = parseSchema(schemaJson)

  const records: AvroValue[] = []
  while (c.pos < bytes.length) {
    const count = readSafeLong(c)
    const size = readSafeLong(c)
    if (count < 0 || size < 0 || c.pos + size + 16 > bytes.length) throw decodeError(`bad Avro block (count ${count}, size ${size})`, c)
    const data = bytes.subarray(c.pos, c.pos + size)
    c.pos += size
    for (let i = 0; i < 16; i++) {
      if (bytes[c.pos + i] !== sync[i]) throw decodeError('Avro sync marker mismatch', c)
    }
    c.pos += 16
    let payload = data
    if (codec === 'deflate') {
      try {
        payload = inflateRaw(data)
      } catch (cause) {
        throw decodeError('Avro block does not inflate', c, cause)
      }
    }
    const block = createCursor(payload)
    for (let i = 0; i < count; i++) records.push(readDatum(block, schema))
    if (block.pos !== payload.length) {
      throw decodeError(`Avro block has ${payload.length - block.pos} bytes after its ${count} records`, c)
    }
  }
  return { schema, metadata, codec, records }
}
