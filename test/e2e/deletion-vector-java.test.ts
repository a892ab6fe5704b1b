/**
 * Our Puffin files and deletion vectors (src/puffin/) judged by Iceberg Java 1.10.1 through
 * test/e2e/java/DeletionVectorCheck.java: Java's PuffinReader and PositionDeleteIndex.deserialize read what we write
 * (length, magic, CRC and cardinality checked), our blobs equal Java's own serialization of the same positions byte for
 * byte, and we read a Puffin file Java's BaseDVFileWriter wrote. Needs Java 17 and the jars `bun run stack up`
 * downloads, not the running services; skipped (saying so) only when there is no `java` on the PATH.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeDeletionVector } from '../../src/puffin/deletion-vector.ts'
import { decodeDeletionVectorFile, encodeDeletionVectorFile } from '../../src/puffin/deletion-vector-file.ts'
import { readPuffinFooter } from '../../src/puffin/puffin-file.ts'
import { javaWriterClassPath } from './java-writer.ts'

const SOURCE = join(import.meta.dir, 'java', 'DeletionVectorCheck.java')
const JAVA = Bun.which('java')
if (!JAVA) console.warn('deletion-vector-java: skipped, no `java` on the PATH (Java 17 runs DeletionVectorCheck.java)')

const dir = mkdtempSync(join(tmpdir(), 'dv-java-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function runCheck(args: string[]): Promise<Record<string, unknown>> {
  const child = Bun.spawn([JAVA!, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', javaWriterClassPath(), SOURCE, ...args], { stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  const line = stdout.split('\n').find((l) => l.startsWith('{'))
  if (code !== 0 || !line) throw new Error(`DeletionVectorCheck ${args[0]} exited ${code}: ${line ?? ''}\n${stderr.slice(-2000)}`)
  return JSON.parse(line)
}

const range = (from: number, to: number, step = 1) => Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => from + i * step)
const TWO_32 = 2 ** 32

/** One DV per container kind, and positions past 2^32 with empty bitmaps between their keys. */
const VECTORS = [
  { referencedDataFile: 's3://warehouse/t/data/array.parquet', positions: [0, 1, 2, 3, 7, 65535, 65536, 1_000_000] },
  { referencedDataFile: 's3://warehouse/t/data/bitmap.parquet', positions: range(0, 40_000, 2) },
  { referencedDataFile: 's3://warehouse/t/data/run.parquet', positions: range(100_000, 300_000) },
  { referencedDataFile: 's3://warehouse/t/data/wide.parquet', positions: [5, TWO_32 + 1, 3 * TWO_32 + 5, 3 * TWO_32 + 6] },
]

describe.skipIf(!JAVA)('deletion vectors against Iceberg Java', () => {
  test('Java reads our Puffin file: every DV, its properties, and Java serializes the same positions to our bytes', async () => {
    const { bytes, vectors } = encodeDeletionVectorFile(VECTORS)
    const path = join(dir, 'ours.puffin')
    writeFileSync(path, bytes)
    const read = await runCheck(['read', path])
    const blobs = read.blobs as Record<string, unknown>[]
    expect(blobs.length).toBe(VECTORS.length)
    for (const [i, vector] of VECTORS.entries()) {
      const blob = blobs[i]!
      expect(blob).toMatchObject({
        type: 'deletion-vector-v1',
        fields: [2147483645],
        snapshotId: -1,
        sequenceNumber: -1,
        offset: vectors[i]!.contentOffset,
        length: vectors[i]!.contentSizeInBytes,
        properties: { 'referenced-data-file': vector.referencedDataFile, cardinality: String(vector.positions.length) },
      })
      expect(blob.compressionCodec).toBeUndefined()
      expect(blob.positions).toEqual(vector.positions)
      // Byte-for-byte: same container choices (run-length encoded where smaller), same empty bitmaps, same CRC.
      expect(Buffer.from(blob.javaBlob as string, 'base64').toString('hex')).toBe(Buffer.from(encodeDeletionVector(vector.positions)).toString('hex'))
    }
    expect(read.properties).toEqual({ 'created-by': 'iceberg-ingest version 0.1.0' })
  }, 60_000)

  test("we read a Puffin file written by Java's BaseDVFileWriter", async () => {
    const deletes: Record<string, number[]> = {
      'file:/wh/t/data/a.parquet': [3, 1, 2, 9_999],
      'file:/wh/t/data/b.parquet': range(0, 70_000, 3),
      'file:/wh/t/data/c.parquet': [...range(500, 5_000), TWO_32 + 42],
    }
    const input = join(dir, 'deletes.json')
    writeFileSync(input, JSON.stringify(deletes))
    const written = await runCheck(['write', join(dir, 'java'), input])
    const files = written.deleteFiles as { location: string; referencedDataFile: string; contentOffset: number; contentSizeInBytes: number; recordCount: number; format: string }[]
    expect(new Set(files.map((f) => f.location)).size).toBe(1)
    expect(files.every((f) => f.format === 'PUFFIN')).toBe(true)
    const location = files[0]!.location
    const puffins = readdirSync(join(dir, 'java', 'table', 'data')).filter((f) => f.endsWith('.puffin'))
    expect(puffins.length).toBe(1)
    const bytes = new Uint8Array(readFileSync(location.replace(/^file:/, '')))
    const decoded = decodeDeletionVectorFile(bytes, location)
    const footer = readPuffinFooter(bytes, location)
    for (const [path, positions] of Object.entries(deletes)) {
      const expected = [...new Set(positions)].sort((a, b) => a - b)
      expect(decoded.get(path)).toEqual(expected)
      const file = files.find((f) => f.referencedDataFile === path)!
      expect(file.recordCount).toBe(expected.length)
      const blob = footer.blobs.find((b) => b.properties?.['referenced-data-file'] === path)!
      expect([blob.offset, blob.length]).toEqual([file.contentOffset, file.contentSizeInBytes])
    }
  }, 60_000)
})
