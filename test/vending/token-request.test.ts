import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TvmError } from '../../shared/errors';
import type { HttpRequest } from '../../shared/http/message';
import { readTokenRequest } from '../../shared/vending/token-request';
import { oftenBe, oftenInstanceOf } from '../helpers/often';

function request(overrides: Partial<HttpRequest> & { text?: string } = {}): HttpRequest {
  return { method: 'GET', path: '/', headers: {}, query: {}, body: Buffer.from(overrides.text ?? ''), ...overrides };
}

function refusedWith(input: HttpRequest): [number, string] {
  try {
    readTokenRequest(input);
  } catch (error) {
    expect(error).toBeInstanceOf(TvmError);
    return [(error as TvmError).status, (error as TvmError).code];
  }
  throw new Error('expected a refusal');
}

describe('readTokenRequest', () => {
  it('reads no scope from a bare GET, so the default applies', () => {
    expect(readTokenRequest(request())).toEqual({});
  });

  it('reads the scope from the query, and treats an empty one as none', () => {
    expect(readTokenRequest(request({ query: { scope: 'shared' } }))).toEqual({ scope: 'shared' });
    expect(readTokenRequest(request({ query: { scope: '' } }))).toEqual({});
  });

  it('reads the scope from a JSON body, with a charset parameter too', () => {
    const input = request({ method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, text: '{"scope":"shared"}' });
    expect(readTokenRequest(input)).toEqual({ scope: 'shared' });
  });

  it('treats an empty scope in a JSON body as none, like an empty query scope', () => {
    const input = request({ method: 'POST', query: { scope: 'shared' }, headers: { 'content-type': 'application/json' }, text: '{"scope":""}' });
    expect(readTokenRequest(input)).toEqual({ scope: 'shared' });
  });

  it('accepts the same scope in query and body, and refuses different ones', () => {
    const both = (body: string) => request({ method: 'POST', query: { scope: 'a' }, headers: { 'content-type': 'application/json' }, text: body });
    expect(readTokenRequest(both('{"scope":"a"}'))).toEqual({ scope: 'a' });
    expect(refusedWith(both('{"scope":"b"}'))).toEqual([400, 'MalformedRequest']);
  });

  it.each([
    ['PUT', request({ method: 'PUT' }), 405, 'MethodNotAllowed'],
    ['a form body', request({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, text: 'scope=a' }), 415, 'UnsupportedMediaType'],
    ['a body without content type', request({ method: 'POST', text: '{}' }), 415, 'UnsupportedMediaType'],
    ['broken JSON', request({ method: 'POST', headers: { 'content-type': 'application/json' }, text: '{' }), 400, 'MalformedRequest'],
    ['a JSON array', request({ method: 'POST', headers: { 'content-type': 'application/json' }, text: '[]' }), 400, 'MalformedRequest'],
    ['an extra field', request({ method: 'POST', headers: { 'content-type': 'application/json' }, text: '{"scope":"a","admin":true}' }), 400, 'MalformedRequest'],
    ['a numeric scope', request({ method: 'POST', headers: { 'content-type': 'application/json' }, text: '{"scope":1}' }), 400, 'MalformedRequest'],
  ] as const)('refuses %s', (_case, input, status, code) => {
    expect(refusedWith(input)).toEqual([status, code]);
  });

  it('answers any JSON body with a scope or a 400, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue().map((value) => JSON.stringify(value) ?? ''), fc.string()), (text) => {
        const input = request({ method: 'POST', headers: { 'content-type': 'application/json' }, text });
        try {
          const { scope } = readTokenRequest(input);
          oftenBe(scope === undefined || typeof scope === 'string', true);
        } catch (error) {
          oftenInstanceOf(error, TvmError);
          oftenBe((error as TvmError).status, 400);
        }
      }),
      { numRuns: 10_000 },
    );
  });
});
