/** Runs Python fastavro (test/avro/fastavro-bridge.py) as an independent Avro reader/writer for interop tests. */
import { join } from 'node:path'
import { stackEnv } from '../e2e/stack-env.ts'

const BRIDGE = join(import.meta.dir, 'fastavro-bridge.py')

/** `AVRO_INTEROP_PYTHON` (any venv with fastavro) or the test stack's Python. */
export function interopPython(): string {
  return process.env.AVRO_INTEROP_PYTHON ?? stackEnv().python
}

/** JSON as the bridge writes it: integers as `{$int}`, bytes as `{$bytes: hex}`, logical types tagged. */
export type Tagged = null | boolean | number | string | Tagged[] | { [key: string]: Tagged }

export interface FastavroFile {
  metadata: Record<string, string>
  codec: string
  /** fastavro's parsed writer schema (it keeps unknown properties such as `field-id`). */
  writer_schema: Tagged
  records: Tagged[]
}

async function run(mode: 'read' | 'write', input: Uint8Array): Promise<Uint8Array> {
  const proc = Bun.spawn([interopPython(), BRIDGE, mode], { stdin: input, stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).bytes(), new Response(proc.stderr).text(), proc.exited])
  if (code !== 0) throw new Error(`fastavro ${mode} failed (exit ${code}): ${err}`)
  return out
}

export async function fastavroRead(bytes: Uint8Array): Promise<FastavroFile> {
  return JSON.parse(new TextDecoder().decode(await run('read', bytes))) as FastavroFile
}

/** Tag a JS value for the bridge: bigint → {$int}, Uint8Array → {$bytes}, Map → object. */
export function tag(value: unknown): Tagged {
  if (typeof value === 'bigint') return { $int: String(value) }
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('hex') }
  // JSON has no NaN, Infinity or -0.
  if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0))) {
    return { $float: Number.isNaN(value) ? 'nan' : value === 0 ? '-0.0' : value > 0 ? 'inf' : '-inf' }
  }
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), tag(v)]))
  if (Array.isArray(value)) return value.map(tag)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, tag(v)]))
  return value as Tagged
}

export async function fastavroWrite(request: { schema: unknown; records: Tagged[]; codec: 'null' | 'deflate'; metadata?: Record<string, string> }): Promise<Uint8Array> {
  return run('write', new TextEncoder().encode(JSON.stringify(request)))
}

/** Every record field in a (JSON) Avro schema, with its path, to check that each carries a `field-id`. */
export function recordFields(schema: unknown, path = ''): { path: string; field: Record<string, unknown> }[] {
  const out: { path: string; field: Record<string, unknown> }[] = []
  const visit = (node: unknown, at: string): void => {
    if (Array.isArray(node)) return node.forEach((branch) => visit(branch, at))
    if (node === null || typeof node !== 'object') return
    const obj = node as Record<string, unknown>
    if (obj.type === 'record' && Array.isArray(obj.fields)) {
      for (const field of obj.fields as Record<string, unknown>[]) {
        const fieldPath = at ? `${at}.${String(field.name)}` : String(field.name)
        out.push({ path: fieldPath, field })
        visit(field.type, fieldPath)
      }
    } else if (obj.type === 'array') visit(obj.items, at)
    else if (obj.type === 'map') visit(obj.values, at)
    else if (typeof obj.type === 'object') visit(obj.type, at)
  }
  visit(schema, path)
  return out
}

/**
 * One comparable form for our values and fastavro's: integers (number, bigint, `{$int}`) → `i:N`,
 * -0 → `f:-0`, NaN/±Infinity → `f:nan`/`f:inf`/`f:-inf`, bytes → `b:hex`, other tags → `tag:value`,
 * Maps → objects. Integer-valued doubles become `i:N` on both sides alike.
 */
export function normalize(value: unknown): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value
  if (typeof value === 'bigint') return `i:${value}`
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'f:nan'
    if (!Number.isFinite(value)) return value > 0 ? 'f:inf' : 'f:-inf'
    if (Object.is(value, -0)) return 'f:-0'
    return Number.isInteger(value) ? `i:${value}` : value
  }
  if (value instanceof Uint8Array) return `b:${Buffer.from(value).toString('hex')}`
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), normalize(v)]))
  if (Array.isArray(value)) return value.map(normalize)
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
    if (entries.length === 1 && entries[0]![0].startsWith('$')) {
      const [key, inner] = entries[0]!
      if (key === '$int') return `i:${inner as string}`
      if (key === '$bytes') return `b:${inner as string}`
      if (key === '$float') return normalize(Number((inner as string).replace('inf', 'Infinity')))
      return `${key.slice(1)}:${inner as string}`
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, normalize(v)]))
  }
  throw new Error(`cannot normalize ${typeof value}`)
}
