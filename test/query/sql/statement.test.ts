import { afterAll, describe, expect, test } from 'bun:test'
import { openDuckdb } from '../../../src/adapter/bun/duckdb-session.ts'
import { literalSql } from '../../../src/query/sql/literal-sql.ts'
import { tablesOfStatement } from '../../../src/query/sql/statement.ts'

const session = await openDuckdb({ threads: 1 })
afterAll(() => session.close())

const tables = async (sql: string) => tablesOfStatement(await session.serialize(sql))
const conjuncts = async (sql: string) => (await tables(sql)).map((t) => ({ table: t.parts.join('.'), conjuncts: t.conjuncts.map((c) => `${c.column} ${c.op} ${c.literals.join('|')}`.trim()) }))

describe('tablesOfStatement (DuckDB parse trees)', () => {
  test('the walkthrough query: one table, its conjuncts with the literal as SQL text', async () => {
    expect(await conjuncts("SELECT sensor_id, count(*), avg(reading) FROM learning.sensor_readings WHERE timestamp >= '2026-01-01' AND sensor_id = 'sensor-3' GROUP BY sensor_id")).toEqual([
      { table: 'learning.sensor_readings', conjuncts: ["timestamp >= '2026-01-01'", "sensor_id = 'sensor-3'"] },
    ])
  })

  test('comparisons both ways round, BETWEEN, IN, IS [NOT] NULL, qualified columns, casts', async () => {
    const [t] = await conjuncts(
      "SELECT * FROM a.t AS x WHERE 5 < n AND d BETWEEN DATE '2026-01-01' AND '2026-02-01' AND s IN ('p', 'q') AND x.k IS NULL AND x.m IS NOT NULL AND r <> -1.5 AND ts <= TIMESTAMPTZ '2026-01-01 00:00:00+02' AND b = true",
    )
    expect(t!.conjuncts).toEqual([
      'n > CAST(5 AS INTEGER)',
      "d >= CAST('2026-01-01' AS DATE)",
      "d <= '2026-02-01'",
      "s in 'p'|'q'",
      'k is-null',
      'm is-not-null',
      "r != CAST('-1.5' AS DECIMAL(2,1))",
      "ts <= CAST('2026-01-01 00:00:00+02' AS TIMESTAMP WITH TIME ZONE)",
      "b = CAST('t' AS BOOLEAN)",
    ])
  })

  test('what cannot restrict every row is left out: OR, functions of columns, subqueries, parameters, struct fields', async () => {
    const [t] = await conjuncts(
      "SELECT * FROM a.t WHERE (n = 1 OR n = 2) AND lower(s) = 'x' AND n = (SELECT 1) AND s = ? AND st.f = 1 AND other.c = 2 AND n + 1 = 3 AND n = 7",
    )
    expect(t!.conjuncts).toEqual(['n = CAST(7 AS INTEGER)'])
  })

  test('a table read twice, or in a join, is not pruned; unqualified names are DuckDB\'s own', async () => {
    expect(await conjuncts('SELECT * FROM a.t WHERE n = 1 UNION ALL SELECT * FROM a.t WHERE n = 2')).toEqual([{ table: 'a.t', conjuncts: [] }])
    expect(await conjuncts('SELECT * FROM a.t JOIN a.u ON t.id = u.id WHERE t.n = 1')).toEqual([
      { table: 'a.t', conjuncts: [] },
      { table: 'a.u', conjuncts: [] },
    ])
    expect(await conjuncts('WITH c AS (SELECT * FROM ns.t WHERE n > 3) SELECT * FROM c WHERE n < 9')).toEqual([{ table: 'ns.t', conjuncts: ['n > CAST(3 AS INTEGER)'] }])
    expect((await tables('SELECT * FROM x.y.z WHERE a = 1'))[0]!.parts).toEqual(['x', 'y', 'z'])
    expect((await tables('SELECT 1 FROM (SELECT * FROM a.t WHERE n = 1) q WHERE EXISTS (SELECT 1 FROM b.u WHERE u.k = 2)')).map((t) => t.conjuncts.length)).toEqual([1, 1])
  })

  test('bad SQL and other statements are refused with what to do', async () => {
    await expect(tables('SELEC 1')).rejects.toThrow(/syntax error .*write one SELECT/)
    await expect(tables('DROP TABLE a.t')).rejects.toMatchObject({ code: 'SQL_INVALID' })
    await expect(tables('SELECT 1; SELECT 2')).rejects.toThrow(/one SELECT statement, got 2/)
    await expect(tables("SELECT * FROM a.t AT (VERSION => 3)")).rejects.toThrow(/--snapshot ID or --as-of/)
  })

  test('big integer literals keep every digit (the parse tree is read with exact integers)', async () => {
    const [t] = await tables('SELECT * FROM a.t WHERE id = 9007199254740993 AND h = 123456789012345678901234567890')
    expect(t!.conjuncts.map((c) => c.literals[0])).toEqual(['CAST(9007199254740993 AS BIGINT)', 'CAST(123456789012345678901234567890 AS HUGEINT)'])
    expect(literalSql({ class: 'CONSTANT', value: { type: { id: 'NULL' }, is_null: true } })).toBeUndefined()
  })
})
