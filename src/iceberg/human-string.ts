/** Human-readable partition values as Java's Transform.toHumanString prints them (used in partition paths). */
import { civilFromDays, formatTime, formatTimestamp, formatTimestampNanos } from './datetime.ts'
import { parsePrimitive } from './schema.ts'
import type { IcebergValue, PrimitiveType, Transform } from './types.ts'

/** Java's `%04d`: zero-padded to four characters, the sign counting toward the width. */
function format04(n: number): string {
  return n < 0 ? `-${String(-n).padStart(3, '0')}` : String(n).padStart(4, '0')
}

const pad2 = (n: number): string => String(n).padStart(2, '0')

function humanDay(days: number): string {
  const { year, month, day } = civilFromDays(days)
  return `${format04(year)}-${pad2(month)}-${pad2(day)}`
}

function humanMonth(months: number): string {
  const year = 1970 + Math.floor(months / 12)
  return `${format04(year)}-${pad2((((months % 12) + 12) % 12) + 1)}`
}

function humanHour(hours: number): string {
  const days = Math.floor(hours / 24)
  return `${humanDay(days)}-${pad2(hours - days * 24)}`
}

function base64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/** BigDecimal.toString: plain unless the adjusted exponent is below -6, then scientific (`1.5E-7`). */
export function decimalToString(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n
  const digits = (negative ? -unscaled : unscaled).toString()
  const sign = negative ? '-' : ''
  const adjusted = digits.length - 1 - scale
  if (scale >= 0 && adjusted >= -6) {
    if (scale === 0) return sign + digits
    const padded = digits.padStart(scale + 1, '0')
    return `${sign}${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`
  }
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
  return `${sign}${mantissa}E${adjusted >= 0 ? '+' : ''}${adjusted}`
}

/** Double.toString / Float.toString: `1.0`, `0.001`, `1.0E7`, `1.0E-4`, `NaN`, `Infinity`. */
export function floatingToString(value: number, single: boolean): string {
  if (Number.isNaN(value)) return 'NaN'
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity'
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0'
  let digits = String(value)
  if (single) {
    // The shortest decimal that reads back as the same float32, as Float.toString picks.
    for (let p = 1; p <= 9; p++) {
      const candidate = Number(value.toPrecision(p))
      if (Math.fround(candidate) === Math.fround(value)) {
        digits = String(candidate)
        break
      }
    }
  }
  const n = Number(digits)
  const magnitude = Math.abs(n)
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const plain = n.toString()
    return plain.includes('.') ? plain : `${plain}.0`
  }
  const [mantissa = '', exponent = '0'] = n.toExponential().split('e')
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`
}

/** Text form of a value of primitive `type` (identity and truncate results keep the source type). */
function typedString(type: PrimitiveType, value: IcebergValue): string {
  switch (type) {
    case 'date':
      return humanDay(value as number)
    case 'time':
      return formatTime(value as bigint)
    case 'timestamp':
      return formatTimestamp(value as bigint, false)
    case 'timestamptz':
      return formatTimestamp(value as bigint, true)
    case 'timestamp_ns':
      return formatTimestampNanos(value as bigint, false)
    case 'timestamptz_ns':
      return formatTimestampNanos(value as bigint, true)
    case 'float':
    case 'double':
      return floatingToString(value as number, type === 'float')
    case 'binary':
      return base64(value as Uint8Array)
    default: {
      const shape = parsePrimitive(type)
      if (shape.kind === 'fixed') return base64(value as Uint8Array)
      if (shape.kind === 'decimal') return decimalToString(value as bigint, shape.scale)
      return String(value)
    }
  }
}

/**
 * The human string of a partition value produced by `transform` from a `source` column:
 * year → yyyy, month → yyyy-MM, day → yyyy-MM-dd, hour → yyyy-MM-dd-HH, bucket → the number,
 * identity/truncate → the source type's text, null → `null`.
 */
export function humanString(transform: Transform, source: PrimitiveType, value: IcebergValue): string {
  if (value === null || value === undefined) return 'null'
  switch (transform) {
    case 'year':
      return format04(1970 + (value as number))
    case 'month':
      return humanMonth(value as number)
    case 'day':
      return humanDay(value as number)
    case 'hour':
      return humanHour(value as number)
    case 'void':
      return 'null'
    default:
      return transform.startsWith('bucket') ? String(value) : typedString(source, value)
  }
}
