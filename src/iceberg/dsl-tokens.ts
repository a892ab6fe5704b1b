/** Tokens of the schema and partition DSLs (`id long not null, tags list<string>`; `day(ts), bucket(16, id)`). */
import { ValidationError } from '../errors.ts'

export type Token =
  | { kind: 'name'; text: string; quoted: boolean; at: number }
  | { kind: 'number'; text: string; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: 'punct'; text: string; at: number }
  | { kind: 'end'; text: ''; at: number }

const PUNCT = '()<>[],:.'

/** Splits DSL text into tokens. Throws ValidationError (code VALIDATION) at an unexpected character or unclosed quote. */
export function tokenize(text: string, what: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const ch = text[i] as string
    if (/\s/.test(ch)) {
      i++
    } else if (PUNCT.includes(ch)) {
      tokens.push({ kind: 'punct', text: ch, at: i++ })
    } else if (/[0-9]/.test(ch)) {
      const start = i
      while (i < text.length && /[0-9]/.test(text[i] as string)) i++
      tokens.push({ kind: 'number', text: text.slice(start, i), at: start })
    } else if (/[A-Za-z_]/.test(ch)) {
      const start = i
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i] as string)) i++
      tokens.push({ kind: 'name', text: text.slice(start, i), quoted: false, at: start })
    } else if (ch === '`' || ch === "'") {
      // Backquotes quote names with any character; single quotes quote comments. A doubled quote escapes itself.
      const start = i++
      let value = ''
      for (;;) {
        if (i >= text.length) throw new ValidationError(`${what}: unclosed ${ch} starting at position ${start}`, { text, position: start })
        if (text[i] === ch) {
          if (text[i + 1] === ch) {
            value += ch
            i += 2
            continue
          }
          i++
          break
        }
        value += text[i++]
      }
      tokens.push(ch === '`' ? { kind: 'name', text: value, quoted: true, at: start } : { kind: 'string', text: value, at: start })
    } else {
      throw new ValidationError(`${what}: unexpected character ${JSON.stringify(ch)} at position ${i}`, { text, position: i })
    }
  }
  tokens.push({ kind: 'end', text: '', at: text.length })
  return tokens
}

/** A cursor over tokens whose errors quote the input and say what was expected there. */
export class TokenCursor {
  private index = 0

  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
    private readonly what: string,
  ) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)] as Token
  }

  next(): Token {
    const token = this.peek()
    if (this.index < this.tokens.length - 1) this.index++
    return token
  }

  /** True (and consumed) when the next token is this punctuation or case-insensitive keyword. */
  accept(text: string): boolean {
    const token = this.peek()
    const matches = token.kind === 'punct' ? token.text === text : token.kind === 'name' && !token.quoted && token.text.toLowerCase() === text
    if (matches) this.index++
    return matches
  }

  expect(text: string, hint = ''): void {
    if (!this.accept(text)) throw this.error(`expected ${JSON.stringify(text)}`, hint)
  }

  name(hint = ''): string {
    const token = this.next()
    if (token.kind !== 'name') throw this.error('expected a name', hint, token)
    return token.text
  }

  number(hint = ''): number {
    const token = this.next()
    if (token.kind !== 'number') throw this.error('expected a number', hint, token)
    return Number(token.text)
  }

  error(message: string, hint = '', token: Token = this.peek()): ValidationError {
    const found = token.kind === 'end' ? 'end of input' : JSON.stringify(token.kind === 'string' ? `'${token.text}'` : token.text)
    return new ValidationError(`${this.what}: ${message} at position ${token.at}, found ${found}${hint ? `; ${hint}` : ''} (in ${JSON.stringify(this.text)})`, {
      text: this.text,
      position: token.at,
    })
  }
}
