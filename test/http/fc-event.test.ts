import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TvmError } from '../../shared/errors';
import { parseHttpEvent } from '../../shared/http/fc-event';
import { errorResponse, jsonResponse } from '../../shared/http/message';
import { httpEvent } from '../helpers/fc-events';
import { refusal } from '../helpers/refusal';
import { oftenBe, oftenInstanceOf, oftenWithin } from '../helpers/often';


describe('parseHttpEvent', () => {
  it('reads method, path, headers, query and body from a v1 HTTP trigger event', () => {
    const event = httpEvent({ method: 'POST', path: '/token', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer x' }, query: { scope: 'user' }, body: '{"a":1}' });
    const request = parseHttpEvent(event, 1024);
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/token');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['authorization']).toBe('Bearer x');
    expect(request.query['scope']).toBe('user');
    expect(request.body.toString()).toBe('{"a":1}');
  });

  it('lowercases header names and joins duplicates that differ only in case', () => {
    const request = parseHttpEvent(httpEvent({ headers: { 'X-Thing': 'a', 'x-thing': 'b' } }), 1024);
    expect(request.headers['x-thing']).toBe('a,b');
  });

  it('decodes a base64 body', () => {
    const request = parseHttpEvent(httpEvent({ method: 'POST', body: Buffer.from([0, 255, 1]).toString('base64'), isBase64Encoded: true }), 1024);
    expect([...request.body]).toEqual([0, 255, 1]);
  });

  it('accepts an event without headers, query or body, as FC sends for an empty GET', () => {
    const event = Buffer.from(JSON.stringify({ version: 'v1', rawPath: '/', requestContext: { http: { method: 'GET', path: '/' } } }));
    const request = parseHttpEvent(event, 1024);
    expect(request.body.length).toBe(0);
    expect(request.headers).toEqual({});
  });

  it.each([
    ['not JSON', Buffer.from('{')],
    ['a JSON array', Buffer.from('[]')],
    ['no method', Buffer.from(JSON.stringify({ requestContext: { http: {} } }))],
    ['a lowercase method', Buffer.from(JSON.stringify({ requestContext: { http: { method: 'get' } } }))],
    ['headers that are not strings', Buffer.from(JSON.stringify({ headers: { a: 1 }, requestContext: { http: { method: 'GET' } } }))],
    ['headers that are an array', Buffer.from(JSON.stringify({ headers: ['a'], requestContext: { http: { method: 'GET' } } }))],
    ['a body that is not a string', Buffer.from(JSON.stringify({ body: { a: 1 }, requestContext: { http: { method: 'POST' } } }))],
    ['a non-boolean isBase64Encoded', Buffer.from(JSON.stringify({ body: 'eA==', isBase64Encoded: 'yes', requestContext: { http: { method: 'POST' } } }))],
    ['invalid base64', httpEvent({ method: 'POST', body: 'a b', isBase64Encoded: true })],
  ])('refuses %s with 400 MalformedRequest', (_case, event) => {
    const error = refusal(() => parseHttpEvent(event, 1024));
    expect(error.status).toBe(400);
    expect(error.code).toBe('MalformedRequest');
  });

  it.each([
    ['a text body', httpEvent({ method: 'POST', body: 'x'.repeat(1025) })],
    ['a base64 body', httpEvent({ method: 'POST', body: Buffer.alloc(1025).toString('base64'), isBase64Encoded: true })],
    ['a multi-byte text body', httpEvent({ method: 'POST', body: 'é'.repeat(513) })],
  ])('refuses %s over the limit with 413 PayloadTooLarge', (_case, event) => {
    const error = refusal(() => parseHttpEvent(event, 1024));
    expect(error.status).toBe(413);
    expect(error.code).toBe('PayloadTooLarge');
  });

  it('accepts a body of exactly the limit', () => {
    expect(parseHttpEvent(httpEvent({ method: 'POST', body: Buffer.alloc(1024).toString('base64'), isBase64Encoded: true }), 1024).body.length).toBe(1024);
  });

  it('answers any input with a request or a 400/413 refusal, never another exception', () => {
    const jsonish = fc.oneof(
      fc.jsonValue(),
      fc.record({
        version: fc.oneof(fc.constant('v1'), fc.jsonValue()),
        headers: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.jsonValue()),
        queryParameters: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.jsonValue()),
        body: fc.oneof(fc.string(), fc.base64String(), fc.jsonValue()),
        isBase64Encoded: fc.oneof(fc.boolean(), fc.jsonValue()),
        requestContext: fc.oneof(fc.record({ http: fc.record({ method: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT'), fc.jsonValue()), path: fc.jsonValue() }) }), fc.jsonValue()),
      }, { requiredKeys: [] }),
    );
    const events = fc.oneof(
      jsonish.map((value) => Buffer.from(JSON.stringify(value) ?? 'undefined')),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.string().map((text) => Buffer.from(text)),
    );
    fc.assert(
      fc.property(events, (event) => {
        try {
          const request = parseHttpEvent(event, 256);
          oftenWithin(request.body.length, 0, 257);
          oftenBe(Object.keys(request.headers).every((name) => name === name.toLowerCase()), true);
        } catch (error) {
          oftenInstanceOf(error, TvmError);
          const { status } = error as TvmError;
          if (status !== 400 && status !== 413) expect([400, 413]).toContain(status);
        }
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('responses', () => {
  it('are JSON, never cached, in the FC response shape', () => {
    expect(jsonResponse(200, { a: 1 })).toEqual({ statusCode: 200, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }, body: '{"a":1}', isBase64Encoded: false });
  });

  it('carry a refusal as the documented error body with its headers', () => {
    const response = errorResponse(new TvmError(503, 'StsThrottled', 'Slow down.', { headers: { 'Retry-After': '2' }, cause: new Error('secret detail') }), 'req-1');
    expect(response.statusCode).toBe(503);
    expect(response.headers['Retry-After']).toBe('2');
    expect(JSON.parse(response.body)).toEqual({ StatusCode: 503, ErrorCode: 'StsThrottled', ErrorMessage: 'Slow down.', RequestId: 'req-1' });
    expect(response.body).not.toContain('secret detail');
  });
});
