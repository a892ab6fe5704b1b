import { describe, expect, test } from 'bun:test'
import { decimalToString, floatingToString, humanString } from '../../src/iceberg/human-string.ts'

describe('humanString (Java Transform.toHumanString)', () => {
  test('temporal transform results', () => {
    expect(humanString('year', 'timestamp', 47)).toBe('2017')
    expect(humanString('year', 'date', -1)).toBe('1969')
    expect(humanString('month', 'date', 47 * 12 + 10)).toBe('2017-11')
    expect(humanString('month', 'date', -1)).toBe('1969-12')
    expect(humanString('month', 'date', -13)).toBe('1968-12')
    expect(humanString('day', 'timestamptz', 17486)).toBe('2017-11-16')
    expect(humanString('day', 'date', -1)).toBe('1969-12-31')
    expect(humanString('hour', 'timestamp', 17486 * 24 + 22)).toBe('2017-11-16-22')
    expect(humanString('hour', 'timestamp', -1)).toBe('1969-12-31-23')
  })

  test('identity values by source type', () => {
    expect(humanString('identity', 'timestamp', 1510871468000000n)).toBe('2017-11-16T22:31:08')
    expect(humanString('identity', 'timestamp', 1510871468000001n)).toBe('2017-11-16T22:31:08.000001')
    expect(humanString('identity', 'timestamp', 1510871468120000n)).toBe('2017-11-16T22:31:08.12')
    expect(humanString('identity', 'timestamptz', 1510871468000000n)).toBe('2017-11-16T22:31:08+00:00')
    expect(humanString('identity', 'timestamp', -1n)).toBe('1969-12-31T23:59:59.999999')
    expect(humanString('identity', 'time', 81068000000n)).toBe('22:31:08')
    expect(humanString('identity', 'time', 81060000000n)).toBe('22:31')
    expect(humanString('identity', 'time', 81068500000n)).toBe('22:31:08.500')
    expect(humanString('identity', 'time', 81068000001n)).toBe('22:31:08.000001')
    expect(humanString('identity', 'date', 17486)).toBe('2017-11-16')
    expect(humanString('identity', 'binary', new Uint8Array([0, 1, 2, 3]))).toBe('AAECAw==')
    expect(humanString('identity', 'fixed[2]', new Uint8Array([255, 254]))).toBe('//4=')
    expect(humanString('identity', 'long', -5n)).toBe('-5')
    expect(humanString('identity', 'boolean', true)).toBe('true')
    expect(humanString('truncate[50]', 'decimal(9,2)', 1050n)).toBe('10.50')
    expect(humanString('bucket[16]', 'string', 3)).toBe('3')
    expect(humanString('identity', 'string', null)).toBe('null')
  })

  test('decimals print as BigDecimal.toString', () => {
    expect(decimalToString(1420n, 2)).toBe('14.20')
    expect(decimalToString(-5n, 2)).toBe('-0.05')
    expect(decimalToString(7n, 0)).toBe('7')
    expect(decimalToString(15n, 8)).toBe('1.5E-7')
    expect(decimalToString(1n, 6)).toBe('0.000001')
  })

  test('floating point prints as Double.toString / Float.toString', () => {
    expect(floatingToString(1, false)).toBe('1.0')
    expect(floatingToString(0.1, false)).toBe('0.1')
    expect(floatingToString(1e7, false)).toBe('1.0E7')
    expect(floatingToString(1.5e-4, false)).toBe('1.5E-4')
    expect(floatingToString(Math.fround(0.1), true)).toBe('0.1')
    expect(floatingToString(Number.NaN, false)).toBe('NaN')
    expect(floatingToString(-0, false)).toBe('-0.0')
  })
})
