/**
 * Converters for date, time, timestamp(tz) and timestamp(tz)_ns into the canonical forms of src/iceberg/types.ts:
 * date → days since 1970-01-01 (number); time → µs since midnight, timestamps → µs (ns for the _ns types) since epoch (bigint).
 */
import { daysFromCivil } from '../iceberg/datetime.ts'
import { describe, Invalid, quote } from './invalid.ts'

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/
const TIME_TEXT = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/

const MICROS_PER_DAY = 86_400_000_000
const INT_MIN = -2147483648
const INT_MAX = 2147483647
/** java.time's ZoneOffset range: no zone on Earth is further than this from UTC. */
const MAX_OFFSET_SECONDS = 18 * 3600

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** Days since epoch for a calendar date, or undefined when the date does not exist (2023-02-29, month 13). */
function civilDays(year: number, month: number, day: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  return daysFromCivil(year, month, day)
}

/**
 * Microseconds in a 1–9 digit fraction, or undefined when digits beyond the sixth are not zeros:
 * Iceberg timestamps hold microseconds, and dropping nanoseconds silently would change the value.
 */
function fractionMicros(fraction: string | undefined): number | undefined {
  if (fraction === undefined) return 0
  if (fraction.length > 6 && !/^0+$/.test(fraction.slice(6))) return undefined
  return Number(fraction.slice(0, 6).padEnd(6, '0'))
}

/** Seconds since midnight for valid clock fields (no leap second 60), else undefined. */
function clockSeconds(hour: number, minute: number, second: number): number | undefined {
  if (hour > 23 || minute > 59 || second > 59) return undefined
  return hour * 3600 + minute * 60 + second
}

/** date: `YYYY-MM-DD` (a real calendar date) or integer days since 1970-01-01 within int32. */
export function toDate(value: unknown): number | Invalid {
  if (typeof value === 'string') {
    const m = DATE_TEXT.exec(value)
    const days = m === null ? undefined : civilDays(Number(m[1]), Number(m[2]), Number(m[3]))
    return days ?? new Invalid(`invalid date ${quote(value)} (expected YYYY-MM-DD)`)
  }
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (value < INT_MIN || value > INT_MAX) return new Invalid(`date out of range (int32 days), got ${describe(value)}`)
    return value | 0
  }
  return new Invalid(`expected date (YYYY-MM-DD or integer days since 1970-01-01), got ${describe(value)}`)
}

/** time: `HH:MM:SS[.ffffff]` or integer microseconds since midnight (0 ≤ n < 86 400 000 000) → bigint. */
export function toTime(value: unknown): bigint | Invalid {
  if (typeof value === 'string') {
    const m = TIME_TEXT.exec(value)
    const seconds = m === null ? undefined : clockSeconds(Number(m[1]), Number(m[2]), Number(m[3]))
    const micros = m === null ? undefined : fractionMicros(m[4])
    if (seconds === undefined || micros === undefined) {
      return new Invalid(`invalid time ${quote(value)} (expected HH:MM:SS[.ffffff], at most microsecond precision)`)
    }
    return BigInt(seconds * 1_000_000 + micros)
  }
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (value < 0 || value >= MICROS_PER_DAY) return new Invalid(`time out of range 0..86399999999 µs, got ${describe(value)}`)
    return BigInt(value)
  }
  return new Invalid(`expected time (HH:MM:SS[.ffffff] or integer microseconds since midnight), got ${describe(value)}`)
}

/** The integer in `text[start, start+length)` when every character there is a digit, else -1. */
function digitsAt(text: string, start: number, length: number): number {
  let n = 0
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - 48
    if (!(digit >= 0 && digit <= 9)) return -1 // NaN past the end of the text counts as "not a digit"
    n = n * 10 + digit
  }
  return n
}

const SHAPE = ' (expected ISO-8601 YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|±HH:MM])'

/**
 * Parses ISO-8601 / RFC 3339 extended text: `T`, `t` or a space (as SQL prints it) between date and time, optional
 * seconds and 1–9 fraction digits, optional zone `Z`, `±HH:MM` or `±HHMM`. Hand-written with charCodeAt rather
 * than a regular expression: this runs once per timestamp field of every record.
 */
function parseTimestampText(text: string, type: string, zoneRequired: boolean, nanos: boolean): bigint | Invalid {
  const invalid = (why: string): Invalid => new Invalid(`invalid ${type} ${quote(text)}${why}`)
  const separator = text.charCodeAt(10)
  const year = digitsAt(text, 0, 4)
  const month = digitsAt(text, 5, 2)
  const day = digitsAt(text, 8, 2)
  const hour = digitsAt(text, 11, 2)
  const minute = digitsAt(text, 14, 2)
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || text[4] !== '-' || text[7] !== '-' || text[13] !== ':' ||
    (separator !== 84 /* T */ && separator !== 116 /* t */ && separator !== 32 /* space */)) {
    return invalid(SHAPE)
  }
  let at = 16
  let second = 0
  let fraction = 0
  if (text[at] === ':') {
    second = digitsAt(text, at + 1, 2)
    if (second < 0) return invalid(SHAPE)
    at += 3
    if (text[at] === '.') {
      let end = at + 1
      while (end < text.length && end - at <= 9 && digitsAt(text, end, 1) >= 0) end++
      const count = end - at - 1
      if (count === 0 || count > 9) return invalid(SHAPE)
      if (nanos) {
        fraction = digitsAt(text, at + 1, count) * 10 ** (9 - count)
      } else {
        // Digits past the sixth would be nanoseconds; Iceberg timestamps keep microseconds, so they must be zeros.
        if (count > 6 && digitsAt(text, at + 7, count - 6) !== 0) return invalid(': finer than microseconds (digits after the 6th must be 0; timestamp_ns keeps them)')
        fraction = digitsAt(text, at + 1, Math.min(count, 6)) * 10 ** (6 - Math.min(count, 6))
      }
      at = end
    }
  }
  let offset = 0
  let zoned = false
  const zone = text[at]
  if (zone === 'Z' || zone === 'z') {
    zoned = true
    at += 1
  } else if (zone === '+' || zone === '-') {
    const colon = text[at + 3] === ':' ? 1 : 0
    const hours = digitsAt(text, at + 1, 2)
    const minutes = digitsAt(text, at + 3 + colon, 2)
    if (hours < 0 || minutes < 0) return invalid(SHAPE)
    offset = (hours * 3600 + minutes * 60) * (zone === '-' ? -1 : 1)
    if (minutes > 59 || Math.abs(offset) > MAX_OFFSET_SECONDS) return invalid(': zone offset out of range ±18:00')
    zoned = true
    at += 5 + colon
  }
  if (at !== text.length) return invalid(SHAPE)
  if (zoneRequired && !zoned) return invalid(': a zone is required (Z or ±HH:MM)')
  const days = civilDays(year, month, day)
  const seconds = clockSeconds(hour, minute, second)
  if (days === undefined || seconds === undefined) return invalid(': no such date or time')
  const wholeSeconds = days * 86400 + seconds - offset
  if (nanos) return BigInt(wholeSeconds) * 1_000_000_000n + BigInt(fraction)
  const micros = wholeSeconds * 1_000_000 + fraction
  // One BigInt when the product is exact (dates before 2255); the bigint product otherwise.
  return Number.isSafeInteger(micros) ? BigInt(micros) : BigInt(wholeSeconds) * 1_000_000n + BigInt(fraction)
}

/**
 * timestamp / timestamptz → µs since epoch, timestamp_ns / timestamptz_ns → ns since epoch. Numbers are epoch
 * MILLISECONDS (the Kafka and JavaScript convention; no magnitude guessing). Strings are ISO-8601 (up to 9 fraction
 * digits; for the µs types digits past the sixth must be zeros); a zone (`Z`, `±HH:MM`, `±HHMM`) is converted to
 * UTC. For the tz types the zone is required: a zone-less text could be any local time and would be misread as UTC.
 */
export function timestampConverter(type: 'timestamp' | 'timestamptz' | 'timestamp_ns' | 'timestamptz_ns'): (value: unknown) => bigint | Invalid {
  const zoneRequired = type === 'timestamptz' || type === 'timestamptz_ns'
  const nanos = type === 'timestamp_ns' || type === 'timestamptz_ns'
  const perMilli = nanos ? 1_000_000 : 1000
  return (value) => {
    if (typeof value === 'string') return parseTimestampText(value, type, zoneRequired, nanos)
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) return new Invalid(`${type} numbers are integer epoch milliseconds, got ${describe(value)}`)
      const scaled = value * perMilli
      return Number.isSafeInteger(scaled) ? BigInt(scaled) : BigInt(value) * BigInt(perMilli)
    }
    return new Invalid(`expected ${type} (ISO-8601 string or integer epoch milliseconds), got ${describe(value)}`)
  }
}
