import { expect, test } from 'bun:test'
import { Glob } from 'bun'

/** src/records and src/sources/http run on edge runtimes too (CONVENTIONS principle 1): web APIs only. */
test('src/records and src/sources/http use no node:, bun: or Bun.* APIs', async () => {
  const offenders: string[] = []
  let scanned = 0
  for (const folder of ['src/records', 'src/sources/http']) {
    for await (const path of new Glob(`${folder}/**/*.ts`).scan({ cwd: `${import.meta.dir}/../..` })) {
      scanned++
      const text = await Bun.file(`${import.meta.dir}/../../${path}`).text()
      if (/from ['"](node:|bun:|bun['"])|\bBun\.|require\(/.test(text)) offenders.push(path)
    }
  }
  expect(scanned).toBeGreaterThan(8) // the scan itself found the files
  expect(offenders).toEqual([])
})
