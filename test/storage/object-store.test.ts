/** The port's rules every store applies: key and prefix shape, ranges inside the object, code-point list order. */
import { describe, expect, test } from 'bun:test'
import { checkKey, checkPrefix, checkRange, compareKeys } from '../../src/storage/object-store.ts'

describe('shared rules', () => {
  test('compareKeys is code-point (UTF-8 byte) order, unlike UTF-16 sort', () => {
    const keys = ['\u{1F600}', '\uFF61', 'b', 'B', 'a/b', 'a-b']
    expect([...keys].sort(compareKeys)).toEqual(['B', 'a-b', 'a/b', 'b', '\uFF61', '\u{1F600}'])
    // Plain sort puts the astral character (a surrogate pair, 0xD83D...) before U+FF61.
    expect([...keys].sort().indexOf('\u{1F600}')).toBeLessThan([...keys].sort().indexOf('\uFF61'))
    expect(compareKeys('a', 'a')).toBe(0)
    expect(compareKeys('a', 'ab')).toBeLessThan(0)
  })

  test('checkKey and checkPrefix', () => {
    for (const good of ['a', 'a/b.c', '.hidden/x', 'a..b', 'sp ace/+=']) expect(() => checkKey(good)).not.toThrow()
    for (const bad of ['', 'a/', '/a', 'a//b', './a', 'a/..', 'a\0']) expect(() => checkKey(bad)).toThrow(/invalid object key/)
    for (const good of ['', 'a', 'a/', 'a/b', 'a/.']) expect(() => checkPrefix(good)).not.toThrow()
    for (const bad of ['/a', '../', 'a//b', '\0']) expect(() => checkPrefix(bad)).toThrow(/invalid list prefix/)
  })

  test('checkRange', () => {
    expect(() => checkRange({ offset: 0, length: 10 }, 10, 'x')).not.toThrow()
    expect(() => checkRange({ offset: 10, length: 0 }, 10, 'x')).not.toThrow()
    expect(() => checkRange({ offset: 1, length: 10 }, 10, 'x')).toThrow('range offset 1 length 10 is outside x (10 bytes)')
    expect(() => checkRange({ offset: 0.5, length: 1 }, undefined, 'x')).toThrow(/outside/)
  })
})
