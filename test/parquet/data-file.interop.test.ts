/** Our Parquet data files read by an independent implementation (pyarrow): values, field ids, logical types, statistics. */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parsePrimitive } from '../../src/iceberg/schema.ts'
import type { IcebergType, IcebergValue, Row } from '../../src/iceberg/types.ts'
import { writeDataFile } from '../../src/parquet/data-file.ts'
import { zstdCompress } from '../../src/adapter/bun/zstd.ts'
import { stackEnv } from '../e2e/stack-env.ts'
import { allTypesRows, allTypesSchema } from './all-types.ts'

const READER = join(import.meta.dir, 'pyarrow-read.py')

/** `PARQUET_INTEROP_PYTHON` (any Python with pyarrow) or the test stack's venv. */
function interopPython(): string {
  return process.env.PARQUET_INTEROP_PYTHON ?? stackEnv().python
}

interface PyarrowView {
  created_by: string
  key_value: Record<string, string>
  columns: { path: string; physical: string; logical: string; converted: string }[]
  field_ids: Record<string, number | null>
  rows: unknown[]
  stats: { group: number; path: string; null_count: number | null; has_min_max: boolean }[]
}

const dir = mkdtempSync(join(tmpdir(), 'parquet-interop-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function pyarrowRead(bytes: Uint8Array, name: string): Promise<PyarrowView> {
  const path = join(dir, name)
  await Bun.write(path, bytes)
  const proc = Bun.spawn([interopPython(), READER, path], { stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  if (code !== 0) throw new Error(`pyarrow read failed (exit ${code}): ${err}`)
  return JSON.parse(out) as PyarrowView
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

function pyFloat(x: number): unknown {
  if (Number.isNaN(x)) return { $float: 'nan' }
  if (Object.is(x, -0)) return { $float: '-0.0' }
  if (!Number.isFinite(x)) return { $float: x > 0 ? 'inf' : '-inf' }
  return x
}

/** A canonical value as the reader script tags what pyarrow returns for it. */
function pyTagged(type: IcebergType, value: IcebergValue | undefined): unknown {
  if (value === null || value === undefined) return null
  if (typeof type !== 'string') {
    switch (type.type) {
      case 'struct': return Object.fromEntries(type.fields.map((f) => [f.name, pyTagged(f.type, (value as Row)[f.name])]))
      case 'list': return (value as IcebergValue[]).map((v) => pyTagged(type.element, v))
      case 'map': return [...(value as Map<IcebergValue, IcebergValue>)].map(([k, v]) => [pyTagged(type.key, k), pyTagged(type.value, v)])
    }
  }
  const shape = parsePrimitive(type)
  switch (shape.kind) {
    case 'boolean': case 'string': return value
    case 'float': return pyFloat(Math.fround(value as number))
    case 'double': return pyFloat(value as number)
    case 'decimal': return { $decimal: [String(value), -shape.scale] }
    case 'uuid': return { $bytes: (value as string).replaceAll('-', '') }
    case 'fixed': case 'binary': return { $bytes: hex(value as Uint8Array) }
    default: return { $int: String(value) }
  }
}

describe('pyarrow reads our data files', () => {
  const rows = allTypesRows()

  for (const compression of ['snappy', 'zstd'] as const) {
    test(`${compression}: values, across two row groups`, async () => {
      const { bytes, metrics } = writeDataFile({ schema: allTypesSchema, rows, rowGroupRows: 3, compression, compressors: { zstd: zstdCompress } })
      const view = await pyarrowRead(bytes, `all-${compression}.parquet`)
      const expected = rows.map((row) => Object.fromEntries(allTypesSchema.fields.map((f) => [f.name, pyTagged(f.type, row[f.name])])))
      expect(view.rows).toEqual(expected)
      // pyarrow parses the footer statistics of every chunk; null counts agree with our metrics
      expect(view.stats.length).toBe(2 * 23)
      for (const path of ['b', 's', 'st.x', 'st.inner.z']) {
        const nulls = view.stats.filter((s) => s.path === path).reduce((n, s) => n + s.null_count!, 0)
        const id = view.field_ids[path]!
        expect({ path, nulls }).toEqual({ path, nulls: metrics['null-value-counts']!.get(id)! })
      }
    })
  }

  test('field ids on every Iceberg field (PARQUET:field_id), spec logical types, Iceberg metadata', async () => {
    const view = await pyarrowRead(writeDataFile({ schema: allTypesSchema, rows }).bytes, 'all.parquet')
    expect(view.field_ids).toEqual({
      b: 1, i: 2, l: 3, f: 4, d: 5, dec9: 6, dec18: 7, dec38: 8, dt: 9, tm: 10, ts: 11, tstz: 12, s: 13, u: 14, fx: 15, bin: 16,
      st: 17, 'st.x': 18, 'st.y': 19, 'st.inner': 20, 'st.inner.z': 21, tags: 22, 'tags.element': 23,
      attrs: 24, 'attrs.key': 25, 'attrs.value': 26, points: 27, 'points.element': 28, 'points.element.a': 29,
    })
    const logical = Object.fromEntries(view.columns.map((c) => [c.path, `${c.physical} ${c.logical}`]))
    expect(logical.tm).toBe('INT64 Time(isAdjustedToUTC=false, timeUnit=microseconds)')
    expect(logical.ts).toStartWith('INT64 Timestamp(isAdjustedToUTC=false, timeUnit=microseconds')
    expect(logical.tstz).toStartWith('INT64 Timestamp(isAdjustedToUTC=true, timeUnit=microseconds')
    expect(logical.u).toBe('FIXED_LEN_BYTE_ARRAY UUID')
    expect(logical.dec38).toBe('FIXED_LEN_BYTE_ARRAY Decimal(precision=38, scale=10)')
    expect(logical.dt).toBe('INT32 Date')
    expect(logical.s).toBe('BYTE_ARRAY String')
    expect(view.columns.map((c) => c.path)).toContain('tags.list.element')
    expect(view.columns.map((c) => c.path)).toContain('attrs.key_value.key')
    expect(view.created_by).toBe('iceberg-ingest version 0.1.0 (build hyparquet-writer-0.17.0)')
    expect(JSON.parse(view.key_value['iceberg.schema']!)).toEqual(allTypesSchema)
  })
})
