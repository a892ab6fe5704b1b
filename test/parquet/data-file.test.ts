import { describe, expect, test } from 'bun:test'
import type { FileMetaData } from 'hyparquet'
import { IngestError, ValidationError } from '../../src/errors.ts'
import { decodeSingleValue } from '../../src/iceberg/single-value.ts'
import type { IcebergValue, PrimitiveType, Row, Schema } from '../../src/iceberg/types.ts'
import { DEFAULT_CREATED_BY, writeDataFile } from '../../src/parquet/data-file.ts'
import { zstdCompress } from '../../src/adapter/bun/zstd.ts'
import { allTypesRows, allTypesSchema, repeatedLeaves, trackedLeaves, uuidHigh, uuidLow } from './all-types.ts'
import { metadataOf, readRows, signedBigEndian } from './read-back.ts'

const uuidBytes = (u: string): Uint8Array => new Uint8Array(Buffer.from(u.replaceAll('-', ''), 'hex'))

/** What each canonical row should read back as (see readRows for the stored forms). */
function stored(row: Row): Record<string, unknown> {
  const v = (k: string): unknown => row[k] ?? null
  const st = row.st as Row | null | undefined
  const inner = st?.inner as Row | null | undefined
  return {
    b: v('b'), i: v('i'), l: v('l'), f: row.f == null ? null : Math.fround(row.f as number), d: v('d'),
    dec9: row.dec9 == null ? null : Number(row.dec9), dec18: v('dec18'), dec38: v('dec38'),
    dt: v('dt'), tm: v('tm'), ts: v('ts'), tstz: v('tstz'), s: v('s'),
    u: row.u == null ? null : uuidBytes(row.u as string), fx: v('fx'), bin: v('bin'),
    st: st == null ? null : { x: st.x, y: st.y ?? null, inner: inner == null ? null : { z: inner.z ?? null } },
    tags: v('tags'),
    attrs: row.attrs == null ? null : Object.fromEntries(row.attrs as Map<string, unknown>),
    points: v('points'),
  }
}

/** Field id of every leaf column path in the file's own schema (preorder walk of the footer). */
function idsByPath(md: FileMetaData): Map<string, number | undefined> {
  const out = new Map<string, number | undefined>()
  let index = 1
  const walk = (prefix: string[]): void => {
    const element = md.schema[index++]!
    const path = [...prefix, element.name]
    if (element.num_children) for (let c = 0; c < element.num_children; c++) walk(path)
    else out.set(path.join('.'), element.field_id)
  }
  for (let c = 0; c < md.schema[0]!.num_children!; c++) walk([])
  return out
}

function at(row: Row, path: string[]): IcebergValue {
  let value: unknown = row
  for (const name of path) value = value == null ? null : (value as Row)[name]
  return (value ?? null) as IcebergValue
}

// An ordering written independently of src/: UTF-8 bytes via Buffer.compare, -0 before +0.
function naiveCompare(a: IcebergValue, b: IcebergValue): number {
  if (typeof a === 'string') return Buffer.compare(Buffer.from(a as string), Buffer.from(b as string))
  if (a instanceof Uint8Array) return Buffer.compare(Buffer.from(a), Buffer.from(b as Uint8Array))
  if (a === b) return Object.is(a, b) ? 0 : Object.is(a, -0) ? -1 : 1
  return (a as number) < (b as number) ? -1 : 1
}

describe('writeDataFile: every type round-trips through hyparquet', () => {
  const rows = allTypesRows()
  const { bytes, metrics } = writeDataFile({ schema: allTypesSchema, rows })

  test('values read back exactly', async () => {
    const read = await readRows(bytes)
    for (const row of read) {
      // FIXED decimal(38): 16 bytes (the minimum for 38 digits), two's complement
      if (row.dec38 !== null) {
        expect((row.dec38 as Uint8Array).length).toBe(16)
        row.dec38 = signedBigEndian(row.dec38 as Uint8Array)
      }
    }
    expect(read).toEqual(rows.map(stored))
    expect(Object.is(read[0]!.d, -0)).toBe(true)
  })

  test('schema carries field ids, repetition and the spec logical types', () => {
    const md = metadataOf(bytes)
    const shape: unknown[][] = md.schema.map((e) => [e.name, e.field_id ?? null, e.type ?? null, e.repetition_type ?? null, e.type_length ?? null, e.converted_type ?? null, e.logical_type ?? null])
    const ts = (utc: boolean) => ({ type: 'TIMESTAMP', isAdjustedToUTC: utc, unit: 'MICROS' })
    const dec = (precision: number, scale: number) => ({ type: 'DECIMAL', precision, scale })
    expect(shape).toEqual([
      ['table', null, null, null, null, null, null],
      ['b', 1, 'BOOLEAN', 'OPTIONAL', null, null, null],
      ['i', 2, 'INT32', 'REQUIRED', null, null, null],
      ['l', 3, 'INT64', 'OPTIONAL', null, null, null],
      ['f', 4, 'FLOAT', 'OPTIONAL', null, null, null],
      ['d', 5, 'DOUBLE', 'OPTIONAL', null, null, null],
      ['dec9', 6, 'INT32', 'OPTIONAL', null, 'DECIMAL', dec(9, 2)],
      ['dec18', 7, 'INT64', 'OPTIONAL', null, 'DECIMAL', dec(18, 4)],
      ['dec38', 8, 'FIXED_LEN_BYTE_ARRAY', 'OPTIONAL', 16, 'DECIMAL', dec(38, 10)],
      ['dt', 9, 'INT32', 'OPTIONAL', null, 'DATE', { type: 'DATE' }],
      ['tm', 10, 'INT64', 'OPTIONAL', null, null, { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' }],
      ['ts', 11, 'INT64', 'OPTIONAL', null, null, ts(false)],
      ['tstz', 12, 'INT64', 'OPTIONAL', null, 'TIMESTAMP_MICROS', ts(true)],
      ['s', 13, 'BYTE_ARRAY', 'OPTIONAL', null, 'UTF8', { type: 'STRING' }],
      ['u', 14, 'FIXED_LEN_BYTE_ARRAY', 'OPTIONAL', 16, null, { type: 'UUID' }],
      ['fx', 15, 'FIXED_LEN_BYTE_ARRAY', 'OPTIONAL', 4, null, null],
      ['bin', 16, 'BYTE_ARRAY', 'OPTIONAL', null, null, null],
      ['st', 17, null, 'OPTIONAL', null, null, null],
      ['x', 18, 'INT32', 'REQUIRED', null, null, null],
      ['y', 19, 'BYTE_ARRAY', 'OPTIONAL', null, 'UTF8', { type: 'STRING' }],
      ['inner', 20, null, 'OPTIONAL', null, null, null],
      ['z', 21, 'DOUBLE', 'OPTIONAL', null, null, null],
      ['tags', 22, null, 'OPTIONAL', null, 'LIST', { type: 'LIST' }],
      ['list', null, null, 'REPEATED', null, null, null],
      ['element', 23, 'INT64', 'OPTIONAL', null, null, null],
      ['attrs', 24, null, 'OPTIONAL', null, 'MAP', { type: 'MAP' }],
      ['key_value', null, null, 'REPEATED', null, null, null],
      ['key', 25, 'BYTE_ARRAY', 'REQUIRED', null, 'UTF8', { type: 'STRING' }],
      ['value', 26, 'DOUBLE', 'OPTIONAL', null, null, null],
      ['points', 27, null, 'REQUIRED', null, 'LIST', { type: 'LIST' }],
      ['list', null, null, 'REPEATED', null, null, null],
      ['element', 28, null, 'REQUIRED', null, null, null],
      ['a', 29, 'INT32', 'REQUIRED', null, null, null],
    ])
    expect(md.created_by).toBe(DEFAULT_CREATED_BY)
    // Java's VersionParser: "<application> version <semver> (build <hash>)"
    expect(md.created_by).toMatch(/^(.*?)\s+version\s*(?:([^(]*?)\s*(?:\(\s*build\s*([^)]*?)\s*\))?)?$/)
    expect(md.key_value_metadata).toEqual([{ key: 'iceberg.schema', value: JSON.stringify(allTypesSchema) }])
  })

  test('counts: per struct-path leaf, none for list/map leaves, and equal to the footer statistics', () => {
    expect(metrics['record-count']).toBe(rows.length)
    expect(metrics['file-size-in-bytes']).toBe(bytes.length)
    const ids = Object.keys(trackedLeaves).map(Number)
    expect([...metrics['value-counts']!.keys()]).toEqual(ids)
    expect([...metrics['null-value-counts']!.keys()]).toEqual(ids)
    for (const id of ids) {
      const values = rows.map((row) => at(row, trackedLeaves[id]!))
      expect(metrics['value-counts']!.get(id)).toBe(rows.length)
      expect(metrics['null-value-counts']!.get(id)).toBe(values.filter((v) => v === null).length)
    }
    expect(metrics['nan-value-counts']).toEqual(new Map([[4, 1], [5, 1], [21, 0]]))

    const md = metadataOf(bytes)
    const idOf = idsByPath(md)
    for (const chunk of md.row_groups.flatMap((g) => g.columns)) {
      const id = idOf.get(chunk.meta_data!.path_in_schema.join('.'))!
      if (!metrics['value-counts']!.has(id)) continue
      expect(Number(chunk.meta_data!.num_values)).toBe(metrics['value-counts']!.get(id)!)
      expect(Number(chunk.meta_data!.statistics!.null_count)).toBe(metrics['null-value-counts']!.get(id)!)
    }
  })

  test('bounds decode to the true min and max; strings truncated to 16 code points', () => {
    const lower = metrics['lower-bounds']!
    const upper = metrics['upper-bounds']!
    const typeOf = new Map<number, PrimitiveType>([[18, 'int'], [19, 'string'], [21, 'double']])
    for (const f of allTypesSchema.fields) if (typeof f.type === 'string') typeOf.set(f.id, f.type)
    for (const [id, path] of Object.entries(trackedLeaves).map(([k, p]) => [Number(k), p] as const)) {
      const values = rows.map((r) => at(r, path)).filter((v) => v !== null && !(typeof v === 'number' && Number.isNaN(v)))
      const sorted = [...values].sort(naiveCompare)
      const type = typeOf.get(id)!
      if (id === 13) continue // truncated: below
      let [min, max] = [sorted[0]!, sorted.at(-1)!]
      if (type === 'uuid') [min, max] = [uuidLow, uuidHigh]
      if (type === 'float') [min, max] = [Math.fround(min as number), Math.fround(max as number)]
      expect({ id, lower: decodeSingleValue(type, lower.get(id)!) }).toEqual({ id, lower: min })
      expect({ id, upper: decodeSingleValue(type, upper.get(id)!) }).toEqual({ id, upper: max })
    }
    expect(Object.is(decodeSingleValue('double', lower.get(5)!), -0)).toBe(true) // -0 precedes +0
    expect(Object.is(decodeSingleValue('double', upper.get(5)!), 0)).toBe(true)
    expect(decodeSingleValue('string', lower.get(13)!)).toBe('abcdefghijklmnop')
    expect(decodeSingleValue('string', upper.get(13)!)).toBe(`${'😀'.repeat(15)}😁`)
    for (const id of repeatedLeaves) {
      expect(lower.has(id) || upper.has(id)).toBe(false)
    }
  })

  test('column sizes for every leaf equal the written chunk sizes; split offsets are row group starts', () => {
    const split = writeDataFile({ schema: allTypesSchema, rows, rowGroupRows: 2 })
    const md = metadataOf(split.bytes)
    expect(md.row_groups.length).toBe(2)
    const idOf = idsByPath(md)
    const sizes = new Map<number, number>()
    for (const chunk of md.row_groups.flatMap((g) => g.columns)) {
      const id = idOf.get(chunk.meta_data!.path_in_schema.join('.'))!
      sizes.set(id, (sizes.get(id) ?? 0) + Number(chunk.meta_data!.total_compressed_size))
    }
    expect(sizes.size).toBe(Object.keys(trackedLeaves).length + repeatedLeaves.length)
    expect(split.metrics['column-sizes']).toEqual(sizes)
    const starts = md.row_groups.map((g) => g.columns[0]!.meta_data!.dictionary_page_offset ?? g.columns[0]!.meta_data!.data_page_offset)
    expect(split.metrics['split-offsets']).toEqual(starts)
    expect(split.metrics['split-offsets']![0]).toBe(4n) // right after the PAR1 magic
  })
})

describe('writeDataFile: options and inputs', () => {
  const schema: Schema = {
    type: 'struct', 'schema-id': 0,
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'name', required: false, type: 'string' },
      { id: 3, name: 'u', required: false, type: 'uuid' },
    ],
  }
  const rows: Row[] = Array.from({ length: 1000 }, (_, i) => ({ id: BigInt(i), name: `name-${i % 37}`, u: i % 5 ? null : uuidLow }))

  test('columns input writes the same bytes as rows input and leaves the caller arrays alone', () => {
    const columns = { id: rows.map((r) => r.id!), name: rows.map((r) => r.name!), u: rows.map((r) => r.u!) }
    const fromColumns = writeDataFile({ schema, columns })
    const fromRows = writeDataFile({ schema, rows })
    expect(Buffer.from(fromColumns.bytes).equals(Buffer.from(fromRows.bytes))).toBe(true)
    expect(fromColumns.metrics).toEqual(fromRows.metrics)
    expect(columns.u[0]).toBe(uuidLow)
  })

  test('a missing column is written as nulls; rowCount is needed only without columns', async () => {
    const { metrics, bytes } = writeDataFile({ schema, columns: { id: [1n, 2n] } })
    expect(metrics['null-value-counts']).toEqual(new Map([[1, 0], [2, 2], [3, 2]]))
    expect(await readRows(bytes)).toEqual([{ id: 1n, name: null, u: null }, { id: 2n, name: null, u: null }])
    const optional: Schema = { ...schema, fields: schema.fields.slice(1) }
    expect(writeDataFile({ schema: optional, columns: {}, rowCount: 3 }).metrics['record-count']).toBe(3)
    expect(() => writeDataFile({ schema: optional, columns: {} })).toThrow(ValidationError)
  })

  test('zstd needs an injected compressor and then reads back', async () => {
    expect(() => writeDataFile({ schema, rows, compression: 'zstd' })).toThrow(/compressors\.zstd/)
    const { bytes } = writeDataFile({ schema, rows, compression: 'zstd', compressors: { zstd: zstdCompress } })
    const md = metadataOf(bytes)
    expect(new Set(md.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data!.codec)))).toEqual(new Set(['ZSTD']))
    const read = await readRows(bytes, { ZSTD: (input: Uint8Array) => Bun.zstdDecompressSync(input) })
    expect(read.map((r) => r.id)).toEqual(rows.map((r) => r.id))
    const plain = writeDataFile({ schema, rows, compression: 'uncompressed' })
    expect(metadataOf(plain.bytes).row_groups[0]!.columns[0]!.meta_data!.codec).toBe('UNCOMPRESSED')
  })

  test('row groups are sized from the byte target', () => {
    const big = writeDataFile({ schema, rows })
    expect(metadataOf(big.bytes).row_groups.length).toBe(1)
    // ~8 (long) + 4 + 7 (string) + 16/5 (uuid) ≈ 22 bytes a row: 2 KiB holds ~93 rows
    const small = writeDataFile({ schema, rows, targetRowGroupBytes: 2048 })
    const groups = metadataOf(small.bytes).row_groups
    expect(groups.length).toBeGreaterThan(8)
    expect(groups.length).toBeLessThan(14)
    expect(small.metrics['split-offsets']!.length).toBe(groups.length)
  })

  test('a split offset is the first chunk start, its dictionary page when it has one', () => {
    const byName: Schema = { ...schema, fields: [schema.fields[1]!, schema.fields[0]!] }
    const { bytes, metrics } = writeDataFile({ schema: byName, rows, rowGroupRows: 400 })
    const firsts = metadataOf(bytes).row_groups.map((g) => g.columns[0]!.meta_data!)
    expect(firsts.length).toBe(3)
    expect(firsts.every((m) => m.dictionary_page_offset !== undefined && m.dictionary_page_offset < m.data_page_offset)).toBe(true)
    expect(metrics['split-offsets']).toEqual(firsts.map((m) => m.dictionary_page_offset!))
  })

  test('an empty file is valid and has zero counts', async () => {
    const { bytes, metrics } = writeDataFile({ schema, rows: [] })
    expect(await readRows(bytes)).toEqual([])
    expect(metrics['record-count']).toBe(0)
    expect(metrics['value-counts']).toEqual(new Map([[1, 0], [2, 0], [3, 0]]))
    expect(metrics['lower-bounds']!.size).toBe(0)
  })
})

describe('writeDataFile: metrics edge cases', () => {
  const one = (type: PrimitiveType, values: IcebergValue[]) =>
    writeDataFile({ schema: { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'c', required: false, type }] }, columns: { c: values } }).metrics

  test('uuid bounds are dropped when signed (Java) and unsigned byte order disagree', () => {
    const m = one('uuid', ['00000000-0000-4000-8000-000000000000', 'ffffffff-0000-4000-8000-000000000000'])
    expect(m['lower-bounds']!.has(1)).toBe(false)
    expect(m['upper-bounds']!.has(1)).toBe(false)
  })

  test('all-NaN floats have a NaN count and no bounds', () => {
    const m = one('float', [Number.NaN, Number.NaN, null])
    expect(m['nan-value-counts']).toEqual(new Map([[1, 2]]))
    expect(m['null-value-counts']).toEqual(new Map([[1, 1]]))
    expect(m['lower-bounds']!.size + m['upper-bounds']!.size).toBe(0)
  })

  test('binary upper bound that cannot be truncated is left out; the lower bound is a prefix', () => {
    const m = one('binary', [new Uint8Array(20).fill(0xff), new Uint8Array(18).fill(0xfe)])
    expect(m['lower-bounds']!.get(1)).toEqual(new Uint8Array(16).fill(0xfe))
    expect(m['upper-bounds']!.has(1)).toBe(false)
  })
})

describe('writeDataFile: validation', () => {
  const schema: Schema = {
    type: 'struct', 'schema-id': 0,
    fields: [
      { id: 1, name: 'n', required: true, type: 'int' },
      { id: 2, name: 'st', required: false, type: { type: 'struct', fields: [{ id: 3, name: 'k', required: true, type: 'long' }] } },
      { id: 4, name: 'm', required: false, type: { type: 'map', 'key-id': 5, key: 'string', 'value-id': 6, value: 'decimal(3,1)', 'value-required': true } },
    ],
  }
  const expectInvalid = (rows: Row[], message: RegExp): void => {
    let error: unknown
    try {
      writeDataFile({ schema, rows })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).code).toBe('VALIDATION')
    expect((error as Error).message).toMatch(message)
  }

  test('wrong forms and nulls name the row and field', () => {
    expectInvalid([{ n: 1 }, { n: '2' }], /row 1: field n \(id 1\) expects 32-bit integer/)
    expectInvalid([{ n: 2 ** 31 }], /field n/)
    expectInvalid([{ n: null }], /row 0: field n \(id 1\) is required but null/)
    expectInvalid([{ n: 1, st: {} }], /field st\.k \(id 3\) is required/)
    expectInvalid([{ n: 1, st: { k: 1 } }], /st\.k \(id 3\) expects 64-bit bigint, got number 1/)
    expectInvalid([{ n: 1, m: new Map([['a', 1000n]]) }], /m\.value \(id 6\) expects bigint unscaled value of at most 3 digits/)
    expectInvalid([{ n: 1, m: new Map([['a', null]]) }], /m\.value \(id 6\) is required/)
    expectInvalid([{ n: 1, m: { a: 1n } as unknown as Row }], /m \(id 4\) expects Map/)
  })

  test('out-of-range longs and bad uuids are rejected before encoding', () => {
    const long: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'x', required: false, type: 'long' }, { id: 2, name: 'u', required: false, type: 'uuid' }] }
    expect(() => writeDataFile({ schema: long, rows: [{ x: 1n }, { x: 2n ** 63n }] })).toThrow(/row 1: field x \(id 1\) expects 64-bit bigint/)
    expect(() => writeDataFile({ schema: long, rows: [{ u: 'not-a-uuid' }] })).toThrow(/field u \(id 2\) expects uuid string/)
  })

  test('bad inputs and options', () => {
    expect(() => writeDataFile({ schema, rows: [], columns: {} })).toThrow(ValidationError)
    expect(() => writeDataFile({ schema, columns: { nope: [] } })).toThrow(/nope/)
    expect(() => writeDataFile({ schema, columns: { n: [1, 2], st: [null] } })).toThrow(/st has 1 values, expected 2/)
    expect(() => writeDataFile({ schema, rows: [{ n: 1 }], rowGroupRows: 0 })).toThrow(/rowGroupRows/)
    expect(() => writeDataFile({ schema, rows: [{ n: 1 }], compression: 'gzip' as never })).toThrow(/unknown compression/)
    const empty: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'e', required: false, type: { type: 'struct', fields: [] } }] }
    expect(() => writeDataFile({ schema: empty, rows: [] })).toThrow(/empty group/)
    expect(new ValidationError('x')).toBeInstanceOf(IngestError)
  })
})
