/**
 * JSON for configuration: `JSON.parse`, which keeps the last of repeated keys without a word, plus
 * a refusal of any object that repeats a key, at any depth. Once `JSON.parse` has accepted the text
 * (and given the value), a small scanner walks it again for the keys alone, decoding them as
 * `JSON.parse` does (`"a"` and `"\u0061"` are the same key). README, "Choices", says why this is
 * not a library.
 */

/** The parsed value, or why the text was refused. */
export type StrictJsonResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

/**
 * Parses `text` as JSON, refusing an object that repeats a key.
 *
 * @example
 * ```ts
 * parseStrictJson('{"user":{},"user":{}}');
 * // { ok: false, problem: 'the key "user" appears twice in the same object (at the top level)' }
 * ```
 */
export function parseStrictJson(text: string): StrictJsonResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'it is not valid JSON' };
  }
  const repeated = firstRepeatedKey(text);
  if (repeated !== undefined) {
    const where = repeated.path.length === 0 ? 'the top level' : pointer(repeated.path);
    return { ok: false, problem: `the key ${shown(repeated.key)} appears twice in the same object (at ${where})` };
  }
  return { ok: true, value };
}

type Frame =
  | { readonly kind: 'object'; readonly path: readonly (string | number)[]; readonly keys: Set<string>; expectKey: boolean; key: string }
  | { readonly kind: 'array'; readonly path: readonly (string | number)[]; index: number };

/** The first key an object of `text` repeats, with the path of that object. `text` must be JSON that `JSON.parse` accepts. */
function firstRepeatedKey(text: string): { key: string; path: readonly (string | number)[] } | undefined {
  const stack: Frame[] = [];
  for (let at = 0; at < text.length; at++) {
    const char = text[at];
    const top = stack.at(-1);
    if (char === '"') {
      const [string, end] = readString(text, at);
      at = end;
      if (top?.kind !== 'object' || !top.expectKey) continue;
      if (top.keys.has(string)) return { key: string, path: top.path };
      top.keys.add(string);
      top.key = string;
      top.expectKey = false;
    } else if (char === '{' || char === '[') {
      const path = top === undefined ? [] : [...top.path, top.kind === 'object' ? top.key : top.index];
      stack.push(char === '{' ? { kind: 'object', path, keys: new Set(), expectKey: true, key: '' } : { kind: 'array', path, index: 0 });
    } else if (char === '}' || char === ']') {
      stack.pop();
    } else if (char === ',' && top !== undefined) {
      if (top.kind === 'object') top.expectKey = true;
      else top.index += 1;
    }
  }
  return undefined;
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** The decoded string whose opening quote is at `start`, and the index of its closing quote. */
function readString(text: string, start: number): [string, number] {
  let decoded = '';
  let at = start + 1;
  while (at < text.length && text[at] !== '"') {
    if (text[at] === '\\') {
      const escape = text[at + 1] ?? '';
      if (escape === 'u') {
        decoded += String.fromCharCode(Number.parseInt(text.slice(at + 2, at + 6), 16));
        at += 6;
      } else {
        decoded += SHORT_ESCAPES[escape] ?? '';
        at += 2;
      }
    } else {
      decoded += text[at];
      at += 1;
    }
  }
  return [decoded, at];
}

/** A JSON pointer (RFC 6901), such as `/user/actions`. */
function pointer(path: readonly (string | number)[]): string {
  return path.map((part) => `/${String(part).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** A key as JSON, cut short: printable whatever it holds. */
function shown(key: string): string {
  const json = JSON.stringify(key);
  return json.length > 66 ? `${json.slice(0, 63)}…"` : json;
}
