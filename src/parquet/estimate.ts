/** Cheap estimate of a row's plain-encoded Parquet size, for rolling files and sizing row groups by bytes. */
import { decimalRequiredBytes } from '../iceberg/big-endian.ts'
import { parsePrimitive } from '../iceberg/schema.ts'
import type { IcebergType, IcebergValue, PrimitiveType, Row, Schema } from '../iceberg/types.ts'

type Estimator = (value: IcebergValue | undefined) => number

// Byte arrays carry a 4-byte length prefix in PLAIN encoding.
const LENGTH_PREFIX = 4

function primitiveEstimator(type: PrimitiveType): Estimator {
  const shape = parsePrimitive(type)
  switch (shape.kind) {
    case 'boolean': return () => 1
    case 'int': case 'date': case 'float': return () => 4
    case 'long': case 'time': case 'timestamp': case 'timestamptz': case 'timestamp_ns': case 'timestamptz_ns': case 'double': return () => 8
    // a JSON-ish value: its JSON text length is near its variant encoding's size
    case 'variant': return (v) => 2 * LENGTH_PREFIX + variantTextLength(v)
    case 'uuid': return () => 16
    case 'fixed': { const n = shape.length; return () => n }
    case 'decimal': {
      const n = shape.precision <= 9 ? 4 : shape.precision <= 18 ? 8 : decimalRequiredBytes(shape.precision)
      return () => n
    }
    // UTF-16 length: exact for ASCII, an under-estimate for other scripts, and O(1)
    case 'string': return (v) => LENGTH_PREFIX + (typeof v === 'string' ? v.length : 0)
    case 'binary': return (v) => LENGTH_PREFIX + (v instanceof Uint8Array ? v.length : 0)
  }
}

function variantTextLength(value: IcebergValue | undefined): number {
  try {
    return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v instanceof Uint8Array ? v.length : v))?.length ?? 1
  } catch {
    return 64 // a cycle; the writer refuses it
  }
}

function estimatorFor(type: IcebergType): Estimator {
  if (typeof type === 'string') {
    const primitive = primitiveEstimator(type)
    return (v) => (v === null || v === undefined ? 0 : primitive(v))
  }
  switch (type.type) {
    case 'struct': {
      const fields = type.fields.map((f) => ({ name: f.name, estimate: estimatorFor(f.type) }))
      return (v) => {
        if (v === null || v === undefined || typeof v !== 'object') return 0
        const row = v as Row
        let total = 0
        for (const { name, estimate } of fields) total += estimate(row[name])
        return total
      }
    }
    case 'list': {
      const element = estimatorFor(type.element)
      return (v) => {
        if (!Array.isArray(v)) return 0
        let total = 0
        for (const item of v) total += element(item)
        return total
      }
    }
    case 'map': {
      const key = estimatorFor(type.key)
      const value = estimatorFor(type.value)
      return (v) => {
        if (!(v instanceof Map)) return 0
        let total = 0
        for (const [k, x] of v) total += key(k) + value(x)
        return total
      }
    }
  }
}

const compiled = new WeakMap<Schema, Estimator>()

/**
 * Estimated bytes of `row` in a Parquet file before compression (values only; levels and
 * page headers are a few percent more). Null or wrongly typed values count as zero: this is a
 * size hint, validation happens when the file is written.
 */
export function estimateRowBytes(schema: Schema, row: Row): number {
  let estimate = compiled.get(schema)
  if (!estimate) {
    estimate = estimatorFor(schema)
    compiled.set(schema, estimate)
  }
  return estimate(row)
}
