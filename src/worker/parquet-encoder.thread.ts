/**
 * The Parquet encoder's thread (a web Worker; see parquet-encoder.ts for the side that posts to it).
 * Receives an EncodeRequest, answers `{ id, encoded }` with the file bytes transferred, not copied,
 * or `{ id, error }` carrying the error's code and message.
 */
import type { IngestError } from '../errors.ts'
import { zstdCompress } from '../parquet/zstd.bun.ts'
import { encodeColumns } from '../table/encode-batch.ts'
import type { EncodeRequest } from './parquet-encoder.ts'

declare const self: { onmessage: ((event: MessageEvent) => void) | null; postMessage(message: unknown, transfer?: Transferable[]): void }

/** Columns received so far, by request id. */
const received = new Map<number, { columns: unknown[][]; rowCount: number }>()

self.onmessage = async (event: MessageEvent<EncodeRequest>) => {
  const request = event.data
  const { id } = request
  if (request.kind === 'rows') {
    const batch = received.get(id)
    if (!batch) received.set(id, { columns: request.columns, rowCount: request.rowCount })
    else {
      request.columns.forEach((chunk, j) => {
        const column = batch.columns[j]!
        for (const value of chunk) column.push(value)
      })
      batch.rowCount += request.rowCount
    }
    return
  }
  const batch = received.get(id) ?? { columns: request.input.schema.fields.map(() => []), rowCount: 0 }
  received.delete(id)
  try {
    const encoded = await encodeColumns({ ...request.input, ...batch }, { zstd: zstdCompress })
    const buffers = new Set<ArrayBuffer>()
    for (const { files } of encoded) for (const file of files) buffers.add(file.bytes.buffer as ArrayBuffer)
    self.postMessage({ id, encoded }, [...buffers])
  } catch (error) {
    const failure = error as Partial<IngestError>
    self.postMessage({ id, error: { code: failure.code ?? 'PARQUET_WRITE', message: failure.message ?? String(error) } })
  }
}
