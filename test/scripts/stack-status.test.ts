/** `stack status` reports the ports `up` wrote to stack.env, not today's STACK_*_PORT; no services needed (nothing runs, so all are down). */
import { afterAll, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadStackConfig, type StackConfig } from '../../scripts/stack/config.ts'
import { parseStackEnv, runningStackConfig, stackEnvPorts, writeStackEnv } from '../../scripts/stack/env-file.ts'
import { stackStatus } from '../../scripts/stack/status.ts'

const dir = mkdtempSync(join(tmpdir(), 'stack-status-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The defaults, with every path in a temp dir so no real pid file or stack.env is read. */
function tempConfig(name: string, env: Record<string, string> = {}): StackConfig {
  const config = loadStackConfig(env)
  const root = join(dir, name)
  const paths = Object.fromEntries(Object.keys(config.paths).map((key) => [key, join(root, key)])) as StackConfig['paths']
  return { ...config, root, paths: { ...paths, envFile: join(root, 'stack.env') } }
}

async function status(config: StackConfig): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = []
  const ok = await stackStatus(config, (line) => lines.push(line))
  return { ok, lines }
}

test('addresses come from stack.env when it was written with other ports than configured now', async () => {
  const started = tempConfig('moved', { STACK_KAFKA_PORT: '41092', STACK_S3_PORT: '41000', STACK_REST_PORT: '41181' })
  mkdirSync(started.root, { recursive: true })
  writeStackEnv(started, '/venv/bin/python')
  const now = tempConfig('moved') // defaults: 39092, 39000, 39181
  expect(runningStackConfig(now)?.ports).toEqual({ ...now.ports, kafka: 41092, s3: 41000, rest: 41181 })
  const { ok, lines } = await status(now)
  expect(lines.find((l) => l.startsWith('kafka'))).toContain('127.0.0.1:41092')
  expect(lines.find((l) => l.startsWith('s3'))).toContain('http://127.0.0.1:41000')
  expect(lines.find((l) => l.startsWith('rest-catalog'))).toContain('http://127.0.0.1:41181')
  expect(lines.join('\n')).not.toMatch(/:39092|:39000|:39181/)
  expect(ok).toBe(false) // nothing runs
})

test('without stack.env the stack is not up: exit status false and says so', async () => {
  const config = tempConfig('never-up')
  expect(runningStackConfig(config)).toBeUndefined()
  const { ok, lines } = await status(config)
  expect(ok).toBe(false)
  expect(lines.at(-1)).toMatch(/^stack\.env +missing: the stack is not up \(run `bun run stack up`\)$/)
})

test('a stack.env without a port, or with a malformed one, names the file, key and value', () => {
  const file = '/repo/.stack/stack.env'
  const good = 'KAFKA_BOOTSTRAP=127.0.0.1:39092\nS3_ENDPOINT=http://127.0.0.1:39000\nICEBERG_REST_URI=http://127.0.0.1:39181\n'
  expect(stackEnvPorts(parseStackEnv(`# comment\n${good}`), file)).toEqual({ kafka: 39092, s3: 39000, rest: 39181 })
  expect(() => stackEnvPorts(parseStackEnv(good.replace(/^S3_ENDPOINT=.*\n/m, '')), file)).toThrow(`${file} has no S3_ENDPOINT`)
  expect(() => stackEnvPorts(parseStackEnv(good.replace('http://127.0.0.1:39181', 'http://127.0.0.1')), file)).toThrow(
    `${file}: ICEBERG_REST_URI=http://127.0.0.1 is not an address with a port like http://127.0.0.1:39181`,
  )
  const config = tempConfig('broken')
  mkdirSync(config.root, { recursive: true })
  writeFileSync(config.paths.envFile, 'KAFKA_BOOTSTRAP=localhost\n')
  expect(() => runningStackConfig(config)).toThrow(/KAFKA_BOOTSTRAP=localhost is not an address with a port/)
})
