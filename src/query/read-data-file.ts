/** Reads columns of an Iceberg Parquet data file by field id (hyparquet) into canonical Iceberg values. */
import { parquetMetadata, parquetRead, parquetSchema, type Compressors, type SchemaElement } from 'hyparquet'
import { isPrimitive } from '../iceberg/schema.ts'
import { fromBigEndian } from '../iceberg/big-endian.ts'
import { uuidFromBytes } from '../iceberg/single-value.ts'
import type { IcebergValue, NestedField, PrimitiveType } from '../iceberg/types.ts'
import { QueryError } from './errors.ts'

export interface DataFileColumns {
  rowCount: number
  /** One array per requested field, in request order; a field the file lacks (added later) is all null. */
  columns: IcebergValue[][]
}

/** The canonical value of one decoded Parquet value for an Iceberg primitive type. */
function canonical(type: PrimitiveType, value: unknown): IcebergValue {
  if (value === null || value === undefined) return null
  if (type.startsWith('decimal')) return value instanceof Uint8Array ? fromBigEndian(value) : BigInt(value as number | bigint)
  switch (type) {
    // a long column may hold files written while it was an int (type promotion)
    case 'long': case 'time': case 'timestamp': case 'timestamptz': return typeof value === 'bigint' ? value : BigInt(value as number)
    case 'int': case 'date': return typeof value === 'bigint' ? Number(value) : (value as number)
    case 'uuid': return value instanceof Uint8Array ? uuidFromBytes(value) : String(value).toLowerCase()
    default: return value as IcebergValue
  }
}

/**
 * Decodes `fields` (top-level primitive fields of the scan schema) from the bytes of a Parquet data file, matching
 * columns by Iceberg field id as the spec requires (names may have changed since the file was written).
 * @throws QueryError `DATA_FILE_INVALID` when `path`'s bytes are not Parquet or a column cannot be decoded (the
 *   message names the file and the codec, e.g. zstd without `compressors.ZSTD`).
 */
export async function readDataFile(bytes: Uint8Array, path: string, fields: readonly NestedField[], compressors?: Compressors): Promise<DataFileColumns> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  try {
    const metadata = parquetMetadata(file)
    const byId = new Map<number, SchemaElement>()
    for (const child of parquetSchema(metadata).children) {
      if (child.element.field_id !== undefined) byId.set(child.element.field_id, child.element)
    }
    const present = fields.filter((f) => byId.has(f.id))
    for (const field of present) {
      const element = byId.get(field.id)!
      // hyparquet turns DECIMAL into a lossy float: read the unscaled physical value instead.
      if (isPrimitive(field.type) && field.type.startsWith('decimal')) {
        element.converted_type = undefined
        element.logical_type = undefined
      }
    }
    const rowCount = Number(metadata.num_rows)
    const columns = fields.map(() => new Array<IcebergValue>(rowCount).fill(null))
    if (present.length && rowCount > 0) {
      const rows = await new Promise<unknown[][]>((resolve, reject) => {
        parquetRead({
          file,
          metadata,
          columns: present.map((f) => byId.get(f.id)!.name),
          compressors,
          utf8: false,
          parsers: {
            timestampFromMilliseconds: (v: bigint) => v * 1000n,
            timestampFromMicroseconds: (v: bigint) => v,
            timestampFromNanoseconds: (v: bigint) => v / 1000n,
            dateFromDays: (v: number) => v,
          },
          onComplete: (decoded: unknown[][]) => resolve(decoded),
        }).catch(reject)
      })
      present.forEach((field) => {
        const target = columns[fields.indexOf(field)]!
        const index = present.indexOf(field)
        const type = field.type as PrimitiveType
        for (let r = 0; r < rows.length; r++) target[r] = canonical(type, rows[r]![index])
      })
    }
    return { rowCount, columns }
  } catch (cause) {
    if (cause instanceof QueryError) throw cause
    throw new QueryError('DATA_FILE_INVALID', `cannot read data file ${path}: ${(cause as Error).message}`, { cause, context: { path } })
  }
}
