// What `query --explain` prints (text or JSON), and the one-line plan summary after a result.
import { formatTimestamp } from '../../src/iceberg/datetime.ts'
import { describePredicate } from '../../src/query/predicate.ts'
import type { QueryOutcome, TableReport } from '../../src/adapter/bun/run-query.ts'
import { formatBytes } from './text-table.ts'

const n = (value: number) => value.toLocaleString('en-US')
const iso = (ms: number) => `${formatTimestamp(BigInt(ms) * 1000n, false).replace(/(\.\d{3})\d*$/, '$1')}Z`

function prunedCounts(report: TableReport) {
  const { plan } = report
  const byPartition = plan.prunedFiles.filter((f) => f.reason === 'partition').length + plan.manifests.prunedFiles
  const byMetrics = plan.prunedFiles.filter((f) => f.reason === 'metrics').length
  const plannedRecords = plan.files.reduce((s, f) => s + f.dataFile['record-count'], 0)
  return { byPartition, byMetrics, plannedRecords }
}

/** `, DV (12 deleted)` / `, 2 position-delete files` for a planned file with deletes. */
function deletesNote(file: TableReport['plan']['files'][number]): string {
  const deletes = file.deletes
  if (!deletes) return ''
  if (deletes.deletionVector) return `, DV of ${n(deletes.deletionVector.file['record-count'])} deleted`
  return `, ${deletes.positionDeletes.length} position-delete file${deletes.positionDeletes.length === 1 ? '' : 's'}`
}

/** `--explain` as text: per table the snapshot, the predicates used, manifests and files planned vs pruned. */
export function explainText(outcome: QueryOutcome, maxFiles = 40): string {
  const lines: string[] = []
  for (const report of outcome.tables) {
    const { plan } = report
    const { byPartition, byMetrics, plannedRecords } = prunedCounts(report)
    lines.push(`table ${report.table}`)
    lines.push(plan.snapshot ? `  snapshot   ${plan.snapshot['snapshot-id']} (${iso(plan.snapshot['timestamp-ms'])})` : '  snapshot   none (the table has no data)')
    const used = plan.predicates.map(describePredicate)
    lines.push(`  pruning by ${used.length ? used.join(' AND ') : 'nothing (no usable WHERE conjunct on this table)'}`)
    for (const c of report.conjuncts.filter((c) => c.skipped)) lines.push(`  not used   ${c.text}: ${c.skipped}`)
    lines.push(`  manifests  ${plan.manifests.total} in snapshot, ${plan.manifests.pruned} pruned by partition summaries`)
    lines.push(`  files      ${n(plan.files.length)} planned of ${n(plan.totalFiles)}; pruned ${n(byPartition)} by partition, ${n(byMetrics)} by column bounds`)
    lines.push(`  rows       ${n(plannedRecords)} in planned files of ${n(plan.totalRecords)}`)
    if (plan.deleteFiles) lines.push(`  deletes    ${n(plan.deleteFiles)} delete files (DVs, position deletes) in snapshot; ${n(plan.filesWithDeletes)} planned files have deleted rows, removed when read`)
    lines.push('  planned files:')
    for (const f of plan.files.slice(0, maxFiles)) lines.push(`    ${f.dataFile['file-path']}  (${n(f.dataFile['record-count'])} rows${deletesNote(f)})`)
    if (plan.files.length > maxFiles) lines.push(`    ... and ${plan.files.length - maxFiles} more (--format json lists all)`)
  }
  return lines.join('\n')
}

/** `--explain --format json`: everything explainText shows, with every file. */
export function explainJson(outcome: QueryOutcome): string {
  return JSON.stringify(
    {
      tables: outcome.tables.map((report) => {
        const { plan } = report
        const counts = prunedCounts(report)
        return {
          table: report.table,
          snapshotId: plan.snapshot ? String(plan.snapshot['snapshot-id']) : null,
          predicates: plan.predicates.map(describePredicate),
          notUsed: report.conjuncts.filter((c) => c.skipped).map((c) => ({ conjunct: c.text, reason: c.skipped })),
          manifests: plan.manifests,
          totalFiles: plan.totalFiles,
          totalRecords: plan.totalRecords,
          prunedByPartition: counts.byPartition,
          prunedByMetrics: counts.byMetrics,
          plannedRecords: counts.plannedRecords,
          deleteFiles: plan.deleteFiles,
          filesWithDeletes: plan.filesWithDeletes,
          plannedFiles: plan.files.map((f) => ({
            path: f.dataFile['file-path'],
            records: f.dataFile['record-count'],
            ...(f.deletes?.deletionVector ? { deletionVector: { path: f.deletes.deletionVector.file['file-path'], deleted: f.deletes.deletionVector.file['record-count'] } } : {}),
            ...(f.deletes?.positionDeletes.length ? { positionDeleteFiles: f.deletes.positionDeletes.map((d) => d.file['file-path']) } : {}),
          })),
          prunedFiles: plan.prunedFiles,
        }
      }),
    },
    null,
    2,
  )
}

/** One line for stderr after a result: files planned and pruned, bytes fetched, time per phase. */
export function planSummary(outcome: QueryOutcome): string {
  const parts = outcome.tables.map((report) => {
    const { byPartition, byMetrics } = prunedCounts(report)
    const deletes = report.plan.filesWithDeletes ? `, ${n(report.plan.filesWithDeletes)} with deleted rows` : ''
    return `${report.table}: ${n(report.plan.files.length)} of ${n(report.plan.totalFiles)} files (pruned ${n(byPartition)} by partition, ${n(byMetrics)} by bounds${deletes})`
  })
  const t = outcome.timings
  return `${parts.join('; ') || 'no Iceberg tables'}; fetched ${formatBytes(outcome.fetchedBytes)}; plan ${Math.round(t.planMs)} ms, fetch ${Math.round(t.fetchMs)} ms, run ${Math.round(t.executeMs)} ms`
}
