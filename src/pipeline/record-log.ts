/** The durable log the pipeline writes HTTP records to before acknowledging them (the WAL, host-side). */

export interface RecordLog {
  /** Stable identity of this log; part of the table markers, so a wiped log never looks "already committed". */
  readonly id: string
  /** Resolves once every payload is durable. Throws an error with code WAL_FULL when the log is at its cap. */
  append(payloads: Uint8Array[]): Promise<{ firstSeq: bigint; lastSeq: bigint }>
  /** Records with a sequence number above `afterSeq`, in order. */
  replay(afterSeq: bigint): AsyncIterable<{ seq: bigint; payload: Uint8Array }>
  /** Frees whole segments whose records are all at or below `seq`. */
  truncateThrough(seq: bigint): Promise<number>
  readonly lastSeq: bigint
  readonly bytes: number
  readonly segmentCount: number
}
