/** Minimal XML writing and reading for OSS's documents. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ENTITIES[character] ?? character);
}

export function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g, (_match, name: string, decimal?: string, hex?: string) => {
    if (decimal) return String.fromCodePoint(Number(decimal));
    if (hex) return String.fromCodePoint(Number.parseInt(hex, 16));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[name] ?? '';
  });
}

/** A child element: `[name, text]` (escaped) or `[name, children]`. */
export type XmlNode = readonly [string, string | number | boolean | readonly XmlNode[]];

function render(node: XmlNode, indent: string): string {
  const [name, content] = node;
  if (Array.isArray(content)) {
    const children = (content as readonly XmlNode[]).map((child) => render(child, `${indent}  `)).join('');
    return `${indent}<${name}>\n${children}${indent}</${name}>\n`;
  }
  return `${indent}<${name}>${escapeXml(String(content))}</${name}>\n`;
}

/** `<?xml …?>` + the root element with its children, two-space indented. */
export function xmlDocument(root: string, children: readonly XmlNode[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${render([root, children], '')}`;
}

/** The unescaped texts of every `<name>…</name>` directly inside `xml` (no nesting of the same name). */
export function elementTexts(xml: string, name: string): string[] {
  const pattern = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g');
  return [...xml.matchAll(pattern)].map((match) => match[1] ?? '');
}
