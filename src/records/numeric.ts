/** Converters for int, long, float, double and decimal(P,S) into the canonical forms of src/iceberg/types.ts. */
import { describe, Invalid, quote } from './invalid.ts'

/** Decimal integer text: optional minus, no leading zeros, no sign plus, no exponent (so "007" or "1e3" cannot be misread). */
const INTEGER_TEXT = /^-?(?:0|[1-9]\d*)$/
/** The JSON number grammar (RFC 8259 §6), used for float/double strings. */
const JSON_NUMBER_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/
/** Decimal text as BigDecimal reads it: sign, digits with an optional point, optional exponent. */
const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/

const INT_MIN = -2147483648
const INT_MAX = 2147483647
const LONG_MIN = -(2n ** 63n)
const LONG_MAX = 2n ** 63n - 1n
/** Float32 max finite value: a finite double beyond it would silently become Infinity. */
const FLOAT_MAX = 3.4028234663852886e38
/**
 * Digits a JSON number can carry exactly through a double (DBL_DIG): two decimals of at most 15
 * significant digits never share a double, so their shortest re-print is the text that was sent.
 */
const EXACT_DOUBLE_DIGITS = 15

/** int: integral numbers within int32, decimal integer strings, in-range bigints (in-process callers). */
export function toInt(value: unknown): number | Invalid {
  let n: number
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return new Invalid(`expected int, got ${describe(value)}`)
    n = value
  } else if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
    n = Number(value)
  } else if (typeof value === 'bigint') {
    n = Number(value)
  } else {
    return new Invalid(`expected int, got ${describe(value)}`)
  }
  if (n < INT_MIN || n > INT_MAX) return new Invalid(`int out of range -2^31..2^31-1, got ${describe(value)}`)
  return n | 0 // `| 0` also turns -0 into 0
}

/**
 * long: safe-integer numbers, decimal integer strings, bigints, within int64 → bigint. Integers beyond
 * ±(2^53-1) sent as JSON numbers are refused: JSON.parse has already rounded them, so we cannot know the value.
 */
export function toLong(value: unknown): bigint | Invalid {
  let n: bigint
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return BigInt(value)
    if (Number.isInteger(value)) {
      return new Invalid(`long ${value} is beyond ±(2^53-1) and may have been rounded by JSON parsing; send it as a string`)
    }
    return new Invalid(`expected long, got ${describe(value)}`)
  }
  if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
    // 20 characters hold every int64 ("-9223372036854775808"); longer text is out of range, and never worth a BigInt.
    if (value.length > 20) return new Invalid(`long out of range -2^63..2^63-1, got ${describe(value)}`)
    n = BigInt(value)
  } else if (typeof value === 'bigint') n = value
  else return new Invalid(`expected long, got ${describe(value)}`)
  if (n < LONG_MIN || n > LONG_MAX) return new Invalid(`long out of range -2^63..2^63-1, got ${describe(value)}`)
  return n
}

function floating(value: unknown, type: 'float' | 'double'): number | Invalid {
  if (typeof value === 'number') return value
  if (typeof value === 'string') {
    if (JSON_NUMBER_TEXT.test(value)) return Number(value)
    if (value === 'NaN') return Number.NaN
    if (value === 'Infinity') return Number.POSITIVE_INFINITY
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY
  }
  return new Invalid(`expected ${type}, got ${describe(value)}`)
}

/** double: numbers, JSON-number strings, "NaN", "Infinity", "-Infinity". */
export function toDouble(value: unknown): number | Invalid {
  return floating(value, 'double')
}

/**
 * float: as double, then rounded to float32 (what the file will hold, so bounds computed from the row match).
 * A finite value beyond float32's range is refused rather than turned into Infinity.
 */
export function toFloat(value: unknown): number | Invalid {
  const n = floating(value, 'float')
  if (n instanceof Invalid) return n
  if (Number.isFinite(n) && Math.abs(n) > FLOAT_MAX) return new Invalid(`float out of range ±3.4028235e38, got ${describe(value)}`)
  return Math.fround(n)
}

/** Significant digits in a number's shortest decimal print (`1.50e3` → 2 after normalisation). */
function significantDigits(text: string): number {
  const mantissa = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '')
  return mantissa.replace(/^0+/, '').replace(/0+$/, '').length
}

/**
 * decimal(P,S) → bigint unscaled value. Strings are parsed exactly (`"12.30"`, `"-1.5e2"`); numbers are taken at
 * their shortest decimal print and refused when it has more than 15 significant digits (the double may not be
 * what was sent). Rescaling to S digits is allowed only when nothing non-zero is dropped; precision P is checked.
 */
export function decimalConverter(precision: number, scale: number): (value: unknown) => bigint | Invalid {
  const type = `decimal(${precision},${scale})`
  return (value) => {
    let text: string
    if (typeof value === 'string') {
      text = value
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      text = String(value)
      if (significantDigits(text) > EXACT_DOUBLE_DIGITS) {
        return new Invalid(`${type} got number ${text} with more than ${EXACT_DOUBLE_DIGITS} significant digits, which JSON numbers cannot carry exactly; send it as a string`)
      }
    } else {
      return new Invalid(`expected ${type} (string or number), got ${describe(value)}`)
    }
    const match = DECIMAL_TEXT.exec(text)
    const whole = match?.[2] ?? ''
    const fraction = match?.[3] ?? ''
    if (match === null || whole.length + fraction.length === 0) return new Invalid(`expected ${type}, got ${describe(value)}`)
    // digits × 10^exponent, normalised so `digits` has no leading or trailing zeros.
    let digits = (whole + fraction).replace(/^0+/, '')
    if (digits === '') return 0n
    let exponent = (match[4] === undefined ? 0 : Number(match[4])) - fraction.length
    const trimmed = digits.replace(/0+$/, '')
    exponent += digits.length - trimmed.length
    digits = trimmed
    const shift = exponent + scale
    // With no trailing zeros left, a negative shift means a non-zero digit below the scale: rescaling would lose it.
    if (shift < 0) return new Invalid(`${type} allows ${scale} fraction digits; ${quote(text)} would lose precision`)
    // Checked before building the value, so an exponent like 1e999999999 costs nothing.
    if (digits.length + shift > precision) return new Invalid(`${quote(text)} needs ${digits.length + shift} digits, more than ${type} holds`)
    const unscaled = BigInt(digits + '0'.repeat(shift))
    return match[1] === '-' ? -unscaled : unscaled
  }
}
