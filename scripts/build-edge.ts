/**
 * `bun run scripts/build-edge.ts [--outdir DIR]` — bundles workers/edge.ts into one minified ES module for workerd /
 * Cloudflare Workers (default workers/edge/dist/edge.js, what workers/edge/config.capnp embeds) and prints its size.
 */
import { builtinModules } from 'node:module'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'

const ROOT = join(import.meta.dir, '..')
/** Only what could be a runtime module goes through the resolver hook (a catch-all hook changes what Bun bundles). */
const RUNTIME_MODULE_FILTER = new RegExp(`^(node:.*|bun(:.*)?|${builtinModules.map((name) => name.replace(/[/.]/g, '\\$&')).join('|')})$`)

export interface EdgeBundle {
  path: string
  bytes: number
  gzipBytes: number
}

/** Builds the edge bundle into `outdir`. Throws when the build fails or the bundle would need a Node or Bun built-in. */
export async function buildEdge(outdir = join(ROOT, 'workers/edge/dist')): Promise<EdgeBundle> {
  const builtins: string[] = []
  const result = await Bun.build({
    entrypoints: [join(ROOT, 'workers/edge.ts')],
    outdir,
    naming: 'edge.js',
    target: 'browser',
    format: 'esm',
    minify: true,
    plugins: [
      {
        name: 'refuse-runtime-modules',
        setup(build) {
          build.onResolve({ filter: RUNTIME_MODULE_FILTER }, (args) => {
            builtins.push(`${relative(ROOT, args.importer)} -> ${args.path}`)
            return { path: args.path, external: true }
          })
        },
      },
    ],
  })
  if (!result.success) throw new Error(`edge build failed:\n${result.logs.map(String).join('\n')}`)
  // Workers have no Node built-ins without the nodejs_compat flag; the edge entry must not need them.
  if (builtins.length > 0) throw new Error(`edge bundle needs runtime modules:\n  ${builtins.join('\n  ')}`)
  const output = result.outputs[0]!
  const bytes = new Uint8Array(await output.arrayBuffer())
  return { path: output.path, bytes: bytes.length, gzipBytes: Bun.gzipSync(bytes).length }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' } } })
  const bundle = await buildEdge(values.outdir)
  console.log(`${relative(process.cwd(), bundle.path)}: ${(bundle.bytes / 1024).toFixed(1)} KiB minified, ${(bundle.gzipBytes / 1024).toFixed(1)} KiB gzipped`)
}
