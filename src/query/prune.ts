/**
 * Inclusive pruning (may a manifest or data file hold a matching row?) from partition summaries, partition tuples and
 * column bounds — the rules of Iceberg's ManifestEvaluator / InclusiveMetricsEvaluator. When in doubt: "may match".
 */
import { decodeSingleValue } from '../iceberg/single-value.ts'
import { describeTransform, transformFunction } from '../iceberg/transforms.ts'
import type { DataFile, FieldSummary, IcebergValue, PartitionField, PrimitiveType } from '../iceberg/types.ts'
import { compareSql, holds, type BoundPredicate, type PredicateOp } from './predicate.ts'

/** What is known about the values of one column (or partition field) in a file or manifest. */
export interface ValueStats {
  /** Lower / upper bound of the non-null, non-NaN values; undefined when unknown. */
  lower?: IcebergValue
  upper?: IcebergValue
  mayHaveNull: boolean
  /** False only when every value is known to be null. */
  mayHaveNonNull: boolean
  mayHaveNaN: boolean
  /** Every non-null value equals `lower` (an identity or transform partition value), so `!=` can prune too. */
  exact: boolean
}

const isFloating = (type: PrimitiveType) => type === 'float' || type === 'double'
const isNaNValue = (value: IcebergValue | undefined) => typeof value === 'number' && Number.isNaN(value)

/** Whether some value described by `stats` may satisfy `op values`. */
export function statsMayMatch(type: PrimitiveType, op: PredicateOp, values: readonly IcebergValue[], stats: ValueStats): boolean {
  if (op === 'is-null') return stats.mayHaveNull
  if (op === 'is-not-null') return stats.mayHaveNonNull
  if (!stats.mayHaveNonNull) return false
  if (stats.exact && stats.lower !== undefined) return holds(type, op, values, stats.lower)
  // NaN is outside the bounds and, in SQL engines, above every number: `x > 5` holds for it, `x = NaN` too.
  if (isFloating(type) && values.some(isNaNValue)) return true
  if (stats.mayHaveNaN && (op === '>' || op === '>=' || op === '!=')) return true
  const lower = isNaNValue(stats.lower) ? undefined : stats.lower
  const upper = isNaNValue(stats.upper) ? undefined : stats.upper
  const below = (v: IcebergValue) => lower !== undefined && compareSql(type, v, lower) < 0
  const above = (v: IcebergValue) => upper !== undefined && compareSql(type, v, upper) > 0
  const v = values[0] as IcebergValue
  switch (op) {
    case '=': return !below(v) && !above(v)
    case 'in': return values.some((value) => !below(value) && !above(value))
    case '<': return lower === undefined || compareSql(type, lower, v) < 0
    case '<=': return lower === undefined || compareSql(type, lower, v) <= 0
    case '>': return upper === undefined || compareSql(type, upper, v) > 0
    case '>=': return upper === undefined || compareSql(type, upper, v) >= 0
    // Bounds may be truncated (strings), so lower == upper does not prove every value equal: never prune.
    case '!=': return true
  }
}

/** A predicate on a partition field: the source predicate carried through the field's transform. */
export interface ProjectedPredicate {
  op: PredicateOp
  values: IcebergValue[]
}

/**
 * Projects a predicate on a partition field's source column onto the partition value, inclusively: every row that
 * matches the predicate has a partition value that matches the projection. Identity keeps the predicate; order-keeping
 * transforms (year, month, day, hour, truncate) keep `=`/`in` and widen `<`→`<=`, `>`→`>=`; bucket keeps `=`/`in`.
 * Undefined when nothing can be said (`!=` through a transform, void, a literal the transform refuses).
 */
export function projectPredicate(predicate: BoundPredicate, field: PartitionField): ProjectedPredicate | undefined {
  if (field['source-id'] !== predicate.fieldId) return undefined
  let kind: string
  let apply: (value: IcebergValue) => IcebergValue
  try {
    kind = describeTransform(field.transform).kind
    apply = transformFunction(field.transform, predicate.type)
  } catch {
    return undefined
  }
  if (kind === 'void') return undefined
  const { op } = predicate
  if (op === 'is-null' || op === 'is-not-null') return { op, values: [] }
  if (kind === 'identity') return { op, values: predicate.values }
  // NaN has no order-preserving image under a transform; only identity applies to floats anyway.
  if (predicate.values.some(isNaNValue)) return undefined
  let values: IcebergValue[]
  try {
    values = predicate.values.map(apply)
  } catch {
    return undefined
  }
  if (op === '=' || op === 'in') return { op, values }
  if (kind === 'bucket' || op === '!=') return undefined
  return { op: op === '<' || op === '<=' ? '<=' : '>=', values }
}

/** A bound's value, or undefined when absent or unreadable (an unreadable bound prunes nothing). */
function decodeBound(type: PrimitiveType, bytes: Uint8Array | undefined): IcebergValue | undefined {
  if (bytes === undefined) return undefined
  try {
    return decodeSingleValue(type, bytes)
  } catch {
    return undefined
  }
}

/** Stats of one partition field in a manifest, from the manifest list's field summary. */
export function summaryStats(type: PrimitiveType, summary: FieldSummary): ValueStats {
  const lower = decodeBound(type, summary['lower-bound'])
  const upper = decodeBound(type, summary['upper-bound'])
  const mayHaveNaN = isFloating(type) && summary['contains-nan'] !== false
  const noValues = lower === undefined && upper === undefined && summary['contains-null'] && summary['contains-nan'] === false
  return { lower, upper, mayHaveNull: summary['contains-null'], mayHaveNonNull: !noValues, mayHaveNaN, exact: false }
}

/** Stats of one partition value of a data file: exactly this value for every row. */
export function partitionValueStats(value: IcebergValue | undefined): ValueStats {
  const isNull = value === null || value === undefined
  return {
    lower: isNull ? undefined : value,
    upper: isNull ? undefined : value,
    mayHaveNull: isNull,
    mayHaveNonNull: !isNull,
    mayHaveNaN: isNaNValue(value),
    exact: !isNull,
  }
}

/** Stats of a column in a data file from its metrics: value, null and NaN counts, lower and upper bounds. */
export function columnStats(file: DataFile, fieldId: number, type: PrimitiveType): ValueStats {
  const values = file['value-counts']?.get(fieldId)
  const nulls = file['null-value-counts']?.get(fieldId)
  const nans = file['nan-value-counts']?.get(fieldId)
  return {
    lower: decodeBound(type, file['lower-bounds']?.get(fieldId)),
    upper: decodeBound(type, file['upper-bounds']?.get(fieldId)),
    mayHaveNull: nulls === undefined || nulls > 0,
    mayHaveNonNull: !(values !== undefined && nulls !== undefined && values === nulls),
    mayHaveNaN: isFloating(type) && (nans === undefined || nans > 0),
    exact: false,
  }
}
