/**
 * A batch's rows held as columns (pure, edge-safe): numbers, dates and 64-bit integers in growable
 * typed arrays, strings as codes into a per-column dictionary, anything else as a plain array. Row
 * objects die young instead of living until their commit: on the Kafka path that took ~75 MB off the
 * worker's peak RSS and ~0.4 µs of GC work off every message (bench/kafka-path.bench.ts). A value
 * that does not fit its column's typed form (a wrong type, a long out of range, a string column
 * with too many distinct values) turns that column into a plain array, so the writer later sees,
 * and refuses, exactly the values it was given. The columns go to the encoder thread as they are
 * (`pack`, typed arrays transferred), never as rows.
 */
import type { NestedField, Row, Schema } from '../iceberg/types.ts'
import type { PackedColumn } from './column-transfer.ts'

/** A string column stays a dictionary while it has at most this many distinct values. */
const MAX_DICTIONARY = 4096
const MIN_I64 = -(2n ** 63n)
const MAX_I64 = 2n ** 63n - 1n
/** Heap bytes of one value in a plain-array column beyond the value itself: the slot and a boxed cell. */
const PLAIN_SLOT_BYTES = 40

type Typed = Float64Array | Int32Array | BigInt64Array

/** One column being built; `kind` changes to 'values' at most once, never back. */
type Builder =
  | { kind: 'f64' | 'i32' | 'i64'; data: Typed; nulls: Uint8Array | undefined }
  | { kind: 'dict'; codes: Int32Array; dictionary: string[]; index: Map<string, number> }
  | { kind: 'values'; values: unknown[] }

function newBuilder(field: NestedField, capacity: number): Builder {
  switch (field.type) {
    case 'double': case 'float': return { kind: 'f64', data: new Float64Array(capacity), nulls: undefined }
    case 'int': case 'date': return { kind: 'i32', data: new Int32Array(capacity), nulls: undefined }
    case 'long': case 'time': case 'timestamp': case 'timestamptz': case 'timestamp_ns': case 'timestamptz_ns':
      return { kind: 'i64', data: new BigInt64Array(capacity), nulls: undefined }
    case 'string': return { kind: 'dict', codes: new Int32Array(capacity), dictionary: [], index: new Map() }
    default: return { kind: 'values', values: [] }
  }
}

/** A copy of `array` with room for `capacity` elements. */
function grown<T extends Typed | Uint8Array>(array: T, capacity: number): T {
  const next = new (array.constructor as new (length: number) => T)(capacity)
  next.set(array as never)
  return next
}

const isNull = (v: unknown) => v === null || v === undefined

/** Value `i` of a builder, in the row's form (null for nulls). */
function valueAt(builder: Builder, i: number): unknown {
  switch (builder.kind) {
    case 'values': return builder.values[i] ?? null
    case 'dict': { const code = builder.codes[i]!; return code < 0 ? null : builder.dictionary[code] }
    default: return builder.nulls?.[i] ? null : builder.data[i]
  }
}

export class RowColumns {
  readonly schema: Schema
  readonly #names: string[]
  #builders: Builder[]
  #length = 0
  /** Length of every typed column (and null mask): they grow together. */
  #capacity: number

  /** `schema` names the columns (top-level fields, by name); `capacity` rows are reserved up front (none by default: a table with no rows, one of many routed tables, costs nothing). */
  constructor(schema: Schema, capacity = 0) {
    this.schema = schema
    this.#names = schema.fields.map((field) => field.name)
    this.#capacity = capacity
    this.#builders = schema.fields.map((field) => newBuilder(field, capacity))
  }

  /** Rows held. */
  get length(): number {
    return this.#length
  }

  push(row: Row): void {
    const i = this.#length
    if (i === this.#capacity) this.#grow()
    const names = this.#names
    const builders = this.#builders
    // The common case inline (hot: once per field per record); anything else in #setSlow.
    for (let j = 0; j < names.length; j++) {
      const v = row[names[j]!]
      const builder = builders[j]!
      switch (builder.kind) {
        case 'f64':
          if (typeof v === 'number') {
            builder.data[i] = v
            continue
          }
          break
        case 'i32':
          if (typeof v === 'number' && (v | 0) === v) {
            builder.data[i] = v
            continue
          }
          break
        case 'i64':
          if (typeof v === 'bigint' && v >= MIN_I64 && v <= MAX_I64) {
            builder.data[i] = v
            continue
          }
          break
        case 'dict':
          if (typeof v === 'string') {
            const code = builder.index.get(v)
            if (code !== undefined) {
              builder.codes[i] = code
              continue
            }
          }
          break
        case 'values':
          builder.values.push(v ?? null)
          continue
      }
      this.#setSlow(j, i, v)
    }
    this.#length = i + 1
  }

  /** Doubles every typed column (and null mask) together, so push checks the capacity once per row. */
  #grow(): void {
    const capacity = Math.max(64, this.#capacity * 2)
    for (const builder of this.#builders) {
      if (builder.kind === 'dict') builder.codes = grown(builder.codes, capacity)
      else if (builder.kind !== 'values') {
        builder.data = grown(builder.data, capacity)
        if (builder.nulls) builder.nulls = grown(builder.nulls, capacity)
      }
    }
    this.#capacity = capacity
  }

  #setSlow(j: number, i: number, v: unknown): void {
    const builder = this.#builders[j]!
    switch (builder.kind) {
      case 'values':
        builder.values.push(v ?? null)
        return
      case 'dict':
        if (typeof v === 'string' && builder.dictionary.length < MAX_DICTIONARY) {
          const code = builder.dictionary.push(v) - 1
          builder.index.set(v, code)
          builder.codes[i] = code
          return
        }
        if (isNull(v)) {
          builder.codes[i] = -1
          return
        }
        break
      default: {
        const fits = builder.kind === 'i64' ? typeof v === 'bigint' && v >= MIN_I64 && v <= MAX_I64 : typeof v === 'number' && (builder.kind === 'f64' || (v | 0) === v)
        if (fits) {
          builder.data[i] = v as never
          return
        }
        if (isNull(v)) {
          ;(builder.nulls ??= new Uint8Array(this.#capacity))[i] = 1
          return
        }
      }
    }
    // The value does not fit the typed form: the column becomes plain values from here on.
    const values = new Array<unknown>(i)
    for (let k = 0; k < i; k++) values[k] = valueAt(builder, k)
    values.push(v ?? null)
    this.#builders[j] = { kind: 'values', values }
  }

  /** Row `i` as an object keyed by field name. */
  row(i: number): Row {
    const row: Row = {}
    const fields = this.schema.fields
    for (let j = 0; j < fields.length; j++) row[fields[j]!.name] = valueAt(this.#builders[j]!, i) as Row[string]
    return row
  }

  /** Every row as an object (schema evolution carries rows to a new schema one by one). */
  toRows(): Row[] {
    return Array.from({ length: this.#length }, (_, i) => this.row(i))
  }

  /** The rows at `indexes`, in that order, as new columns. */
  select(indexes: readonly number[]): RowColumns {
    const out = new RowColumns(this.schema, Math.max(1, indexes.length))
    for (const i of indexes) out.push(this.row(i))
    return out
  }

  /** Rows [start, end) per column, in the packed form the encoder thread takes (copies: the buffers may be transferred). */
  pack(start = 0, end = this.#length): { columns: PackedColumn[]; transfer: ArrayBuffer[] } {
    const transfer: ArrayBuffer[] = []
    const columns = this.#builders.map((builder): PackedColumn => {
      if (builder.kind === 'values') return { kind: 'values', values: builder.values.slice(start, end) }
      if (builder.kind === 'dict') {
        const codes = builder.codes.slice(start, end)
        transfer.push(codes.buffer as ArrayBuffer)
        return { kind: 'dict', codes, dictionary: builder.dictionary }
      }
      const data = builder.data.slice(start, end)
      transfer.push(data.buffer as ArrayBuffer)
      // A nulls array shorter than `end` has no nulls past its length.
      const nulls = builder.nulls ? new Uint8Array(end - start) : undefined
      if (nulls) (nulls.set(builder.nulls!.subarray(start, Math.min(end, builder.nulls!.length))), transfer.push(nulls.buffer as ArrayBuffer))
      return { kind: builder.kind, data, ...(nulls ? { nulls } : {}) } as PackedColumn
    })
    return { columns, transfer }
  }

  /** Whether a column holds plain values (cloned, not transferred, when packed: what makes packing cost the intake thread). */
  get clonesValues(): boolean {
    return this.#builders.some((builder) => builder.kind === 'values')
  }

  /** One plain array per column (nulls as null): what the Parquet writer takes on this thread. */
  plainColumns(): unknown[][] {
    return this.#builders.map((builder) => Array.from({ length: this.#length }, (_, i) => valueAt(builder, i)))
  }

  /**
   * Heap bytes the columns hold beyond the values' own bytes (those are the batch's Parquet estimate):
   * the typed arrays' used part (their spare capacity, at most as much again, is left out so an empty
   * batch costs nothing), a slot and a boxed cell per plain value, the dictionaries' strings.
   */
  overheadBytes(): number {
    const n = this.#length
    let bytes = 0
    for (const builder of this.#builders) {
      if (builder.kind === 'values') bytes += n * PLAIN_SLOT_BYTES
      else if (builder.kind === 'dict') bytes += n * 4 + builder.dictionary.length * 64
      else bytes += n * builder.data.BYTES_PER_ELEMENT + (builder.nulls ? n : 0)
    }
    return bytes
  }
}
