/** Builds FC 3.0 HTTP trigger events (v1) and reads handler responses, as the FC runtime would. */
import type { HttpResponse } from '../../shared/http/message';

/** What a test request holds; everything is optional. */
export interface TestRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** The v1 HTTP trigger event for `request`, as the Buffer FC passes to the handler. */
export function httpEvent(request: TestRequest = {}): Buffer {
  const method = request.method ?? 'GET';
  const path = request.path ?? '/';
  return Buffer.from(
    JSON.stringify({
      version: 'v1',
      rawPath: path,
      headers: request.headers ?? {},
      queryParameters: request.query ?? {},
      ...(request.body === undefined ? {} : { body: request.body, isBase64Encoded: request.isBase64Encoded ?? false }),
      requestContext: {
        accountId: '1234567890123456',
        domainName: 'test.cn-hangzhou.fcapp.run',
        domainPrefix: 'test',
        http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
        requestId: 'event-request-id',
        time: '2026-11-23T10:00:00Z',
        timeEpoch: '1795428000000',
      },
    }),
  );
}

/** A bearer Authorization header. */
export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/** The parsed JSON body of a handler response. */
export function jsonBody(response: HttpResponse): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>;
}
