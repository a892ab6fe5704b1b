/**
 * Result columns in one engine-neutral form: a kind per column and values in Iceberg's canonical in-memory forms, so
 * scans (Iceberg types) and SQL results (engine types) share one Arrow builder and one set of text renderings.
 */
import { isPrimitive, parsePrimitive } from '../iceberg/schema.ts'
import type { IcebergType } from '../iceberg/types.ts'
import { QueryError } from './errors.ts'

/**
 * How a column's values are held: boolean → boolean; int32, float32, float64 → number; date → days (number);
 * int64 → bigint; time, timestamp, timestamptz → µs (bigint); decimal → unscaled bigint; string, uuid → string;
 * binary → Uint8Array; text → string (an engine type rendered as text, e.g. a list in a SQL result). Null is null.
 */
export type ColumnKind =
  | { kind: 'boolean' | 'int32' | 'int64' | 'float32' | 'float64' | 'date' | 'time' | 'timestamp' | 'timestamptz' | 'string' | 'uuid' | 'binary' | 'text' }
  | { kind: 'decimal'; precision: number; scale: number }

export interface ResultColumn {
  name: string
  type: ColumnKind
}

/** A result held in memory: columns and rows of values in the forms ColumnKind describes. */
export interface ResultTable {
  columns: ResultColumn[]
  rows: unknown[][]
}

/**
 * The column kind of an Iceberg type.
 * @throws QueryError `UNSUPPORTED_TYPE` for struct, list and map columns (read them through SQL, which renders them).
 */
export function kindOfIceberg(type: IcebergType, column: string): ColumnKind {
  if (!isPrimitive(type)) {
    throw new QueryError('UNSUPPORTED_TYPE', `column ${column} is a ${type.type}: scans return primitive columns; leave it out of \`columns\`, or query it with SQL`, {
      context: { column },
    })
  }
  const shape = parsePrimitive(type)
  switch (shape.kind) {
    case 'timestamp_ns': case 'timestamptz_ns': case 'variant':
      throw new QueryError('UNSUPPORTED_TYPE', `column ${column} is a ${shape.kind} (format v3): scans do not return it yet; leave it out of \`columns\`, or query it with SQL`, {
        context: { column },
      })
    case 'boolean': return { kind: 'boolean' }
    case 'int': return { kind: 'int32' }
    case 'long': return { kind: 'int64' }
    case 'float': return { kind: 'float32' }
    case 'double': return { kind: 'float64' }
    case 'date': return { kind: 'date' }
    case 'time': return { kind: 'time' }
    case 'timestamp': return { kind: 'timestamp' }
    case 'timestamptz': return { kind: 'timestamptz' }
    case 'string': return { kind: 'string' }
    case 'uuid': return { kind: 'uuid' }
    case 'binary': case 'fixed': return { kind: 'binary' }
    case 'decimal': return { kind: 'decimal', precision: shape.precision, scale: shape.scale }
  }
}
