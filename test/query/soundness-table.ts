/** A table built to stress pruning: many small files over several types and transforms, with nulls, NaN and -0. */
import type { Row } from '../../src/iceberg/types.ts'
import { seededRandom } from '../../scripts/cli/sensor-data.ts'
import type { Warehouse } from './fixture.ts'

export const SOUNDNESS_SCHEMA = 'seq long not null, id long, name string, ts timestamp, d date, x double, n int, dec decimal(9,2), flag boolean'
export const SOUNDNESS_SPEC = 'bucket(3, id), truncate(1, name), month(ts)'

/** Values each column draws from (nulls included), also used as predicate literals. */
export const POOLS = {
  name: [null, 'a', 'ab', 'b', 'ba', 'bz', 'c', 'é', '😀'],
  x: [null, -1.5, -0, 0, 0.5, 2, 1e9, Number.NaN, Number.POSITIVE_INFINITY],
  n: [null, -5, 0, 1, 7, 100],
  flag: [null, true, false],
} as const

export async function soundnessTable(wh: Warehouse, name: string, seed: number): Promise<Row[]> {
  const table = await wh.table(name, SOUNDNESS_SCHEMA, SOUNDNESS_SPEC)
  const random = seededRandom(seed)
  const pick = <T>(pool: readonly T[]): T => pool[Math.floor(random() * pool.length)]!
  const rows: Row[] = []
  for (let batch = 0; batch < 12; batch++) {
    const part: Row[] = []
    // Each batch has its own narrow id / time window so bounds differ between files.
    for (let i = 0; i < 25; i++) {
      part.push({
        seq: BigInt(rows.length + part.length),
        id: random() < 0.1 ? null : BigInt(batch * 100 + Math.floor(random() * 50)),
        name: pick(POOLS.name),
        ts: random() < 0.1 ? null : 1_767_225_600_000_000n + BigInt(batch) * 2_700_000_000_000n + BigInt(Math.floor(random() * 1e9)),
        d: random() < 0.1 ? null : 20_000 + batch * 7 + Math.floor(random() * 5),
        x: pick(POOLS.x),
        n: pick(POOLS.n),
        dec: random() < 0.1 ? null : BigInt(batch * 1000 - 4000 + Math.floor(random() * 300)),
        flag: pick(POOLS.flag),
      })
    }
    await table.append(part)
    rows.push(...part)
  }
  return rows
}
