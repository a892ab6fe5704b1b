/** A RecordLog for pipelines fed only Kafka rows in tests: nothing is ever appended to it, and an append fails. */
import type { RecordLog } from '../../src/pipeline/record-log.ts'

export const unusedRecordLog = (id: string): RecordLog => ({
  id,
  append: () => Promise.reject(new Error(`record log ${id}: not used (Kafka rows only)`)),
  replay: async function* () {},
  truncateThrough: async () => 0,
  lastSeq: 0n,
  bytes: 0,
  segmentCount: 0,
})
