/**
 * Parquet encoding on a worker thread, so the thread that takes in records (HTTP acks, Kafka
 * fetches, JSON parsing) is never blocked for the tens to hundreds of milliseconds a batch takes
 * to encode. The rows cross as one array per top-level column — cloning arrays of values costs the
 * intake thread about a sixth of cloning row objects, and packed so that most of it is transferred,
 * not cloned (column-transfer.ts) — in chunks, with a turn of the event loop
 * between them, so even the copy never holds intake up for long. The file bytes come back
 * transferred. Compaction's bins (decode, merge, encode, verify) run on the same thread.
 * Uploads, reads and commits stay on the calling thread.
 */
import { IngestError } from '../errors.ts'
import { MaintenanceError } from '../maintenance/errors.ts'
import type { BinCompactor, CompactBinInput } from '../maintenance/rewrite-bin.ts'
import type { WrittenDataFile } from '../parquet/data-file.ts'
import { packColumns, type PackedColumn } from '../table/column-transfer.ts'
import { RowColumns } from '../table/row-columns.ts'
import type { BatchEncoder, ColumnBatch, EncodedPartition, EncodeBatchInput } from '../table/encode-batch.ts'

/** What crosses to the thread: the columns, a chunk of rows at a time, then the rest of the batch. */
export type EncodeRequest =
  | { id: number; kind: 'rows'; columns: PackedColumn[]; rowCount: number }
  | { id: number; kind: 'encode'; input: Omit<ColumnBatch, 'columns' | 'rowCount'> }
  | { id: number; kind: 'compact'; input: CompactBinInput }

/** Rows per message when some column is cloned (plain values): cloning one takes the intake thread about a millisecond. */
const CHUNK_ROWS = 8_192
/** Rows per message when every column is transferred: about a millisecond of packing each. */
const TRANSFERRED_CHUNK_ROWS = 65_536

export type EncodeReply =
  | { id: number; encoded: EncodedPartition[]; error?: undefined }
  | { id: number; file: WrittenDataFile; error?: undefined }
  | { id: number; error: { code: string; message: string } }

const protocolError = (what: string, id: number) => new IngestError('ENCODER_PROTOCOL', `the encoder thread answered ${what} request ${id} with the wrong kind of reply`)

interface Pending {
  resolve: (reply: EncodeReply & { error?: undefined }) => void
  reject: (error: Error) => void
  /** Errors of compaction requests are MaintenanceErrors, as compactBin throws them in this thread. */
  errorClass: typeof IngestError
}

export class ParquetEncoderThread {
  #worker: Worker | undefined
  #pending = new Map<number, Pending>()
  #nextId = 0
  #closed = false

  /** Encodes `input` on the thread (started on first use, restarted if it died). */
  readonly encode: BatchEncoder = (input: EncodeBatchInput) => {
    if (this.#closed) return Promise.reject(new IngestError('ENCODER_CLOSED', 'the Parquet encoder thread is closed'))
    const worker = this.#worker ?? this.#start()
    const id = this.#nextId++
    const done = this.#expect(id, IngestError).then((reply) => {
      if (!('encoded' in reply)) throw protocolError('batch', id)
      return reply.encoded
    })
    void this.#send(worker, id, input).catch((error: Error) => {
      // e.g. a value that cannot be cloned: fail this encode rather than leave it waiting forever.
      const pending = this.#pending.get(id)
      this.#pending.delete(id)
      this.#refWhileBusy()
      pending?.reject(new IngestError('PARQUET_WRITE', `cannot hand the batch to the encoder thread: ${error.message}`, { cause: error }))
    })
    return done
  }

  /** Runs one compaction bin on the thread (the input bytes are copied there, the output transferred back). */
  readonly compactBin: BinCompactor = async (input: CompactBinInput) => {
    if (this.#closed) throw new IngestError('ENCODER_CLOSED', 'the Parquet encoder thread is closed')
    const worker = this.#worker ?? this.#start()
    const id = this.#nextId++
    const done = this.#expect(id, MaintenanceError)
    worker.postMessage({ id, kind: 'compact', input } satisfies EncodeRequest)
    const reply = await done
    if (!('file' in reply)) throw protocolError('compaction', id)
    return reply.file
  }

  #expect(id: number, errorClass: typeof IngestError): Promise<EncodeReply & { error?: undefined }> {
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, errorClass })
      this.#refWhileBusy()
    })
  }

  async #send(worker: Worker, id: number, input: EncodeBatchInput): Promise<void> {
    const { rows, ...rest } = input
    const rowCount = rows.length
    // Columns that are all typed arrays and dictionary codes are transferred, which costs 1-2 ms of
    // this thread per 100k sensor rows: far fewer, larger chunks then, since each waits a turn of a busy
    // event loop (a whole Kafka fetch), and thirteen of them held a batch's encode up for most of a second.
    const chunkRows = rows instanceof RowColumns && !rows.clonesValues ? TRANSFERRED_CHUNK_ROWS : CHUNK_ROWS
    for (let start = 0; start < rowCount; start += chunkRows) {
      if (start > 0) await new Promise((resolve) => setTimeout(resolve, 0))
      // The thread died (its encodes were failed) or was closed meanwhile: stop sending.
      if (this.#worker !== worker || !this.#pending.has(id)) return
      const end = Math.min(rowCount, start + chunkRows)
      // Typed arrays and dictionary codes are transferred, not cloned (column-transfer.ts).
      const chunk = rows instanceof RowColumns ? rows.pack(start, end) : packColumns(input.schema, rows, start, end)
      worker.postMessage({ id, kind: 'rows', columns: chunk.columns, rowCount: end - start } satisfies EncodeRequest, chunk.transfer)
    }
    if (this.#worker === worker && this.#pending.has(id)) worker.postMessage({ id, kind: 'encode', input: rest } satisfies EncodeRequest)
  }

  /** Starts the thread now rather than on the first encode, so the first batch does not also wait for the thread's start-up. */
  start(): void {
    if (this.#closed || this.#worker) return
    this.#start()
    // Idle: must not keep a stopping process alive.
    this.#refWhileBusy()
  }

  /** Stops the thread; encodes still running are refused (their batches stay queued and retry). */
  close(): void {
    this.#closed = true
    this.#worker?.terminate()
    this.#worker = undefined
    this.#failAll(new IngestError('ENCODER_CLOSED', 'the Parquet encoder thread was closed during an encode'))
  }

  #start(): Worker {
    const worker = new Worker(new URL('./parquet-encoder.thread.ts', import.meta.url).href)
    worker.onmessage = (event: MessageEvent<EncodeReply>) => {
      const reply = event.data
      const pending = this.#pending.get(reply.id)
      if (!pending) return
      this.#pending.delete(reply.id)
      this.#refWhileBusy()
      if (reply.error) pending.reject(new pending.errorClass(reply.error.code, reply.error.message))
      else pending.resolve(reply)
    }
    worker.onerror = (event: ErrorEvent) => {
      // A crashed thread loses its in-flight encodes: fail them (the batcher retries) and start afresh next time.
      this.#worker = undefined
      worker.terminate()
      this.#failAll(new IngestError('ENCODER_CRASHED', `the Parquet encoder thread failed: ${event.message}`, { retryable: true }))
    }
    this.#worker = worker
    return worker
  }

  /**
   * An idle thread must not keep a stopping process alive, but a busy one must: a final commit
   * awaiting its encode would otherwise see the process exit under it.
   */
  #refWhileBusy(): void {
    const worker = this.#worker as (Worker & { ref?: () => void; unref?: () => void }) | undefined
    if (this.#pending.size) worker?.ref?.()
    else worker?.unref?.()
  }

  #failAll(error: Error): void {
    for (const { reject } of this.#pending.values()) reject(error)
    this.#pending.clear()
  }
}
