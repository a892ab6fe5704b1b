import { describe, expect, test } from 'bun:test'
import { tableFromIPC } from 'apache-arrow'
import { resultToArrowIpc } from '../../src/query/arrow.ts'
import type { ResultTable } from '../../src/query/columns.ts'
import { formatCsv, formatJson, formatTable } from '../../src/query/output.ts'

const result: ResultTable = {
  columns: [
    { name: 'id', type: { kind: 'int64' } },
    { name: 'x', type: { kind: 'float64' } },
    { name: 'note', type: { kind: 'string' } },
    { name: 'at', type: { kind: 'timestamptz' } },
    { name: 'raw', type: { kind: 'binary' } },
    { name: 'amount', type: { kind: 'decimal', precision: 38, scale: 2 } },
  ],
  rows: [
    [9007199254740993n, Number.NaN, 'a, "quoted"\nline', 1_767_225_600_000_001n, new Uint8Array([1, 255]), -123456n],
    [1n, 0.1, null, null, null, null],
  ],
}

describe('result formats', () => {
  test('aligned table: numbers right, NULL shown, row count', () => {
    expect(formatTable({ columns: result.columns.slice(0, 2), rows: result.rows.map((r) => r.slice(0, 2)) })).toBe(
      ['              id    x', '----------------  ---', '9007199254740993  NaN', '               1  0.1', '(2 rows)'].join('\n'),
    )
  })

  test('JSON keeps big integers and decimals exact (strings), binary as base64, timestamps ISO', () => {
    expect(JSON.parse(formatJson(result))).toEqual([
      { id: '9007199254740993', x: 'NaN', note: 'a, "quoted"\nline', at: '2026-01-01T00:00:00.000001+00:00', raw: 'Af8=', amount: '-1234.56' },
      { id: 1, x: 0.1, note: null, at: null, raw: null, amount: null },
    ])
    expect(formatJson({ columns: [], rows: [] })).toBe('[]')
  })

  test('CSV ends records in \\n, quotes what needs quoting (quotes doubled) and leaves nulls empty', () => {
    expect(formatCsv(result)).toBe('id,x,note,at,raw,amount\n9007199254740993,NaN,"a, ""quoted""\nline",2026-01-01T00:00:00.000001+00:00,\\x01FF,-1234.56\n1,0.1,,,,\n')
    const one = (value: string): ResultTable => ({ columns: [{ name: 'a,b', type: { kind: 'string' } }], rows: [[value]] })
    expect(formatCsv(one('cr\rinside'))).toBe('"a,b"\n"cr\rinside"\n')
    expect(formatCsv(one('"'))).toBe('"a,b"\n""""\n')
    expect(formatCsv(one(' padded'))).toBe('"a,b"\n" padded"\n')
    expect(formatCsv(one('plain'))).toBe('"a,b"\nplain\n')
  })

  test('Arrow IPC stream reads back with the same values', () => {
    const table = tableFromIPC(resultToArrowIpc(result))
    expect(table.numRows).toBe(2)
    expect(table.getChild('id')!.get(0)).toBe(9007199254740993n)
    expect(table.getChild('note')!.get(1)).toBeNull()
    expect((table.getChild('at')!.data[0]!.values as BigInt64Array)[0]).toBe(1_767_225_600_000_001n)
  })
})
