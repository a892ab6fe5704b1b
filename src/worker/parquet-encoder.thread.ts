/**
 * The Parquet encoder's thread (a web Worker; see parquet-encoder.ts for the side that posts to it).
 * Receives EncodeRequests, answers an EncodeReply (`encoded` for a batch, `file` for a compaction
 * bin) with the file bytes transferred, not copied, or `{ id, error }` with the error's code and message.
 */
import type { IngestError } from '../errors.ts'
import { zstdCompress } from '../adapter/bun/zstd.ts'
import { compactBin } from '../maintenance/rewrite-bin.ts'
import { appendUnpacked } from '../table/column-transfer.ts'
import { encodeColumns } from '../table/encode-batch.ts'
import type { EncodeRequest } from './parquet-encoder.ts'

declare const self: { onmessage: ((event: MessageEvent) => void) | null; postMessage(message: unknown, transfer?: Transferable[]): void }

const compressors = { zstd: zstdCompress }
const decompressors = { ZSTD: (input: Uint8Array) => Bun.zstdDecompressSync(input) }

function reply(id: number, work: () => Promise<{ message: Record<string, unknown>; bytes: Uint8Array[] }>): void {
  work().then(
    ({ message, bytes }) => self.postMessage({ id, ...message }, [...new Set(bytes.map((b) => b.buffer as ArrayBuffer))]),
    (error: unknown) => {
      const failure = error as Partial<IngestError>
      self.postMessage({ id, error: { code: failure.code ?? 'PARQUET_WRITE', message: failure.message ?? String(error) } })
    },
  )
}

/** Columns received so far, by request id. */
const received = new Map<number, { columns: unknown[][]; rowCount: number }>()

self.onmessage = (event: MessageEvent<EncodeRequest>) => {
  const request = event.data
  const { id } = request
  if (request.kind === 'rows') {
    let batch = received.get(id)
    if (!batch) received.set(id, (batch = { columns: request.columns.map(() => []), rowCount: 0 }))
    for (let j = 0; j < request.columns.length; j++) appendUnpacked(batch.columns[j]!, request.columns[j]!)
    batch.rowCount += request.rowCount
    return
  }
  if (request.kind === 'compact') {
    reply(id, async () => {
      const file = await compactBin(request.input, compressors, decompressors)
      return { message: { file }, bytes: [file.bytes] }
    })
    return
  }
  const batch = received.get(id) ?? { columns: request.input.schema.fields.map(() => []), rowCount: 0 }
  received.delete(id)
  reply(id, async () => {
    const encoded = await encodeColumns({ ...request.input, ...batch }, compressors)
    return { message: { encoded }, bytes: encoded.flatMap((partition) => partition.files.map((file) => file.bytes)) }
  })
}
