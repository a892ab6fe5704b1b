/** Columns of canonical values → Arrow record batches and IPC bytes (apache-arrow, pure JavaScript: edge-safe). */
import {
  Binary, Bool, type Data, type DataType, DateDay, Decimal, Field, FixedSizeBinary, Float32, Float64, Int32, Int64,
  makeData, RecordBatch, Schema, Struct, Table, tableToIPC, TimeMicrosecond, TimestampMicrosecond, Utf8, vectorFromArray,
} from 'apache-arrow'
import { uuidToBytes } from '../iceberg/single-value.ts'
import type { ColumnKind, ResultColumn, ResultTable } from './columns.ts'

/** The Arrow type of a column kind (timestamps in microseconds, timestamptz in UTC, decimals 128-bit). */
export function arrowType(type: ColumnKind): DataType {
  switch (type.kind) {
    case 'boolean': return new Bool()
    case 'int32': return new Int32()
    case 'int64': return new Int64()
    case 'float32': return new Float32()
    case 'float64': return new Float64()
    case 'date': return new DateDay()
    case 'time': return new TimeMicrosecond()
    case 'timestamp': return new TimestampMicrosecond()
    case 'timestamptz': return new TimestampMicrosecond('UTC')
    case 'string': case 'text': return new Utf8()
    case 'uuid': return new FixedSizeBinary(16)
    case 'binary': return new Binary()
    case 'decimal': return new Decimal(type.scale, type.precision, 128)
  }
}

const isNull = (v: unknown) => v === null || v === undefined

function validity(values: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8))
  let nullCount = 0
  values.forEach((v, i) => {
    if (isNull(v)) nullCount++
    else nullBitmap[i >> 3]! |= 1 << (i & 7)
  })
  return { nullBitmap, nullCount }
}

function bytesData(type: Binary, values: readonly unknown[]): Data {
  const offsets = new Int32Array(values.length + 1)
  let total = 0
  values.forEach((v, i) => {
    total += v instanceof Uint8Array ? v.length : 0
    offsets[i + 1] = total
  })
  const data = new Uint8Array(total)
  values.forEach((v, i) => {
    if (v instanceof Uint8Array) data.set(v, offsets[i]!)
  })
  return makeData({ type, length: values.length, ...validity(values), valueOffsets: offsets, data })
}

/** One Arrow column from values in the column kind's canonical form (see ColumnKind). */
export function arrowData(type: ColumnKind, values: readonly unknown[]): Data {
  const length = values.length
  const arrow = arrowType(type)
  const fill = <T extends { [i: number]: number | bigint }>(array: T, zero: number | bigint): T => {
    values.forEach((v, i) => {
      array[i] = (isNull(v) ? zero : v) as number | bigint
    })
    return array
  }
  switch (type.kind) {
    case 'boolean': {
      const bits = new Uint8Array(Math.ceil(length / 8))
      values.forEach((v, i) => {
        if (v === true) bits[i >> 3]! |= 1 << (i & 7)
      })
      return makeData({ type: arrow as Bool, length, ...validity(values), data: bits })
    }
    case 'int32': return makeData({ type: arrow as Int32, length, ...validity(values), data: fill(new Int32Array(length), 0) })
    case 'date': return makeData({ type: arrow as DateDay, length, ...validity(values), data: fill(new Int32Array(length), 0) })
    case 'float32': return makeData({ type: arrow as Float32, length, ...validity(values), data: fill(new Float32Array(length), 0) })
    case 'float64': return makeData({ type: arrow as Float64, length, ...validity(values), data: fill(new Float64Array(length), 0) })
    case 'int64': return makeData({ type: arrow as Int64, length, ...validity(values), data: fill(new BigInt64Array(length), 0n) })
    case 'time': return makeData({ type: arrow as TimeMicrosecond, length, ...validity(values), data: fill(new BigInt64Array(length), 0n) })
    case 'timestamp': case 'timestamptz':
      return makeData({ type: arrow as TimestampMicrosecond, length, ...validity(values), data: fill(new BigInt64Array(length), 0n) })
    case 'decimal': {
      // Arrow decimals are 128-bit little-endian two's complement, as four 32-bit words per value.
      const words = new Uint32Array(length * 4)
      values.forEach((v, i) => {
        if (isNull(v)) return
        const n = BigInt.asUintN(128, v as bigint)
        for (let w = 0; w < 4; w++) words[i * 4 + w] = Number((n >> BigInt(32 * w)) & 0xffffffffn)
      })
      return makeData({ type: arrow as Decimal, length, ...validity(values), data: words })
    }
    case 'uuid': {
      const data = new Uint8Array(length * 16)
      values.forEach((v, i) => {
        if (typeof v === 'string') data.set(uuidToBytes(v), i * 16)
      })
      return makeData({ type: arrow as FixedSizeBinary, length, ...validity(values), data })
    }
    case 'binary': return bytesData(arrow as Binary, values)
    case 'string': case 'text':
      return vectorFromArray(values.map((v) => (isNull(v) ? null : String(v))), new Utf8()).data[0]!
  }
}

/** A record batch of column-major values (`columns[i]` holds the values of `fields[i]`, all of one length). */
export function recordBatch(fields: readonly ResultColumn[], columns: readonly (readonly unknown[])[]): RecordBatch {
  const length = columns[0]?.length ?? 0
  const children = fields.map((field, i) => arrowData(field.type, columns[i] ?? []))
  const arrowFields = fields.map((field, i) => new Field(field.name, children[i]!.type, true))
  const schema = new Schema(arrowFields)
  return new RecordBatch(schema, makeData({ type: new Struct(arrowFields), length, nullCount: 0, children }))
}

/** A whole result as one Arrow IPC stream (the `.arrows` format `pyarrow.ipc.open_stream` and DuckDB read). */
export function resultToArrowIpc(result: ResultTable): Uint8Array {
  const columns = result.columns.map((_, c) => result.rows.map((row) => row[c]))
  return tableToIPC(new Table([recordBatch(result.columns, columns)]), 'stream')
}
