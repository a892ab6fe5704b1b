/**
 * CONVENTIONS 1 and 14 as a test: the core imports only web APIs and allow-listed packages, so it runs on Bun,
 * Deno and workerd; runtime-specific code stays in the host-only adapters listed here.
 */
import { describe, expect, test } from 'bun:test'
import { Glob } from 'bun'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'

const ROOT = resolve(import.meta.dir, '..')

/**
 * Host-only: the only places that may use a file system, sockets, SQLite or a runtime's globals. Everything else
 * under src/ is edge-safe by default, so a new folder is checked until someone decides otherwise here.
 */
const HOST_ONLY = [
  /^src\/wal\//,
  /^src\/worker\//,
  /^src\/sources\/kafka\//,
  /^src\/catalog\/embedded\//,
  /^src\/storage\/fs\.ts$/,
  // One adapter folder per runtime (as Hono's src/adapter/<runtime>/); src/adapter/workerd/ stays edge-safe.
  /^src\/adapter\/bun\//,
  /^src\/adapter\/deno\//,
]

/** The workerd entry must stay edge-safe too (it and src/adapter/workerd/ are bundled into one module). */
const EDGE_WORKER = /^workers\/edge\.ts$/

/** Runtime dependencies and why each is allowed; a new one needs a line here (and a look at what it pulls in). */
const RUNTIME_DEPENDENCIES: Record<string, string> = {
  '@bufbuild/protobuf': 'decoding Protobuf registry payloads by reflection over descriptors (conformance-tested; no generated code)',
  '@duckdb/node-api': 'SQL query front (host-only: native addon)',
  '@platformatic/kafka': 'Kafka source (host-only: sockets)',
  '@smithy/signature-v4': 'SigV4 signing for S3 and REST catalogs (web crypto via our sha256)',
  'apache-arrow': 'Arrow tables for query results',
  hono: 'the HTTP ingest app',
  hyparquet: 'Parquet types and reading',
  'hyparquet-writer': 'Parquet writing (imported by its runtime-neutral src/index.js)',
  protobufjs: 'parsing .proto text from a schema registry into descriptors (parse only: its encoders and decoders are generated code)',
  valibot: 'config and option schemas',
}

/** Bare specifiers edge-safe code may import (exact, or as a `pkg/...` subpath unless listed as exact only). */
const EDGE_PACKAGES = ['hono', 'valibot', 'hyparquet', '@smithy/signature-v4', 'apache-arrow', '@bufbuild/protobuf', 'protobufjs']
/** `hyparquet-writer`'s package entry imports `fs`; only its runtime-neutral entry is allowed. */
const EDGE_EXACT_SPECIFIERS = ['hyparquet-writer/src/index.js']

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]))
/** Only what could be a runtime module goes through our resolver hook (a catch-all hook changes what Bun bundles). */
const RUNTIME_MODULE_FILTER = new RegExp(`^(node:.*|bun(:.*)?|${builtinModules.map((name) => name.replace(/[/.]/g, '\\$&')).join('|')})$`)

/** Runtime globals and CommonJS that edge runtimes lack (workerd has no `process`, `Bun`, `Deno` or `Buffer`). */
const RUNTIME_GLOBALS: [RegExp, string][] = [
  [/\bBun\./, 'Bun global'],
  [/\bDeno\./, 'Deno global'],
  [/\bprocess\./, 'process global'],
  [/\brequire\(/, 'require()'],
  [/\bBuffer\.|\bnew Buffer\b/, 'Buffer global'],
  [/\b__dirname\b|\b__filename\b/, 'CommonJS path global'],
  [/\bimport\.meta\.(dir|dirname|file|filename|path|main|require)\b/, 'runtime-specific import.meta field'],
]

const transpiler = new Bun.Transpiler({ loader: 'ts' })

interface Violation {
  file: string
  problem: string
}

/** Whether a runtime-specific module: `node:*`, a bare Node builtin (`fs`), `bun`, `bun:*`, or a Deno-style URL import. */
function isRuntimeModule(specifier: string): boolean {
  return NODE_BUILTINS.has(specifier) || specifier.startsWith('node:') || specifier === 'bun' || specifier.startsWith('bun:') || /^(jsr:|npm:|https?:)/.test(specifier)
}

function edgePackageAllowed(specifier: string): boolean {
  if (EDGE_EXACT_SPECIFIERS.includes(specifier)) return true
  return EDGE_PACKAGES.some((name) => specifier === name || specifier.startsWith(`${name}/`))
}

/**
 * What keeps `code` (TypeScript source of `file`) from running on an edge runtime. Types and comments are stripped
 * first (`import type` is fine, and a comment may name `process.env`); relative imports must land in edge-safe files.
 */
function edgeViolations(file: string, code: string, isEdgeSafe: (path: string) => boolean): Violation[] {
  const violations: Violation[] = []
  for (const { path } of transpiler.scanImports(code)) {
    if (path.startsWith('.')) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), path))
      if (!isEdgeSafe(target)) violations.push({ file, problem: `imports host-only ${target}` })
    } else if (isRuntimeModule(path)) {
      violations.push({ file, problem: `imports runtime module "${path}"` })
    } else if (!edgePackageAllowed(path)) {
      violations.push({ file, problem: `imports "${path}", not on the edge package allow-list` })
    }
  }
  const stripped = transpiler.transformSync(code)
  for (const [pattern, what] of RUNTIME_GLOBALS) {
    const match = pattern.exec(stripped)
    if (match) violations.push({ file, problem: `uses ${what} (${match[0]})` })
  }
  return violations
}

const isHostOnly = (path: string) => HOST_ONLY.some((pattern) => pattern.test(path))
const isEdgeSafe = (path: string) => (path.startsWith('src/') && !isHostOnly(path)) || EDGE_WORKER.test(path)

async function sourceFiles(pattern = 'src/**/*.ts'): Promise<string[]> {
  const files: string[] = []
  for await (const path of new Glob(pattern).scan({ cwd: ROOT })) files.push(path)
  return files.sort()
}

describe('edge-safe core', () => {
  test('the checker catches each kind of runtime dependency (so a clean result means something)', () => {
    const samples: [string, string][] = [
      ["import { readFile } from 'node:fs/promises'\nexport const f = readFile", 'runtime module "node:fs/promises"'],
      ["import { join } from 'path'\nexport const j = join", 'runtime module "path"'],
      ["import { Database } from 'bun:sqlite'\nexport const d = Database", 'runtime module "bun:sqlite"'],
      ["import { Glob } from 'bun'\nexport const g = Glob", 'runtime module "bun"'],
      ["export const z = (b: Uint8Array) => Bun.zstdCompressSync(b)", 'Bun global'],
      ['export const e = () => Deno.env.get("X")', 'Deno global'],
      ['export const e = () => process.env.X', 'process global'],
      ["export const f = () => require('fs')", 'require()'],
      ["export const f = async () => import('node:fs')", 'runtime module "node:fs"'],
      ["export const b = Buffer.from('x')", 'Buffer global'],
      ["import { writeFile } from 'hyparquet-writer'\nexport const w = writeFile", 'not on the edge package allow-list'],
      ["import { Wal } from '../wal/wal.ts'\nexport const w = Wal", 'imports host-only src/wal/wal.ts'],
    ]
    for (const [code, problem] of samples) {
      const found = edgeViolations('src/pipeline/sample.ts', code, isEdgeSafe).map((v) => v.problem)
      expect(found.join('; ')).toContain(problem)
    }
    const clean = `import type { Subprocess } from 'bun'\n/** process.env and Bun.file in a comment */\nimport { Hono } from 'hono'\nimport { ParquetWriter } from 'hyparquet-writer/src/index.js'\nimport { parseJson } from '../iceberg/serde/json.ts'\nexport const x: Subprocess | undefined = undefined\nexport const y = [Hono, ParquetWriter, parseJson, crypto.subtle, fetch]`
    expect(edgeViolations('src/pipeline/sample.ts', clean, isEdgeSafe)).toEqual([])
  })

  test('no edge-safe source file imports a runtime module, a host-only file or an unlisted package', async () => {
    const files = [...(await sourceFiles()), ...(await sourceFiles('workers/**/*.ts'))].filter(isEdgeSafe)
    expect(files).toContain('workers/edge.ts')
    // The scan found the core: every edge folder contributed files.
    for (const folder of ['iceberg', 'avro', 'parquet', 'storage/s3', 'auth', 'catalog/rest', 'transaction', 'table', 'records', 'sources/http', 'batcher', 'pipeline', 'config']) {
      expect(files.some((file) => file.startsWith(`src/${folder}/`))).toBe(true)
    }
    const violations: string[] = []
    for (const file of files) {
      const code = await Bun.file(join(ROOT, file)).text()
      for (const v of edgeViolations(file, code, isEdgeSafe)) violations.push(`${v.file}: ${v.problem}`)
    }
    expect(violations).toEqual([])
  })

  test('every host-only rule still matches a file (a stale exemption is a hole)', async () => {
    const files = await sourceFiles()
    for (const pattern of HOST_ONLY) expect(files.some((file) => pattern.test(file))).toBe(true)
  })

  /** Bundles like a browser build would and records every runtime module the bundler is asked for. */
  async function bundle(entry: string): Promise<{ runtimeImports: string[]; bytes: number; logs: string[] }> {
    const runtimeImports: string[] = []
    const result = await Bun.build({
      entrypoints: [join(ROOT, entry)],
      target: 'browser',
      minify: true,
      plugins: [
        {
          name: 'record-runtime-modules',
          setup(build) {
            build.onResolve({ filter: RUNTIME_MODULE_FILTER }, (args) => {
              if (!isRuntimeModule(args.path)) return undefined
              runtimeImports.push(`${relative(ROOT, args.importer)} -> ${args.path}`)
              return { path: args.path, external: true }
            })
          },
        },
      ],
    })
    const logs = result.logs.map(String)
    const bytes = result.outputs.reduce((sum, output) => sum + output.size, 0)
    return { runtimeImports, bytes, logs: result.success ? [] : logs }
  }

  test('src/index.ts bundles for the browser without a Node or Bun built-in', async () => {
    const { runtimeImports, bytes, logs } = await bundle('src/index.ts')
    expect(logs).toEqual([])
    expect(runtimeImports).toEqual([])
    expect(bytes).toBeGreaterThan(50_000) // the bundle holds the core, not an empty shell
  })

  test('the workerd entry bundles without a Node or Bun built-in and under 1 MB minified', async () => {
    const { runtimeImports, bytes, logs } = await bundle('workers/edge.ts')
    expect(logs).toEqual([])
    expect(runtimeImports).toEqual([])
    expect(bytes).toBeLessThan(1024 * 1024)
    console.log(`workers/edge.ts bundle: ${(bytes / 1024).toFixed(1)} KiB minified`)
  })
})

/**
 * The path of a record reads top-down: sources/ → pipeline/ → batcher/ → table/ → transaction/. A source sees the
 * pipeline's intake port only (src/pipeline/intake.ts), never the batchers behind it.
 */
describe('layering', () => {
  /** `file -> target` for every relative import of the files `pattern` matches that `allowed` refuses. */
  async function importsRefused(pattern: string, allowed: (target: string) => boolean): Promise<string[]> {
    const violations: string[] = []
    for (const file of await sourceFiles(pattern)) {
      const code = await Bun.file(join(ROOT, file)).text()
      // scanImports drops type-only imports, so look at the import specifiers in the text itself.
      for (const match of code.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        const target = relative(ROOT, resolve(ROOT, dirname(file), match[1]!))
        if (match[1]!.startsWith('.') && !allowed(target)) violations.push(`${file} imports ${target}`)
      }
    }
    return violations
  }

  test('no file under src/sources/ imports from src/batcher/ (type imports included)', async () => {
    expect(await importsRefused('src/sources/**/*.ts', (target) => !target.startsWith('src/batcher/'))).toEqual([])
  })

  test('src/iceberg/ (the spec as data) imports only itself, src/avro/ and src/errors.ts (type imports included)', async () => {
    const allowed = (target: string) => target.startsWith('src/iceberg/') || target.startsWith('src/avro/') || target === 'src/errors.ts'
    expect(await importsRefused('src/iceberg/**/*.ts', allowed)).toEqual([])
  })
})

test('runtime dependencies are on the allow-list', async () => {
  const pkg = (await Bun.file(join(ROOT, 'package.json')).json()) as { dependencies?: Record<string, string> }
  const unlisted = Object.keys(pkg.dependencies ?? {}).filter((name) => !(name in RUNTIME_DEPENDENCIES))
  expect(unlisted).toEqual([])
  // Exact versions: the lockfile is not the only guard against a surprise upgrade.
  const ranged = Object.entries(pkg.dependencies ?? {}).filter(([, version]) => !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version))
  expect(ranged).toEqual([])
})
