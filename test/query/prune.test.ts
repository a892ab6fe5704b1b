import { describe, expect, test } from 'bun:test'
import { parsePartitionDsl, parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import { bindPredicates, compareSql, describePredicate, holds } from '../../src/query/predicate.ts'
import { partitionValueStats, projectPredicate, statsMayMatch, type ValueStats } from '../../src/query/prune.ts'

const range = (lower: unknown, upper: unknown, extra: Partial<ValueStats> = {}): ValueStats =>
  ({ lower, upper, mayHaveNull: false, mayHaveNonNull: true, mayHaveNaN: false, exact: false, ...extra }) as ValueStats

describe('statsMayMatch', () => {
  test('comparisons against [lower, upper]: boundaries included exactly where SQL includes them', () => {
    const r = range(10, 20)
    const may = (op: '=' | '<' | '<=' | '>' | '>=', v: number) => statsMayMatch('int', op, [v], r)
    expect([may('=', 9), may('=', 10), may('=', 20), may('=', 21)]).toEqual([false, true, true, false])
    expect([may('<', 10), may('<', 11), may('<=', 10), may('<=', 9)]).toEqual([false, true, true, false])
    expect([may('>', 20), may('>', 19), may('>=', 20), may('>=', 21)]).toEqual([false, true, true, false])
    expect(statsMayMatch('int', 'in', [1, 25], r)).toBe(false)
    expect(statsMayMatch('int', 'in', [1, 15], r)).toBe(true)
    expect(statsMayMatch('int', '!=', [10], range(10, 10))).toBe(true) // bounds may be truncated: never pruned
  })

  test('nulls: IS NULL needs a null, a comparison needs a non-null', () => {
    expect(statsMayMatch('int', 'is-null', [], range(1, 2))).toBe(false)
    expect(statsMayMatch('int', 'is-null', [], range(1, 2, { mayHaveNull: true }))).toBe(true)
    const allNull = range(undefined, undefined, { mayHaveNull: true, mayHaveNonNull: false })
    expect(statsMayMatch('int', '=', [1], allNull)).toBe(false)
    expect(statsMayMatch('int', 'is-not-null', [], allNull)).toBe(false)
    expect(statsMayMatch('int', '<', [1], range(undefined, undefined))).toBe(true) // unknown bounds keep the file
  })

  test('NaN sorts above every number and -0 equals +0, as DuckDB and Java compare', () => {
    const withNaN = range(-1, 1, { mayHaveNaN: true })
    expect(statsMayMatch('double', '>', [5], withNaN)).toBe(true)
    expect(statsMayMatch('double', '>', [5], range(-1, 1))).toBe(false)
    expect(statsMayMatch('double', '<', [-5], withNaN)).toBe(false)
    expect(statsMayMatch('double', '=', [Number.NaN], range(-1, 1))).toBe(true)
    expect(statsMayMatch('double', '=', [0], range(-0, -0))).toBe(true)
    expect(compareSql('double', Number.NaN, Number.POSITIVE_INFINITY)).toBe(1)
    expect(holds('double', '=', [Number.NaN], Number.NaN)).toBe(true)
    expect(holds('double', '<', [1], null)).toBe(false)
  })

  test('exact partition values decide every operator, != included', () => {
    expect(statsMayMatch('string', '!=', ['a'], partitionValueStats('a'))).toBe(false)
    expect(statsMayMatch('string', '!=', ['a'], partitionValueStats('b'))).toBe(true)
    expect(statsMayMatch('string', '=', ['a'], partitionValueStats(null))).toBe(false)
    expect(statsMayMatch('string', 'is-null', [], partitionValueStats(null))).toBe(true)
  })
})

describe('projectPredicate', () => {
  const schema = parseSchemaDsl('id long, ts timestamp, name string, x double')
  const spec = parsePartitionDsl('bucket(16, id), day(ts), truncate(2, name), x, void(id) as nothing', schema)
  const [bucket, day, truncate, identity, nothing] = spec.fields
  const bind = (p: Parameters<typeof bindPredicates>[1][number]) => bindPredicates(schema, [p])[0]!

  test('bucket keeps = and IN only; day and truncate widen < to <= and keep order; void says nothing', () => {
    expect(projectPredicate(bind({ column: 'id', op: '=', value: 34 }), bucket!)).toEqual({ op: '=', values: [3] })
    expect(projectPredicate(bind({ column: 'id', op: '<', value: 34 }), bucket!)).toBeUndefined()
    expect(projectPredicate(bind({ column: 'ts', op: '<', value: '2026-01-02T00:00:00' }), day!)).toEqual({ op: '<=', values: [20455] })
    expect(projectPredicate(bind({ column: 'ts', op: '>', value: '2026-01-02T10:00:00' }), day!)).toEqual({ op: '>=', values: [20455] })
    expect(projectPredicate(bind({ column: 'ts', op: '!=', value: '2026-01-02T10:00:00' }), day!)).toBeUndefined()
    expect(projectPredicate(bind({ column: 'name', op: 'in', values: ['abc', 'xyz'] }), truncate!)).toEqual({ op: 'in', values: ['ab', 'xy'] })
    expect(projectPredicate(bind({ column: 'x', op: '!=', value: 1 }), identity!)).toEqual({ op: '!=', values: [1] })
    expect(projectPredicate(bind({ column: 'id', op: 'is-null' }), nothing!)).toBeUndefined()
    expect(projectPredicate(bind({ column: 'ts', op: 'is-null' }), bucket!)).toBeUndefined() // other source column
  })

  test('bound predicates take JSON forms and say what is wrong', () => {
    expect(bind({ column: 'ts', op: '>=', value: 1767225600000 }).values).toEqual([1_767_225_600_000_000n])
    expect(describePredicate(bind({ column: 'ts', op: '>=', value: '2026-01-01T00:00:00' }))).toBe("ts >= TIMESTAMP '2026-01-01T00:00:00'")
    expect(() => bind({ column: 'x', op: '=', value: null })).toThrow(/use op "is-null"/)
    expect(() => bind({ column: 'id', op: '=', value: 1.5 })).toThrow(/filter on id \(long\)/)
    expect(() => bind({ column: 'missing', op: 'is-null' })).toThrow(/top-level primitive columns \(id, ts, name, x\)/)
  })
})
