// `produce --template`: JSON text with {{placeholders}} filled per message, for data other than sensor readings.
import { seededRandom } from './sensor-data.ts'
import { UsageError } from './usage.ts'

export const TEMPLATE_HELP = `Template placeholders (the text must be JSON once they are filled in):
  {{seq}}            0, 1, 2, ... (message number)       {{uuid}}           a random UUID
  {{now}}            current time, ISO-8601 UTC          {{now_ms}}         current time, epoch milliseconds
  {{int A B}}        integer in [A, B]                   {{float A B D}}    number in [A, B) with D decimals
  {{pick a b c}}     one of the words
  e.g. --template '{"id": {{seq}}, "data": "row-{{seq}}", "score": {{float 0 1 3}}}'`

type Part = (seq: number) => string

/**
 * Compiles a template into a message function. Throws UsageError (code USAGE) for an unknown placeholder, bad
 * arguments, or text that is not JSON once filled in (checked on message 0).
 */
export function compileTemplate(text: string, seed: number): (seq: number) => string {
  const random = seededRandom(seed)
  const parts: Part[] = []
  let last = 0
  for (const match of text.matchAll(/\{\{\s*([a-z_]+)((?:\s+[^\s}]+)*)\s*\}\}/g)) {
    const literal = text.slice(last, match.index)
    parts.push(() => literal)
    last = match.index! + match[0].length
    const [name, args] = [match[1]!, match[2]!.trim().split(/\s+/).filter(Boolean)]
    const numbers = args.map(Number)
    const needNumbers = (n: number) => {
      if (args.length !== n || numbers.some((x) => !Number.isFinite(x))) {
        throw new UsageError(`produce --template: {{${name}}} takes ${n} numbers, got ${JSON.stringify(match[0])}; e.g. {{${name} ${n === 2 ? '1 100' : '0 1 2'}}}`)
      }
    }
    switch (name) {
      case 'seq': parts.push((seq) => String(seq)); break
      case 'uuid': parts.push(() => crypto.randomUUID()); break
      case 'now': parts.push(() => new Date().toISOString()); break
      case 'now_ms': parts.push(() => String(Date.now())); break
      case 'int': {
        needNumbers(2)
        const [a, b] = numbers as [number, number]
        parts.push(() => String(Math.floor(a + random() * (b - a + 1))))
        break
      }
      case 'float': {
        needNumbers(3)
        const [a, b, d] = numbers as [number, number, number]
        parts.push(() => (a + random() * (b - a)).toFixed(d))
        break
      }
      case 'pick': {
        if (!args.length) throw new UsageError('produce --template: {{pick}} needs words to pick from, e.g. {{pick red green blue}}')
        parts.push(() => args[Math.floor(random() * args.length)]!)
        break
      }
      default:
        throw new UsageError(`produce --template: unknown placeholder ${JSON.stringify(match[0])}; placeholders are seq, uuid, now, now_ms, int A B, float A B D, pick words...`)
    }
  }
  const tail = text.slice(last)
  parts.push(() => tail)
  const render = (seq: number) => parts.map((p) => p(seq)).join('')
  try {
    JSON.parse(render(0))
  } catch (error) {
    throw new UsageError(`produce --template: the filled-in template is not JSON (${(error as Error).message}): ${render(0).slice(0, 200)}; quote string placeholders, e.g. "row-{{seq}}"`)
  }
  return render
}
