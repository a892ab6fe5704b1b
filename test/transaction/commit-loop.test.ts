/** The shared commit loop over a scripted catalog port: each outcome, the budget, and what `landed` decides. */
import { describe, expect, test } from 'bun:test'
import type { Catalog, LoadedTable } from '../../src/catalog/catalog.ts'
import { CommitConflictError, CommitStateUnknownError, ValidationError } from '../../src/errors.ts'
import type { TableMetadata } from '../../src/iceberg/types.ts'
import { commitLoop } from '../../src/transaction/commit-loop.ts'

const identifier = { namespace: ['ns'], name: 't' }
const metadataAt = (version: number) => ({ 'table-uuid': 'u', properties: { 'commit.retry.num-retries': '3' }, version }) as unknown as TableMetadata

/** Answers commits from `script` in order; every load returns the next metadata version. */
function scriptedCatalog(script: ('ok' | 'conflict' | 'unknown')[]) {
  let version = 0
  const calls: string[] = []
  const catalog = {
    async commitTable() {
      const next = script.shift() ?? 'ok'
      calls.push(`commit:${next}`)
      if (next === 'conflict') throw new CommitConflictError('409 from the catalog')
      if (next === 'unknown') throw new CommitStateUnknownError('503 from the catalog')
      return { identifier, metadata: metadataAt(++version), metadataLocation: '' } as LoadedTable
    },
    async loadTable() {
      calls.push('load')
      return { identifier, metadata: metadataAt(++version), metadataLocation: '' } as LoadedTable
    },
  } as unknown as Catalog
  return { catalog, calls }
}

const start: LoadedTable = { identifier, metadata: metadataAt(0), metadataLocation: '' } as LoadedTable
const context = (catalog: Catalog, lines: string[] = []) => ({ catalog, sleep: async () => {}, log: (line: string) => lines.push(line) })
const send = { requirements: [], updates: [] }
const versionOf = (metadata: TableMetadata) => (metadata as unknown as { version: number }).version

describe('commitLoop', () => {
  test('conflicts rebuild on reloaded metadata until a commit goes through', async () => {
    const { catalog, calls } = scriptedCatalog(['conflict', 'conflict', 'ok'])
    const builtOn: number[] = []
    const lines: string[] = []
    const result = await commitLoop(context(catalog, lines), start, {
      label: 'test ns.t',
      build: async (metadata) => (builtOn.push(versionOf(metadata)), send),
      landed: () => undefined,
      committed: (metadata) => versionOf(metadata),
    })
    expect(builtOn).toEqual([0, 1, 2])
    expect(calls).toEqual(['commit:conflict', 'load', 'commit:conflict', 'load', 'commit:ok'])
    expect(result).toMatchObject({ value: 3, attempts: 3, uncertain: false })
    expect(lines[0]).toBe('test ns.t attempt 1: conflict (409 from the catalog)')
  })

  test('an unknown outcome reloads and asks landed first; a landed change ends the loop without another commit', async () => {
    const { catalog, calls } = scriptedCatalog(['unknown'])
    let unknowns = 0
    const result = await commitLoop(context(catalog), start, {
      label: 'test',
      build: async () => send,
      landed: (metadata, after) => (after === 'unknown' ? `landed at ${versionOf(metadata)}` : undefined),
      committed: () => 'committed',
      onUnknownOutcome: () => unknowns++,
    })
    expect(result).toMatchObject({ value: 'landed at 1', attempts: 1, uncertain: true })
    expect(calls).toEqual(['commit:unknown', 'load'])
    expect(unknowns).toBe(1)
  })

  test('a settled build ends the loop without a commit; other errors end it as they are', async () => {
    const { catalog, calls } = scriptedCatalog([])
    expect((await commitLoop(context(catalog), start, { label: 't', build: async () => ({ settled: 'nothing to do' }), landed: () => undefined, committed: () => '' })).value).toBe('nothing to do')
    const failing = commitLoop(context(catalog), start, { label: 't', build: async () => Promise.reject(new ValidationError('bad schema')), landed: () => undefined, committed: () => '' })
    await expect(failing).rejects.toBeInstanceOf(ValidationError)
    expect(calls).toEqual([])
  })

  test('past the budget (commit.retry.num-retries, or minRetries when larger) the last error is thrown', async () => {
    const conflicts = () => scriptedCatalog(Array(20).fill('conflict'))
    const request = { label: 't', build: async () => send, landed: () => undefined, committed: () => 0 }
    const three = conflicts()
    await expect(commitLoop(context(three.catalog), start, request)).rejects.toBeInstanceOf(CommitConflictError)
    expect(three.calls.filter((c) => c.startsWith('commit')).length).toBe(4) // 1 + 3 retries
    const eight = conflicts()
    await expect(commitLoop(context(eight.catalog), start, { ...request, minRetries: 8 })).rejects.toBeInstanceOf(CommitConflictError)
    expect(eight.calls.filter((c) => c.startsWith('commit')).length).toBe(9)
  })
})
