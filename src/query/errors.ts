/** Errors the query layer throws: `QueryError` with a stable code, the offending value in the message, and what to do. */
import { IngestError, type IngestErrorOptions } from '../errors.ts'

/**
 * Codes:
 * - `SNAPSHOT_NOT_FOUND`     `--snapshot ID` names no snapshot of the table (the message lists recent ones)
 * - `NO_SNAPSHOT_AS_OF`      `--as-of` is before the table's first snapshot
 * - `UNKNOWN_COLUMN`         a filter or projection names a column the schema lacks (the message lists the columns)
 * - `INVALID_FILTER`         a filter value does not fit its column's type
 * - `UNSUPPORTED_DELETES`    an equality-delete file applies to a planned file (DVs and position deletes are applied)
 * - `UNSUPPORTED_TYPE`       a column type the Arrow reader does not convert
 * - `DATA_FILE_INVALID`      a data file lacks a column id the manifest promised, or is not Parquet
 * - `SQL_INVALID`            the SQL does not parse, is not one SELECT, or names a table the catalog lacks
 */
export type QueryErrorCode =
  | 'SNAPSHOT_NOT_FOUND'
  | 'NO_SNAPSHOT_AS_OF'
  | 'UNKNOWN_COLUMN'
  | 'INVALID_FILTER'
  | 'UNSUPPORTED_DELETES'
  | 'UNSUPPORTED_TYPE'
  | 'DATA_FILE_INVALID'
  | 'SQL_INVALID'

export class QueryError extends IngestError {
  constructor(code: QueryErrorCode, message: string, options: IngestErrorOptions = {}) {
    super(code, message, options)
  }
}
