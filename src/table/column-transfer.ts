/**
 * Columns packed for a thread boundary: numbers and 64-bit integers in typed arrays, strings as codes
 * into a dictionary, so postMessage transfers buffers instead of cloning one value at a time (the
 * structured clone of plain arrays was the intake thread's largest cost on the Kafka path: ~1 µs
 * per row, bench/kafka-path.bench.ts). Values that do not fit their column's packed form (a wrong
 * type, a long out of range) leave that column as a plain array, so the writer still sees, and
 * refuses, exactly what it was given. Pure (typed arrays are web APIs): edge-safe.
 */
import type { NestedField, Row, Schema } from '../iceberg/types.ts'

export type PackedColumn =
  | { kind: 'values'; values: unknown[] }
  /** float, double; `nulls[i] === 1` marks a null (absent when there is none) */
  | { kind: 'f64'; data: Float64Array; nulls?: Uint8Array }
  /** int, date */
  | { kind: 'i32'; data: Int32Array; nulls?: Uint8Array }
  /** long, time, timestamps: bigints within the signed 64-bit range */
  | { kind: 'i64'; data: BigInt64Array; nulls?: Uint8Array }
  /** strings: `codes[i]` indexes `dictionary`, -1 is null */
  | { kind: 'dict'; codes: Int32Array; dictionary: string[] }

/** A string column stays a dictionary while it has at most this many distinct values (and a quarter of its rows). */
const MAX_DICTIONARY = 4096
const MIN_I64 = -(2n ** 63n)
const MAX_I64 = 2n ** 63n - 1n

type Packing = 'f64' | 'i32' | 'i64' | 'dict' | 'values'

function packingOf(field: NestedField): Packing {
  switch (field.type) {
    case 'double': case 'float': return 'f64'
    case 'int': case 'date': return 'i32'
    case 'long': case 'time': case 'timestamp': case 'timestamptz': case 'timestamp_ns': case 'timestamptz_ns': return 'i64'
    case 'string': return 'dict'
    default: return 'values'
  }
}

const isNull = (v: unknown) => v === null || v === undefined

function plain(rows: readonly Row[], name: string, start: number, end: number): PackedColumn {
  const values = new Array<unknown>(end - start)
  for (let i = start; i < end; i++) values[i - start] = rows[i]![name] ?? null
  return { kind: 'values', values }
}

/** One column of rows[start, end), in its packed form or, when a value does not fit it, as plain values. */
function packColumn(field: NestedField, rows: readonly Row[], start: number, end: number): PackedColumn {
  const name = field.name
  const n = end - start
  const packing = packingOf(field)
  if (packing === 'f64' || packing === 'i32') {
    const data = packing === 'f64' ? new Float64Array(n) : new Int32Array(n)
    let nulls: Uint8Array | undefined
    for (let i = 0; i < n; i++) {
      const v = rows[start + i]![name]
      if (typeof v === 'number' && (packing === 'f64' || (v | 0) === v)) data[i] = v
      else if (isNull(v)) (nulls ??= new Uint8Array(n))[i] = 1
      else return plain(rows, name, start, end)
    }
    return packing === 'f64' ? { kind: 'f64', data: data as Float64Array, ...(nulls ? { nulls } : {}) } : { kind: 'i32', data: data as Int32Array, ...(nulls ? { nulls } : {}) }
  }
  if (packing === 'i64') {
    const data = new BigInt64Array(n)
    let nulls: Uint8Array | undefined
    for (let i = 0; i < n; i++) {
      const v = rows[start + i]![name]
      if (typeof v === 'bigint' && v >= MIN_I64 && v <= MAX_I64) data[i] = v
      else if (isNull(v)) (nulls ??= new Uint8Array(n))[i] = 1
      else return plain(rows, name, start, end)
    }
    return { kind: 'i64', data, ...(nulls ? { nulls } : {}) }
  }
  if (packing === 'dict') {
    const codes = new Int32Array(n)
    const dictionary: string[] = []
    const index = new Map<string, number>()
    const limit = Math.min(MAX_DICTIONARY, Math.max(16, n >> 2))
    for (let i = 0; i < n; i++) {
      const v = rows[start + i]![name]
      if (typeof v === 'string') {
        let code = index.get(v)
        if (code === undefined) {
          if (dictionary.length >= limit) return plain(rows, name, start, end)
          index.set(v, (code = dictionary.push(v) - 1))
        }
        codes[i] = code
      } else if (isNull(v)) codes[i] = -1
      else return plain(rows, name, start, end)
    }
    return { kind: 'dict', codes, dictionary }
  }
  return plain(rows, name, start, end)
}

/** rows[start, end) → one packed column per top-level field of `schema`, and the buffers to transfer with them. */
export function packColumns(schema: Schema, rows: readonly Row[], start = 0, end = rows.length): { columns: PackedColumn[]; transfer: ArrayBuffer[] } {
  const columns = schema.fields.map((field) => packColumn(field, rows, start, end))
  const transfer: ArrayBuffer[] = []
  for (const column of columns) {
    if (column.kind === 'values') continue
    transfer.push((column.kind === 'dict' ? column.codes : column.data).buffer as ArrayBuffer)
    if ('nulls' in column && column.nulls) transfer.push(column.nulls.buffer as ArrayBuffer)
  }
  return { columns, transfer }
}

/** Appends a packed column's values, in the writer's plain form (nulls as null), to `out`. */
export function appendUnpacked(out: unknown[], column: PackedColumn): void {
  switch (column.kind) {
    case 'values':
      for (const value of column.values) out.push(value)
      return
    case 'dict': {
      const { codes, dictionary } = column
      for (let i = 0; i < codes.length; i++) out.push(codes[i]! < 0 ? null : dictionary[codes[i]!])
      return
    }
    default: {
      const { data, nulls } = column
      for (let i = 0; i < data.length; i++) out.push(nulls?.[i] ? null : data[i])
    }
  }
}
