/**
 * 32-bit Roaring bitmaps in the "portable" serialization (RoaringFormatSpec, as CRoaring and Java's RoaringBitmap
 * write it), from and to sorted unsigned 32-bit values. Pure; sizes are computed first, so encoding writes into one
 * buffer of the exact size.
 */
import { PuffinError } from './errors.ts'

// Layout (all integers little-endian):
//   cookie          u32 12346 (no run containers), then u32 container count
//                or u16 12347 | u16 (count - 1), then ceil(count / 8) bytes: bit i set = container i is a run container
//   descriptive     per container: u16 key (high 16 bits), u16 cardinality - 1
//   offsets         per container: u32 byte offset of its data from the start — present unless the cookie is 12347
//                   and there are fewer than 4 containers
//   containers      array: cardinality × u16 low bits ascending; bitmap: 1024 × u64 (bit v = low value v);
//                   run: u16 run count, then per run u16 start, u16 length - 1

const SERIAL_COOKIE_NO_RUNCONTAINER = 12346
const SERIAL_COOKIE = 12347
const NO_OFFSET_THRESHOLD = 4
/** Above this cardinality a non-run container is a bitmap (Java's ArrayContainer.DEFAULT_MAX_SIZE). */
const ARRAY_MAX = 4096
const BITMAP_BYTES = 8192

type ContainerKind = 'array' | 'bitmap' | 'run'

interface ContainerPlan {
  key: number
  /** Index range of its values in the input. */
  start: number
  end: number
  runs: number
  kind: ContainerKind
  dataBytes: number
}

/** The container kind Java's RoaringBitmap picks after runOptimize(): a run container only when strictly smaller. */
function chooseKind(cardinality: number, runs: number): { kind: ContainerKind; dataBytes: number } {
  const plainBytes = cardinality <= ARRAY_MAX ? 2 * cardinality : BITMAP_BYTES
  const runBytes = 2 + 4 * runs
  if (runBytes < plainBytes) return { kind: 'run', dataBytes: runBytes }
  return cardinality <= ARRAY_MAX ? { kind: 'array', dataBytes: plainBytes } : { kind: 'bitmap', dataBytes: BITMAP_BYTES }
}

function planContainers(values: ArrayLike<number>, start: number, end: number): ContainerPlan[] {
  const plans: ContainerPlan[] = []
  let i = start
  while (i < end) {
    const key = values[i]! >>> 16
    const first = i
    let runs = 1
    let previous = values[i]!
    i++
    while (i < end) {
      const value = values[i]!
      if (value >>> 16 !== key) break
      if (value <= previous) throw new PuffinError('ROARING_INVALID', `bitmap values must be ascending and distinct: ${value} after ${previous}`)
      if (value !== previous + 1) runs++
      previous = value
      i++
    }
    plans.push({ key, start: first, end: i, runs, ...chooseKind(i - first, runs) })
  }
  return plans
}

function headerBytes(plans: readonly ContainerPlan[]): number {
  const count = plans.length
  if (!plans.some((p) => p.kind === 'run')) return 8 + 8 * count
  return 4 + Math.ceil(count / 8) + 4 * count + (count >= NO_OFFSET_THRESHOLD ? 4 * count : 0)
}

/** A plan of the portable serialization of `values[start, end)`: its exact size and a writer for it. */
export interface Roaring32Plan {
  bytes: number
  /** Writes the bitmap at `offset` of `view`; returns the offset after it. */
  write(view: DataView, offset: number): number
}

/**
 * Plans the serialization of the ascending, distinct unsigned 32-bit values `values[start, end)`.
 * @throws PuffinError `ROARING_INVALID` when the values are not ascending and distinct.
 */
export function planRoaring32(values: ArrayLike<number>, start = 0, end = values.length): Roaring32Plan {
  const plans = planContainers(values, start, end)
  const header = headerBytes(plans)
  const bytes = header + plans.reduce((sum, p) => sum + p.dataBytes, 0)
  return { bytes, write: (view, offset) => writeRoaring32(view, offset, values, plans, header) }
}

function writeRoaring32(view: DataView, base: number, values: ArrayLike<number>, plans: readonly ContainerPlan[], header: number): number {
  const count = plans.length
  const hasRun = plans.some((p) => p.kind === 'run')
  let o = base
  if (hasRun) {
    view.setUint16(o, SERIAL_COOKIE, true)
    view.setUint16(o + 2, count - 1, true)
    o += 4
    for (let b = 0; b < Math.ceil(count / 8); b++) {
      let flags = 0
      for (let k = 0; k < 8 && b * 8 + k < count; k++) if (plans[b * 8 + k]!.kind === 'run') flags |= 1 << k
      view.setUint8(o++, flags)
    }
  } else {
    view.setUint32(o, SERIAL_COOKIE_NO_RUNCONTAINER, true)
    view.setUint32(o + 4, count, true)
    o += 8
  }
  for (const plan of plans) {
    view.setUint16(o, plan.key, true)
    view.setUint16(o + 2, plan.end - plan.start - 1, true)
    o += 4
  }
  if (!hasRun || count >= NO_OFFSET_THRESHOLD) {
    let dataOffset = header
    for (const plan of plans) {
      view.setUint32(o, dataOffset, true)
      o += 4
      dataOffset += plan.dataBytes
    }
  }
  for (const plan of plans) {
    if (plan.kind === 'array') {
      for (let i = plan.start; i < plan.end; i++, o += 2) view.setUint16(o, values[i]! & 0xffff, true)
    } else if (plan.kind === 'bitmap') {
      // The 1024 words as bytes: bit v of the bitmap is bit (v % 8) of byte v / 8 in little-endian words.
      for (let i = plan.start; i < plan.end; i++) {
        const low = values[i]! & 0xffff
        const at = o + (low >>> 3)
        view.setUint8(at, view.getUint8(at) | (1 << (low & 7)))
      }
      o += BITMAP_BYTES
    } else {
      view.setUint16(o, plan.runs, true)
      o += 2
      let i = plan.start
      while (i < plan.end) {
        const runStart = values[i]! & 0xffff
        let length = 0
        while (i + 1 < plan.end && values[i + 1]! === values[i]! + 1) {
          i++
          length++
        }
        view.setUint16(o, runStart, true)
        view.setUint16(o + 2, length, true)
        o += 4
        i++
      }
    }
  }
  return o
}

/** Portable serialization of ascending, distinct unsigned 32-bit values. Throws like planRoaring32. */
export function encodeRoaring32(values: ArrayLike<number>): Uint8Array {
  const plan = planRoaring32(values)
  const bytes = new Uint8Array(plan.bytes)
  plan.write(new DataView(bytes.buffer), 0)
  return bytes
}

function truncated(what: string, offset: number, length: number): PuffinError {
  return new PuffinError('ROARING_INVALID', `roaring bitmap truncated: ${what} at byte ${offset} runs past the end (${length} bytes)`)
}

/**
 * Reads one portable bitmap at `offset` of `view`, calling `emit` with each value in ascending order (each added to
 * `high`, so a 64-bit reader gets positions without a second pass). Returns the offset after the bitmap.
 * @throws PuffinError `ROARING_INVALID` for an unknown cookie, truncated data, keys out of order, or containers
 *   whose values are out of order or out of range.
 */
export function readRoaring32(view: DataView, offset: number, emit: (value: number) => void, high = 0): number {
  const length = view.byteLength
  const need = (at: number, n: number, what: string) => {
    if (at + n > length) throw truncated(what, at, length)
  }
  need(offset, 4, 'cookie')
  let o = offset
  let count: number
  let runFlags: number | undefined
  const cookie = view.getUint32(o, true)
  if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    need(o + 4, 4, 'container count')
    count = view.getUint32(o + 4, true)
    o += 8
  } else if ((cookie & 0xffff) === SERIAL_COOKIE) {
    count = (cookie >>> 16) + 1
    o += 4
    runFlags = o
    need(o, Math.ceil(count / 8), 'run flags')
    o += Math.ceil(count / 8)
  } else {
    throw new PuffinError('ROARING_INVALID', `not a portable roaring bitmap: cookie ${cookie} at byte ${offset} (expected ${SERIAL_COOKIE_NO_RUNCONTAINER} or ${SERIAL_COOKIE})`)
  }
  if (count > 65536) throw new PuffinError('ROARING_INVALID', `roaring bitmap claims ${count} containers (at most 65536)`)
  need(o, 4 * count, 'descriptive header')
  const descriptive = o
  o += 4 * count
  if (runFlags === undefined || count >= NO_OFFSET_THRESHOLD) {
    need(o, 4 * count, 'offset header')
    o += 4 * count
  }
  let previousKey = -1
  for (let c = 0; c < count; c++) {
    const key = view.getUint16(descriptive + 4 * c, true)
    const cardinality = view.getUint16(descriptive + 4 * c + 2, true) + 1
    if (key <= previousKey) throw new PuffinError('ROARING_INVALID', `roaring container keys out of order: ${key} after ${previousKey}`)
    previousKey = key
    const base = high + key * 65536
    const isRun = runFlags !== undefined && (view.getUint8(runFlags + (c >>> 3)) & (1 << (c & 7))) !== 0
    if (isRun) {
      need(o, 2, 'run count')
      const runs = view.getUint16(o, true)
      o += 2
      need(o, 4 * runs, 'runs')
      let next = 0
      for (let r = 0; r < runs; r++, o += 4) {
        const start = view.getUint16(o, true)
        const last = start + view.getUint16(o + 2, true)
        if (start < next || last > 0xffff) throw new PuffinError('ROARING_INVALID', `roaring run ${start}+${last - start} of key ${key} overlaps or exceeds 65535`)
        for (let v = start; v <= last; v++) emit(base + v)
        next = last + 1
      }
    } else if (cardinality > ARRAY_MAX) {
      need(o, BITMAP_BYTES, 'bitmap container')
      for (let b = 0; b < BITMAP_BYTES; b++) {
        const byte = view.getUint8(o + b)
        if (byte === 0) continue
        for (let bit = 0; bit < 8; bit++) if (byte & (1 << bit)) emit(base + b * 8 + bit)
      }
      o += BITMAP_BYTES
    } else {
      need(o, 2 * cardinality, 'array container')
      let previous = -1
      for (let i = 0; i < cardinality; i++, o += 2) {
        const low = view.getUint16(o, true)
        if (low <= previous) throw new PuffinError('ROARING_INVALID', `roaring array container of key ${key} not ascending: ${low} after ${previous}`)
        previous = low
        emit(base + low)
      }
    }
  }
  return o
}

/** The values of a portable bitmap, ascending. Throws like readRoaring32. */
export function decodeRoaring32(bytes: Uint8Array): number[] {
  const values: number[] = []
  readRoaring32(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, (v) => values.push(v))
  return values
}
