/**
 * parseStrictJson against JSON.parse, fuzzed: documents are generated as models (entry lists, so a
 * key can repeat) and written out with random whitespace and random escapes, so the same key can
 * appear spelled differently. Whenever no object repeats a key the value is JSON.parse's; whenever
 * one does, that key and the object holding it are named; any other text is refused exactly when
 * JSON.parse refuses it, and the repeated keys it finds are those jsonc-parser's visitor (VS Code's
 * JSON parser, an independent reading of the keys) finds.
 */
import fc from 'fast-check';
import { visit } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { parseStrictJson } from '../../shared/config/strict-json';
// A small deterministic random source (mulberry32) for the writer's choices.
import { randomSource } from '../../scripts/capacity/workload';
import { oftenBe, oftenEqual } from '../helpers/often';

/** The first repeated key and the path of its object, as jsonc-parser reads the text. */
function repeatedByJsonc(text: string): { key: string; path: (string | number)[] } | undefined {
  const open: Set<string>[] = [];
  let found: { key: string; path: (string | number)[] } | undefined;
  visit(text, {
    onObjectBegin: () => {
      open.push(new Set());
    },
    onObjectEnd: () => {
      open.pop();
    },
    onObjectProperty: (name, _offset, _length, _line, _column, path) => {
      const keys = open.at(-1);
      if (keys === undefined || found !== undefined) return;
      if (keys.has(name)) found = { key: name, path: path() };
      keys.add(name);
    },
  });
  return found;
}

/** A JSON document as entries, so that an object may repeat a key. */
type Model = null | boolean | number | string | Model[] | { entries: [string, Model][] };

/** Any UTF-16 code unit, lone surrogates included (JSON.parse accepts them in strings). */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
const key = fc.oneof(fc.string({ maxLength: 6 }), fc.string({ unit: codeUnit, maxLength: 4 }), fc.constantFrom('__proto__', 'constructor', 'a', 'A', 'a ', ''));

const { model } = fc.letrec<{ model: Model; object: Model }>((tie) => ({
  model: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    fc.string({ unit: codeUnit, maxLength: 8 }),
    fc.array(tie('model'), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc.uniqueArray(fc.tuple(key, tie('model')), { maxLength: 5, selector: ([name]) => name }).map((entries) => ({ entries })),
}));

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '/': '\\/' };

/** Writes `model` as JSON text, choosing whitespace and escapes at random (written apart from any JSON library). */
function write(model: Model, random: () => number): string {
  const space = (): string => (random() < 0.3 ? [' ', '\n', '\t', '\r\n  '][Math.floor(random() * 4)] ?? '' : '');
  const text = (value: string): string => {
    let out = '"';
    for (const char of value) {
      for (const unit of char.length === 2 ? [char[0] ?? '', char[1] ?? ''] : [char]) {
        const code = unit.charCodeAt(0);
        const escape = `\\u${code.toString(16).padStart(4, '0')}`;
        if (code < 0x20 || unit === '"' || unit === '\\') out += random() < 0.5 && SHORT_ESCAPES[unit] ? SHORT_ESCAPES[unit] : random() < 0.5 ? escape : escape.toUpperCase().replace('\\U', '\\u');
        else if (random() < 0.15) out += unit === '/' && random() < 0.5 ? '\\/' : escape;
        else out += unit;
      }
    }
    return `${out}"`;
  };
  if (Object.is(model, -0)) return '-0';
  if (model === null || typeof model === 'boolean' || typeof model === 'number') return JSON.stringify(model);
  if (typeof model === 'string') return text(model);
  if (Array.isArray(model)) return `[${space()}${model.map((item) => `${write(item, random)}${space()}`).join(`,${space()}`)}]`;
  return `{${space()}${model.entries.map(([name, value]) => `${text(name)}${space()}:${space()}${write(value, random)}${space()}`).join(`,${space()}`)}}`;
}

/** The value the model stands for, built without JSON.parse (own properties even for `__proto__`). */
function valueOf(model: Model): unknown {
  if (model === null || typeof model !== 'object') return model;
  if (Array.isArray(model)) return model.map(valueOf);
  const object: Record<string, unknown> = {};
  for (const [name, value] of model.entries) Object.defineProperty(object, name, { value: valueOf(value), enumerable: true, writable: true, configurable: true });
  return object;
}

/** Every object of the model with its path, in document order. */
function objectsOf(model: Model, path: (string | number)[] = []): { object: { entries: [string, Model][] }; path: (string | number)[] }[] {
  if (model === null || typeof model !== 'object') return [];
  if (Array.isArray(model)) return model.flatMap((item, index) => objectsOf(item, [...path, index]));
  return [{ object: model, path }, ...model.entries.flatMap(([name, value]) => objectsOf(value, [...path, name]))];
}

/**
 * Whether two parsed values are the same JSON: same own keys in the same order, same items, same
 * primitives (`Object.is`). Written here because vitest's deep equality reads an own `constructor`
 * key as the object's class.
 */
function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  return keysA.length === keysB.length && keysA.every((name, index) => name === keysB[index] && sameJson((a as Record<string, unknown>)[name], (b as Record<string, unknown>)[name]));
}

/** A key as the refusal shows it: as JSON, cut short. */
const shortJson = (name: string): string => (JSON.stringify(name).length > 66 ? `${JSON.stringify(name).slice(0, 63)}…"` : JSON.stringify(name));

const pointer = (path: readonly (string | number)[]): string => (path.length === 0 ? 'the top level' : path.map((part) => `/${String(part).replaceAll('~', '~0').replaceAll('/', '~1')}`).join(''));

/** A document in which one object repeats a key, with that key and where the object is. */
const withRepeat = fc.tuple(model, fc.nat(), fc.nat(), fc.nat(), key, fc.integer()).map(([generated, which, at, position, fresh, seed]) => {
  // Make sure there is an object, then repeat one of its keys (or a fresh one, twice) at a random place.
  const document = structuredClone(generated);
  const root: Model = objectsOf(document).length > 0 ? document : { entries: [['k', document]] };
  const objects = objectsOf(root);
  const chosen = objects[which % objects.length] as (typeof objects)[number];
  const names = chosen.object.entries.map(([name]) => name);
  const repeated = names.length > 0 ? (names[at % names.length] as string) : fresh;
  if (names.length === 0) chosen.object.entries.push([repeated, null]);
  chosen.object.entries.splice(position % (chosen.object.entries.length + 1), 0, [repeated, 1]);
  return { text: write(root, randomSource(seed)), repeated, where: pointer(chosen.path) };
});

describe('parseStrictJson', () => {
  it('returns JSON.parse’s value for any document whose objects repeat no key, however keys are escaped (property)', () => {
    fc.assert(
      fc.property(model, fc.integer(), (document, seed) => {
        const text = write(document, randomSource(seed));
        const parsed = parseStrictJson(text);
        oftenBe(parsed.ok, true);
        oftenBe(parsed.ok && sameJson(parsed.value, JSON.parse(text)), true);
        oftenBe(parsed.ok && sameJson(parsed.value, valueOf(document)), true);
      }),
      { numRuns: 10_000 },
    );
  });

  it('refuses a document in which one object repeats a key, spelled alike or not, naming the key and where (property)', () => {
    fc.assert(
      fc.property(withRepeat, ({ text, repeated, where }) => {
        try {
          JSON.parse(text);
        } catch {
          expect(() => JSON.parse(text)).not.toThrow();
        }
        const parsed = parseStrictJson(text);
        oftenBe(parsed.ok, false);
        oftenBe(parsed.ok === false && parsed.problem, `the key ${JSON.stringify(repeated)} appears twice in the same object (at ${where})`);
      }),
      { numRuns: 10_000 },
    );
  });

  it('refuses exactly the texts JSON.parse refuses, and names the repeated key jsonc-parser finds, in mutated documents and noise alike (property)', () => {
    const mutated = fc.tuple(model, fc.integer(), fc.nat(), fc.constantFrom('', ',', '"', '}', ']', '{', '[', ':', '\\', '0', 'e', '-', ' ', '\u2028', '\ud800')).map(([document, seed, at, insert]) => {
      const text = write(document, randomSource(seed));
      const cut = at % (text.length + 1);
      return `${text.slice(0, cut)}${insert}${text.slice(cut + (insert === '' ? 1 : 0))}`;
    });
    fc.assert(
      fc.property(fc.oneof(mutated, withRepeat.map(({ text }) => text), fc.string({ unit: codeUnit, maxLength: 12 })), (text) => {
        const parsed = parseStrictJson(text);
        let accepted = true;
        try {
          JSON.parse(text);
        } catch {
          accepted = false;
        }
        if (!accepted) {
          oftenEqual(parsed, { ok: false, problem: 'it is not valid JSON' });
          return;
        }
        const repeated = repeatedByJsonc(text);
        if (repeated === undefined) oftenBe(parsed.ok && sameJson(parsed.value, JSON.parse(text)), true);
        else oftenEqual(parsed, { ok: false, problem: `the key ${shortJson(repeated.key)} appears twice in the same object (at ${pointer(repeated.path)})` });
      }),
      { numRuns: 10_000 },
    );
  });

  it('names a long or unprintable key as JSON, cut short', () => {
    const long = 'k'.repeat(100);
    expect(parseStrictJson(`{"${long}":1,"${long}":2}`)).toEqual({ ok: false, problem: `the key "${'k'.repeat(62)}…" appears twice in the same object (at the top level)` });
    expect(parseStrictJson('{"a":{"\\u0000\\n":1,"\\u0000\\u000a":2}}')).toEqual({ ok: false, problem: 'the key "\\u0000\\n" appears twice in the same object (at /a)' });
  });

  it('points into arrays and escapes ~ and / in the path', () => {
    expect(parseStrictJson('{"a/b":[{},{"~":{"x":1,"x":2}}]}')).toEqual({ ok: false, problem: 'the key "x" appears twice in the same object (at /a~1b/1/~0)' });
  });
});
