/**
 * Just enough XML for S3's small, flat responses (ListObjectsV2, multipart, errors): element
 * content by tag name and entity decoding. There is no DOMParser in Bun or Workers.
 */

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** Decodes the five predefined entities and numeric character references (`&#13;`, `&#x1F;`). */
export function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (!ref.startsWith('#')) return NAMED[ref] ?? whole
    const code = ref.startsWith('#x') ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10)
    // Out-of-range references are malformed XML; keep them as written rather than throw.
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole
  })
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`)
}

/**
 * Raw (undecoded) content of every `<tag>` element, in document order. Elements of the same name
 * must not nest, which holds for the S3 responses read here. `<tag/>` yields `''`.
 */
export function xmlElements(xml: string, tag: string): string[] {
  const pattern = new RegExp(`<${tag}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${tag}\\s*>)`, 'g')
  return [...xml.matchAll(pattern)].map((match) => match[1] ?? '')
}

/** Decoded text of the first `<tag>` element, or undefined when there is none. */
export function xmlText(xml: string, tag: string): string | undefined {
  const first = xmlElements(xml, tag)[0]
  return first === undefined ? undefined : decodeXml(first)
}
