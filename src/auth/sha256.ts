/** SHA-256 and HMAC-SHA-256 over `crypto.subtle`, shaped as the `Checksum` that @smithy/signature-v4 hashes with. */

type SourceData = string | ArrayBuffer | ArrayBufferView

const encoder = new TextEncoder()

function toBytes(data: SourceData): Uint8Array<ArrayBuffer> {
  if (typeof data === 'string') return encoder.encode(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  // Copy: crypto.subtle wants an ArrayBuffer-backed view, and the caller may reuse its buffer.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()
}

function concat(chunks: Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/**
 * Buffers what it is given and hashes on `digest()`: crypto.subtle has no incremental API, and
 * the signer feeds each value in one `update` call anyway. With a `secret` it computes HMAC-SHA-256.
 */
export class Sha256 {
  readonly digestLength = 32
  readonly #secret: Uint8Array<ArrayBuffer> | undefined
  #chunks: Uint8Array<ArrayBuffer>[] = []

  constructor(secret?: SourceData) {
    this.#secret = secret === undefined ? undefined : toBytes(secret)
  }

  update(chunk: Uint8Array): void {
    this.#chunks.push(toBytes(chunk))
  }

  async digest(): Promise<Uint8Array> {
    const data = concat(this.#chunks)
    if (this.#secret === undefined) return new Uint8Array(await crypto.subtle.digest('SHA-256', data))
    const key = await crypto.subtle.importKey('raw', this.#secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    return new Uint8Array(await crypto.subtle.sign('HMAC', key, data))
  }

  reset(): void {
    this.#chunks = []
  }
}

/** Lower-case hex SHA-256 of `data`. */
export async function sha256Hex(data: SourceData): Promise<string> {
  const hash = new Sha256()
  hash.update(toBytes(data))
  return toHex(await hash.digest())
}

export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0')
  return out
}
