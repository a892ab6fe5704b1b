import { describe, expect, test } from 'bun:test'
import { arrayElementSpans, bodyFormat, parseBody } from '../../../src/sources/http/body.ts'

const elements = (text: string): string[] => arrayElementSpans(text).map(([start, end]) => text.slice(start, end))

describe('arrayElementSpans', () => {
  test('finds each top-level element exactly as written', () => {
    expect(elements('[1,2 , 3]')).toEqual(['1', '2', '3'])
    expect(elements(' [ {"a": [1, {"b": "]"}]} ,\n "x,y" ,null,[ ] ] ')).toEqual(['{"a": [1, {"b": "]"}]}', '"x,y"', 'null', '[ ]'])
    expect(elements('["a\\"],", "\\\\", 1e5]')).toEqual(['"a\\"],"', '"\\\\"', '1e5'])
    expect(elements('[]')).toEqual([])
    expect(elements('[ \t\r\n ]')).toEqual([])
  })
})

describe('parseBody', () => {
  test('array raw text agrees with the parsed elements', () => {
    const body = parseBody('[{"a":1}, {"b" : "x"}]', 'json')
    expect(body.entries.map((entry) => entry.value)).toEqual([{ a: 1 }, { b: 'x' }])
    expect(body.rawText(1)).toBe('{"b" : "x"}')
  })
  test('a single object is record 0 whose raw text is the trimmed body', () => {
    const body = parseBody(' {"a": 1}\n', 'json')
    expect(body.entries).toEqual([{ index: 0, value: { a: 1 } }])
    expect(body.rawText(0)).toBe('{"a": 1}')
  })
})

describe('arrayText: every record as one JSON array, from the body as sent', () => {
  const cases: [string, string, 'json' | 'ndjson'][] = [
    ['an array', ' [{"a":1}, {"b" : 1e400}]\n', 'json'],
    ['one object', '\n{"a": 1}\n', 'json'],
    ['NDJSON with blank and CRLF lines', '{"a":1}\r\n\n{"b":"x,y"}\n{"c":[1,2]}', 'ndjson'],
  ]
  for (const [name, text, format] of cases) {
    test(`${name}: parses back to the entries' values`, () => {
      const body = parseBody(text, format)
      expect(JSON.parse(body.arrayText())).toEqual(body.entries.map((entry) => entry.value))
    })
  }
  test('keeps the text as sent: an array body is its own trimmed text', () => {
    expect(parseBody(' [{"n": 12345678901234567890}]\n', 'json').arrayText()).toBe('[{"n": 12345678901234567890}]')
  })
})

describe('bodyFormat', () => {
  test('media types, case and parameters', () => {
    expect(bodyFormat('application/json')).toBe('json')
    expect(bodyFormat('Application/JSON; charset="UTF-8"')).toBe('json')
    expect(bodyFormat('application/x-ndjson')).toBe('ndjson')
    expect(bodyFormat('application/jsonl')).toBe('ndjson')
    expect(bodyFormat('application/json; charset=utf-16')).toBeUndefined()
    expect(bodyFormat('text/json')).toBeUndefined()
    expect(bodyFormat(undefined)).toBeUndefined()
  })
})
