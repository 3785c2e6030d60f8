import { describe, expect, it } from 'vitest';
import { type CorsPolicy, preflightResponse, withCorsHeaders } from '../../shared/http/cors';
import { type HttpRequest, jsonResponse } from '../../shared/http/message';

const policy: CorsPolicy = { allowedOrigins: ['https://app.example.com'], methods: ['POST'], exposeHeaders: ['x-oss-security-token'] };

function request(origin?: string, method = 'OPTIONS'): HttpRequest {
  return { method, path: '/', headers: origin === undefined ? {} : { origin }, query: {}, body: Buffer.alloc(0) };
}

describe('preflightResponse', () => {
  it('lets an allowed origin send Authorization and Content-Type with the served methods', () => {
    const response = preflightResponse(request('https://app.example.com'), policy);
    expect(response.statusCode).toBe(204);
    expect(response.headers).toMatchObject({
      'Access-Control-Allow-Origin': 'https://app.example.com',
      'Access-Control-Allow-Methods': 'POST',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type',
      Vary: 'Origin',
    });
  });

  it('grants nothing to another origin, or when no origin is configured', () => {
    expect(preflightResponse(request('https://evil.example.com'), policy).headers['Access-Control-Allow-Origin']).toBeUndefined();
    expect(preflightResponse(request('https://app.example.com'), { ...policy, allowedOrigins: [] }).headers['Access-Control-Allow-Origin']).toBeUndefined();
  });

  it('answers any origin with * when * is configured', () => {
    expect(preflightResponse(request('https://any.example.com'), { ...policy, allowedOrigins: ['*'] }).headers['Access-Control-Allow-Origin']).toBe('*');
  });
});

describe('withCorsHeaders', () => {
  it('lets an allowed origin read the response and the exposed headers', () => {
    const response = withCorsHeaders(jsonResponse(200, {}), request('https://app.example.com', 'POST'), policy);
    expect(response.headers['Access-Control-Allow-Origin']).toBe('https://app.example.com');
    expect(response.headers['Access-Control-Expose-Headers']).toBe('x-oss-security-token');
  });

  it('leaves responses to other origins and to requests without Origin unchanged', () => {
    expect(withCorsHeaders(jsonResponse(200, {}), request('https://evil.example.com', 'POST'), policy).headers['Access-Control-Allow-Origin']).toBeUndefined();
    expect(withCorsHeaders(jsonResponse(200, {}), request(undefined, 'POST'), policy).headers['Access-Control-Allow-Origin']).toBeUndefined();
  });
});
