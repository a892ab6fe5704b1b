/** Test fixture: an embedded catalog (SQLite) over a local warehouse in a temp dir, and sensor tables with known rows. */
import { setSystemTime } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createSqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.ts'
import { parsePartitionDsl, parseSchemaDsl } from '../../src/iceberg/schema-dsl.ts'
import type { Row } from '../../src/iceberg/types.ts'
import { createFileIO, type FileIO } from '../../src/storage/file-io.ts'
import { createFsStore } from '../../src/storage/fs.ts'
import { createTable, type Table } from '../../src/table/table.ts'
import type { Catalog } from '../../src/catalog/catalog.ts'

export interface Warehouse {
  dir: string
  io: FileIO
  catalog: Catalog & { close(): void }
  table(name: string, schema: string, partitionBy?: string): Promise<Table>
  cleanup(): void
}

export function localWarehouse(): Warehouse {
  const dir = mkdtempSync(join(tmpdir(), 'query-test-'))
  const root = pathToFileURL(join(dir, 'warehouse')).href
  const io = createFileIO([createFsStore(join(dir, 'warehouse'))])
  const catalog = createSqliteCatalog({ path: join(dir, 'catalog.db'), warehouse: root, io })
  return {
    dir,
    io,
    catalog,
    async table(name, schemaText, partitionBy) {
      const schema = parseSchemaDsl(schemaText)
      const [namespace, table] = name.split('.') as [string, string]
      return createTable({ catalog, io }, { namespace: [namespace], name: table }, {
        schema,
        ...(partitionBy ? { partitionSpec: parsePartitionDsl(partitionBy, schema) } : {}),
        createNamespace: true,
      })
    },
    cleanup() {
      catalog.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export const BASE_MICROS = 1_767_225_600_000_000n // 2026-01-01T00:00:00Z

/** `count` sensor rows from `offset`: sensors s0..s(sensors-1), one reading per second, readings multiples of 0.25. */
export function sensorRows(count: number, sensors: number, offset = 0): Row[] {
  return Array.from({ length: count }, (_, k) => {
    const i = offset + k
    return { sensor_id: `s${i % sensors}`, timestamp: BASE_MICROS + BigInt(i) * 1_000_000n, reading: ((i * 37) % 400) / 4 }
  })
}

/**
 * Appends each batch as its own snapshot, each stamped one second after the one before by the test clock
 * (setSystemTime) rather than by sleeping between them, so time travel between the snapshots is exact.
 */
export async function appendSecondsApart(table: Table, ...batches: Row[][]): Promise<void> {
  let at = Date.now()
  try {
    for (const rows of batches) {
      at += 1_000
      setSystemTime(at)
      await table.append(rows)
    }
  } finally {
    setSystemTime()
  }
}
