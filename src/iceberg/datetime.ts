/** Proleptic Gregorian calendar arithmetic on epoch days and microseconds, and the ISO text forms Java prints. */

export const MICROS_PER_SECOND = 1_000_000n
export const MICROS_PER_HOUR = 3_600_000_000n
export const MICROS_PER_DAY = 86_400_000_000n

/** Floor division for bigint (`/` truncates toward zero; temporal transforms need floor for pre-1970 values). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q
}

export function floorMod(a: bigint, b: bigint): bigint {
  return a - floorDiv(a, b) * b
}

export interface CivilDate {
  year: number
  /** 1..12 */
  month: number
  /** 1..31 */
  day: number
}

/** Calendar date of a day count since 1970-01-01 (Howard Hinnant's civil_from_days; exact for any safe integer day). */
export function civilFromDays(days: number): CivilDate {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day }
}

/** Days since 1970-01-01 of a calendar date (inverse of civilFromDays). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** Day number of a timestamp in microseconds (floor, so 1969-12-31T23:59:59.999999 is day -1). */
export function microsToDays(micros: bigint): number {
  return Number(floorDiv(micros, MICROS_PER_DAY))
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0')

/** Year as java.time's ISO formatter prints it: 4 digits, `+` beyond 9999, `-` before year 0. */
function isoYear(year: number): string {
  if (year > 9999) return `+${year}`
  if (year < 0) return `-${pad(-year, 4)}`
  return pad(year, 4)
}

/** `yyyy-MM-dd` of a day count (java.time LocalDate.toString). */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days)
  return `${isoYear(year)}-${pad(month, 2)}-${pad(day, 2)}`
}

/** Fraction digits the way ISO_LOCAL_TIME prints them: as few as needed, up to microseconds here. */
function fraction(micros: number): string {
  if (micros === 0) return ''
  return `.${pad(micros, 6).replace(/0+$/, '')}`
}

/** `yyyy-MM-ddTHH:mm:ss[.ffffff]` of epoch microseconds, plus `+00:00` when `withZone` (Java's DateTimeUtil ISO forms). */
export function formatTimestamp(micros: bigint, withZone: boolean): string {
  const days = floorDiv(micros, MICROS_PER_DAY)
  const inDay = Number(micros - days * MICROS_PER_DAY)
  const seconds = Math.floor(inDay / 1_000_000)
  const text = `${formatDate(Number(days))}T${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}${fraction(inDay % 1_000_000)}`
  return withZone ? `${text}+00:00` : text
}

/** `yyyy-MM-ddTHH:mm:ss[.fffffffff]` of epoch nanoseconds (timestamp_ns), trailing zeros of the fraction dropped. */
export function formatTimestampNanos(nanos: bigint, withZone: boolean): string {
  const micros = floorDiv(nanos, 1000n)
  const subMicro = Number(nanos - micros * 1000n)
  const text = formatTimestamp(micros, false)
  if (subMicro === 0) return withZone ? `${text}+00:00` : text
  const dot = text.indexOf('.')
  const sixDigits = dot < 0 ? '000000' : text.slice(dot + 1).padEnd(6, '0')
  const full = `${dot < 0 ? text : text.slice(0, dot)}.${`${sixDigits}${String(subMicro).padStart(3, '0')}`.replace(/0+$/, '')}`
  return withZone ? `${full}+00:00` : full
}

/** `HH:mm[:ss[.SSS[SSS]]]` of microseconds from midnight, as java.time LocalTime.toString prints it. */
export function formatTime(micros: bigint): string {
  const value = Number(micros)
  const seconds = Math.floor(value / 1_000_000)
  const sub = value % 1_000_000
  let text = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}`
  if (seconds % 60 !== 0 || sub !== 0) text += `:${pad(seconds % 60, 2)}`
  // LocalTime prints the fraction in groups of three digits: millis, else micros.
  if (sub !== 0) text += sub % 1000 === 0 ? `.${pad(sub / 1000, 3)}` : `.${pad(sub, 6)}`
  return text
}
