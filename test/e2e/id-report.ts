/** What PyIceberg (an independent reader) finds in a fault-suite table, id by id (test/e2e/py/crash_report.py). */
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runPython } from './pyiceberg.ts'

export interface IdReport {
  /** Rows in the table. */
  count: number
  /** Distinct ids: count − distinct rows are duplicates. */
  distinct: number
  kafka_ids: number
  kafka_min: number | null
  kafka_max: number | null
  /** Acknowledged HTTP ids not in the table: lost. */
  missing_acknowledged: number
  /** The newest snapshot's Kafka offsets for `topic` (`ingest.kafka.<topic>`). */
  offsets: Record<string, number>
}

/** `topic` names the Kafka marker to read; HTTP-only tables pass any name (offsets come back empty). */
export async function idReport(table: string, topic: string, acknowledged: number[]): Promise<IdReport> {
  // Hundreds of thousands of ids exceed the argument list limit: hand them over in a file.
  const file = join(tmpdir(), `acknowledged-${crypto.randomUUID()}.json`)
  writeFileSync(file, JSON.stringify(acknowledged))
  try {
    return (await runPython('crash_report.py', [table, topic, file])) as IdReport
  } finally {
    rmSync(file, { force: true })
  }
}
