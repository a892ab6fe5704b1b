import { describe, expect, test } from 'bun:test'
import { ValidationError } from '../../../src/errors.ts'
import { createMetricsRegistry, escapeLabelValue } from '../../../src/sources/http/metrics.ts'

describe('metrics registry', () => {
  test('renders counters and gauges in the text format, labelled series in first-use order', () => {
    const registry = createMetricsRegistry()
    const records = registry.counter({ name: 'ingest_records_total', help: 'Records received.', labelNames: ['table', 'outcome'] })
    const up = registry.gauge({ name: 'ingest_up', help: 'Worker is up.' })
    const wal = registry.gauge({ name: 'ingest_wal_bytes', help: 'Bytes held\nin the WAL \\ segments.', labelNames: ['table'] })
    records.inc({ table: 'a.b', outcome: 'accepted' }, 5)
    records.inc({ outcome: 'rejected', table: 'a.b' })
    records.inc({ table: 'a.b', outcome: 'accepted' })
    up.set(1)
    wal.set({ table: 'a.b' }, 1024)
    wal.inc({ table: 'a.b' }, -24)
    wal.set({ table: 'x' }, Number.POSITIVE_INFINITY)
    expect(registry.render()).toBe(
      [
        '# HELP ingest_records_total Records received.',
        '# TYPE ingest_records_total counter',
        'ingest_records_total{table="a.b",outcome="accepted"} 6',
        'ingest_records_total{table="a.b",outcome="rejected"} 1',
        '# HELP ingest_up Worker is up.',
        '# TYPE ingest_up gauge',
        'ingest_up 1',
        '# HELP ingest_wal_bytes Bytes held\\nin the WAL \\\\ segments.',
        '# TYPE ingest_wal_bytes gauge',
        'ingest_wal_bytes{table="a.b"} 1000',
        'ingest_wal_bytes{table="x"} +Inf',
        '',
      ].join('\n'),
    )
  })

  test('an unlabelled counter shows 0 before its first increment; an empty registry renders nothing', () => {
    expect(createMetricsRegistry().render()).toBe('')
    const registry = createMetricsRegistry()
    registry.counter({ name: 'commits_total', help: 'Commits.' })
    expect(registry.render()).toEndWith('commits_total 0\n')
  })

  test('label values escape backslash, quote and newline', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd')
    const registry = createMetricsRegistry()
    registry.counter({ name: 'errors_total', help: 'Errors.', labelNames: ['message'] }).inc({ message: 'say "hi"\n' })
    expect(registry.render()).toContain('errors_total{message="say \\"hi\\"\\n"} 1')
  })

  test('refuses bad names, duplicates, wrong label sets and counters going down', () => {
    const registry = createMetricsRegistry()
    expect(() => registry.counter({ name: '1bad', help: '' })).toThrow(ValidationError)
    expect(() => registry.gauge({ name: 'ok', help: '', labelNames: ['__reserved'] })).toThrow(ValidationError)
    expect(() => registry.gauge({ name: 'ok2', help: '', labelNames: ['a', 'a'] })).toThrow(ValidationError)
    const counter = registry.counter({ name: 'c_total', help: '', labelNames: ['table'] })
    expect(() => registry.gauge({ name: 'c_total', help: '' })).toThrow(/already registered/)
    expect(() => counter.inc()).toThrow(/takes labels \[table\], got \[\]/)
    expect(() => counter.inc({ table: 'a', extra: 'b' })).toThrow(ValidationError)
    expect(() => counter.inc({ table: 'a' }, -1)).toThrow(/cannot change by -1/)
    expect(() => counter.inc({ table: 'a' }, Number.NaN)).toThrow(ValidationError)
  })
})
